"""Sources (counts, keys, merging), categories, stocks, tags, and the import ledger."""

import re

from django.contrib.admin.models import CHANGE, DELETION, LogEntry
from django.test import TestCase
from django.urls import reverse

from articles import trash
from articles.admin.reasons import explain, reason_html
from articles.models import (
    Article,
    Category,
    ImportFileResult,
    ImportRun,
    Source,
    SourceKey,
    Stock,
    Tombstone,
)
from tests.admin_support import (
    SEEDS,
    import_files,
    make_editor,
    seed_copy,
    suning_haier,
    temp_dir,
)


class DeskTestCase(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.report = import_files(SEEDS)
        cls.editor = make_editor()

    def setUp(self):
        self.client.force_login(self.editor)


def row_of(response, text: str) -> str:
    return re.search(rf"<tr>(?:(?!</tr>).)*{re.escape(text)}.*?</tr>", response.content.decode(),
                     re.S).group(0)


class SourceAdminTests(DeskTestCase):
    def test_list_shows_article_counts_and_keys(self):
        response = self.client.get(reverse("admin:articles_source_changelist"))
        row = row_of(response, "中国网科技")
        source = Source.objects.get(name="中国网科技")
        self.assertIn(f"?source__id__exact={source.pk}\">2</a>", row)
        haier_row = row_of(response, "中国经济网")
        self.assertIn("zhongguojingjiwang", haier_row)  # the feed key from the front matter

    def test_keys_are_edited_inline(self):
        source = Source.objects.get(name="中国网科技")
        url = reverse("admin:articles_source_change", args=[source.pk])
        form = self.client.get(url)
        self.assertContains(form, "别名（订阅源的键）")
        response = self.client.post(url, {
            "name": source.name, "slug": source.slug, "url": "https://tech.china.com.cn/",
            "keys-TOTAL_FORMS": "1", "keys-INITIAL_FORMS": "0",
            "keys-MIN_NUM_FORMS": "0", "keys-MAX_NUM_FORMS": "1000",
            "keys-0-key": "chinatech", "keys-0-source": source.pk,
        })
        self.assertEqual(response.status_code, 302)
        self.assertEqual(SourceKey.objects.get(key="chinatech").source, source)

    def test_merge_moves_articles_and_keys_then_deletes_the_emptied_sources(self):
        target = Source.objects.get(name="中国经济网")
        other = Source.objects.get(name="中国网科技")
        SourceKey.objects.create(source=other, key="chinatech")
        moved_ids = set(other.articles.values_list("pk", flat=True))
        changelist = reverse("admin:articles_source_changelist")
        ids = [target.pk, other.pk]

        page = self.client.post(changelist, {"action": "merge_selected", "_selected_action": ids,
                                             "index": 0})
        self.assertEqual(page.status_code, 200)
        self.assertContains(page, "合并来源")
        self.assertContains(page, 'type="radio"')

        response = self.client.post(changelist, {
            "action": "merge_selected", "_selected_action": ids, "apply": "1",
            "select_across": "0", "target": target.pk,
        })
        self.assertRedirects(response, changelist)
        self.assertFalse(Source.objects.filter(pk=other.pk).exists())
        self.assertEqual(set(target.articles.values_list("pk", flat=True)) & moved_ids, moved_ids)
        self.assertEqual(target.articles.count(), 3)
        self.assertEqual(SourceKey.objects.get(key="chinatech").source, target)
        self.assertEqual(SourceKey.objects.get(key="中国网科技").source, target)
        self.assertEqual(Article.objects.count(), 5)
        self.assertTrue(LogEntry.objects.filter(action_flag=CHANGE, object_id=str(target.pk)).exists())
        self.assertTrue(LogEntry.objects.filter(action_flag=DELETION, object_id=str(other.pk)).exists())

    def test_merge_needs_two_sources(self):
        source = Source.objects.first()
        response = self.client.post(reverse("admin:articles_source_changelist"), {
            "action": "merge_selected", "_selected_action": [source.pk], "index": 0,
        }, follow=True)
        self.assertIn("请至少选择两个来源进行合并。", [str(m) for m in response.context["messages"]])
        self.assertTrue(Source.objects.filter(pk=source.pk).exists())

    def test_source_autocomplete(self):
        response = self.client.get(reverse("admin:autocomplete"), {
            "app_label": "articles", "model_name": "article", "field_name": "source",
            "term": "经济",
        })
        self.assertEqual([r["text"] for r in response.json()["results"]], ["中国经济网"])


class CategoryAdminTests(DeskTestCase):
    def test_list_shows_order_rules_and_counts(self):
        response = self.client.get(reverse("admin:articles_category_changelist"))
        row = row_of(response, "综合")
        general = Category.objects.get(slug="general")
        count = Article.objects.filter(category=general).count()
        self.assertIn(f"category__id__exact={general.pk}\">{count}</a>", row)
        self.assertIn('name="form-4-order"', response.content.decode())
        self.assertIn("央行、人民银行、国务院、发改委、财政部、统计局、商务部、银保监会 等 49 个",
                      row_of(response, "宏观"))

    def test_reapply_action_on_categories(self):
        tech = Category.objects.get(slug="tech")
        tech.keywords = "苏宁易购"
        tech.order = 1
        tech.save()
        companies = Category.objects.get(slug="companies")
        response = self.client.post(reverse("admin:articles_category_changelist"), {
            "action": "reapply_rules_to_categories", "_selected_action": [companies.pk],
            "index": 0,
        }, follow=True)
        self.assertIn("已按规则重新归类", str(list(response.context["messages"])[0]))
        self.assertEqual(suning_haier().category, tech)


class StockAdminTests(DeskTestCase):
    def test_counts_and_editable_name(self):
        response = self.client.get(reverse("admin:articles_stock_changelist"), {"q": "SZ002024"})
        stock = Stock.objects.get(market="SZ", code="002024")
        self.assertIn(f"stocks__id__exact={stock.pk}\">1</a>", row_of(response, ">SZ002024</a>"))
        url = reverse("admin:articles_stock_change", args=[stock.pk])
        self.client.post(url, {"market": "SZ", "code": "002024", "name": "苏宁易购", "full_name": "",
                               "former_names": '["ST易购"]', "listed_on": "2004-07-21", "is_listed": "on"})
        stock.refresh_from_db()
        self.assertEqual((stock.name, stock.name_source), ("苏宁易购", Stock.NameSource.EDITOR))

    def test_autocomplete_by_full_symbol_and_by_name(self):
        Stock.objects.filter(market="SH", code="600690").update(name="海尔智家")

        def search(term):
            response = self.client.get(reverse("admin:autocomplete"), {
                "app_label": "articles", "model_name": "article", "field_name": "stocks",
                "term": term,
            })
            return [r["text"] for r in response.json()["results"]]

        self.assertEqual(search("SZ002024"), ["SZ002024 ST易购"])
        self.assertEqual(search("sh600690"), ["SH600690 海尔智家"])
        self.assertEqual(search("海尔"), ["SH600690 海尔智家", "SH688139 海尔生物"])
        self.assertIn("SZ002024 ST易购", search("苏宁易购"))  # a former name
        self.assertIn("SH600519 贵州茅台", search("gzmt"))  # pinyin initials


class TagAdminTests(DeskTestCase):
    def test_tags_with_counts(self):
        suning_haier().tags.add("家电")
        response = self.client.get(reverse("admin:articles_articletag_changelist"))
        self.assertIn(">1</a>", row_of(response, "家电"))


class ImportLedgerTests(TestCase):
    def setUp(self):
        self.client.force_login(make_editor())
        directory = temp_dir(self)
        seed_copy(directory, next(SEEDS.glob("000_*.txt")))
        (directory / "empty.md").write_bytes(b"")
        (directory / "binary.txt").write_bytes(b"\x00\x01\x02binary")
        self.report = import_files(directory)
        self.run = ImportRun.objects.get(pk=self.report.run_id)

    def test_ledger_lists_counts_duration_and_filters_failed(self):
        self.assertEqual((self.run.created, self.run.failed), (1, 2))
        ok_run = ImportRun.objects.get(pk=import_files(temp_dir(self)).run_id)
        self.assertEqual(ok_run.failed, 0)
        changelist = reverse("admin:articles_importrun_changelist")
        response = self.client.get(changelist)
        row = row_of(response, f"#{self.run.pk} ")
        self.assertIn("有失败", row)
        self.assertIn(" 秒", row)
        failed = self.client.get(changelist, {"failures": "yes"})
        self.assertEqual([run.pk for run in failed.context["cl"].result_list], [self.run.pk])

    def test_a_failed_file_shows_its_reason(self):
        detail = self.client.get(reverse("admin:articles_importrun_change", args=[self.run.pk]))
        html = detail.content.decode()
        failure = ImportFileResult.objects.get(run=self.run, path__endswith="empty.md")
        self.assertIn("file is empty", failure.error)
        # The editor reads the reason in Chinese; the recorded text stays beneath it.
        self.assertIn("文件为空", html)
        self.assertIn("二进制文件（含空字节），不是新闻文本", html)
        self.assertIn(failure.error, html)
        # Failures are listed before the created file, each linked to its own page.
        self.assertLess(html.index("empty.md"), html.index("000_ce3d7ca2cd05df07.txt"))
        self.assertIn(reverse("admin:articles_importfileresult_change", args=[failure.pk]), html)
        results = self.client.get(
            reverse("admin:articles_importfileresult_changelist"),
            {"run__id__exact": self.run.pk, "outcome__exact": "failed"},
        )
        self.assertEqual(results.status_code, 200)
        self.assertEqual(results.context["cl"].result_count, 2)
        self.assertIn("文件为空", row_of(results, "empty.md"))
        one = self.client.get(reverse("admin:articles_importfileresult_change", args=[failure.pk]))
        self.assertContains(one, "文件为空")
        self.assertContains(one, "file is empty")
        # Every label is Chinese: the run's foreign key has no Chinese verbose name of its own.
        self.assertNotContains(one, "Run:")
        self.assertContains(one, "批次:")

    def test_run_page_is_a_readable_ledger_not_a_formset(self):
        html = self.client.get(
            reverse("admin:articles_importrun_change", args=[self.run.pk])
        ).content.decode()
        # The paths are listed one a line, not as the JSON list the model stores.
        self.assertNotIn('["', html)
        self.assertIn(f"<code>{self.run.paths[0]}</code>", html)
        # No inline formset: no management form, no per-row "path: outcome" captions.
        self.assertNotIn("TOTAL_FORMS", html)
        self.assertNotIn(": 失败</p>", html)
        self.assertIn('<table class="nr-table nr-file-results">', html)

    def test_a_conflict_says_what_the_editor_must_do(self):
        directory = temp_dir(self)
        path = seed_copy(directory, next(SEEDS.glob("000_*.txt")))
        import_files(path)
        article = suning_haier()
        article.title = "编辑改过的标题"
        article.save()
        path.write_text(path.read_text(encoding="utf-8").replace("苏宁易购海尔召开", "苏宁易购与海尔召开"),
                        encoding="utf-8")
        run = ImportRun.objects.get(pk=import_files(path).run_id)
        self.assertEqual(run.conflicts, 1)
        response = self.client.get(reverse("admin:articles_importrun_change", args=[run.pk]))
        self.assertContains(response, "等编辑在稿件页决定采用哪个版本")


class ImportReasonTests(TestCase):
    """Reasons recorded by the real pipeline, retold in Chinese for the ledger."""

    def reasons_of(self, files: dict[str, bytes]) -> dict[str, str]:
        directory = temp_dir(self)
        for name, data in files.items():
            (directory / name).write_bytes(data)
        run = ImportRun.objects.get(pk=import_files(directory).run_id)
        return {
            result.path.rsplit("/", 1)[-1]: result.error
            for result in run.results.filter(outcome=ImportFileResult.Outcome.FAILED)
        }

    def test_every_failure_of_the_pipeline_reads_in_chinese(self):
        recorded = self.reasons_of({
            "empty.txt": b"",
            "binary.txt": b"\x00\x01binary",
            "bom.txt": b"\xff\xfe\x00\xd8",
            # Broken YAML with no field to read line by line (an unclosed quote in a title
            # is recovered: tests/test_ingest_variants.py).
            "yaml.txt": '---\n"未闭合: [2022\n---\n<p>正文</p>\n'.encode(),
            "open.txt": "---\ntitle: 没有结尾\n".encode(),
            "gbk.txt": bytes(range(0x80, 0xFF)) * 3,
        })
        self.assertEqual(len(recorded), 6, recorded)
        for name, error in recorded.items():
            with self.subTest(name, error=error):
                chinese = explain(error)
                self.assertNotEqual(chinese, error)
                self.assertIsNone(re.search(r"[A-Za-z]{4,}", chinese.replace("YAML", "")))

    def test_every_refusal_of_reading_and_parsing_reads_in_chinese(self):
        # One of each message articles/ingest/reading.py, parsing.py and pipeline.py record.
        for error in [
            "file disappeared while importing", "symlink loop", "symlink cannot be followed: I/O error",
            "symlink to /etc, outside the import roots (add its folder to NEWSROOM_IMPORT_ROOTS to allow it)",
            "leads to /etc/passwd, outside the import roots", "not a regular file (a FIFO)",
            "not a regular file (a character device)", "cannot inspect: I/O error",
            "a hard link (2 names for one file): its other names may lie outside the import roots",
            "cannot open the file: I/O error", "file is too large (more than 5,242,880 bytes)",
            "front matter uses YAML aliases (*name), which a news header never needs",
            "front matter is too large (70,000 bytes; the limit is 65,536)",
            "front matter nests more than 20 levels deep", "path is longer than 1000 characters",
            "the parser process died on this file (out of memory?)", "parsing took longer than 20 s",
            "the post has no story text (front matter only, or only debris)",
            "left out 2 picture(s) without a web address (relative or inline)",
        ]:
            with self.subTest(error):
                chinese = explain(error)
                self.assertNotEqual(chinese, error)
                self.assertIsNone(re.search(r"[A-Za-z]{4,}", re.sub(r"YAML|NEWSROOM_\w+|/\S+|I/O error", "", chinese)))

    def test_details_are_carried_over(self):
        self.assertEqual(explain("front matter is not valid YAML at line 4: found x"),
                         "头信息第 4 行不是有效的 YAML")
        self.assertEqual(explain("same text as article #12; kept once"),
                         "与稿件 #12 正文相同，只保留一篇")
        self.assertEqual(explain("file is too large (1,234 bytes; the limit is 1,000)"),
                         "文件过大（1,234 字节，上限 1,000 字节）")
        self.assertEqual(explain("something new"), "something new")
        self.assertEqual(reason_html("something new"), "something new")
        self.assertEqual(reason_html("", outcome="created"), "—")


class TombstoneAdminTests(DeskTestCase):
    def test_deleted_article_is_listed_and_can_be_released(self):
        article = suning_haier()
        self.client.post(reverse("admin:articles_article_delete", args=[article.pk]), {"post": "yes"})
        self.assertFalse(Tombstone.objects.exists())  # in the trash: not yet deleted
        trash.empty(Article.objects.filter(pk=article.pk))  # the chief empties the trash
        response = self.client.get(reverse("admin:articles_tombstone_changelist"))
        self.assertContains(response, article.title)
        self.assertEqual(self.client.get(reverse("admin:articles_tombstone_add")).status_code, 403)
        changelist = reverse("admin:articles_tombstone_changelist")
        ids = list(Tombstone.objects.values_list("pk", flat=True))
        self.client.post(changelist, {"action": "delete_selected", "_selected_action": ids,
                                      "post": "yes"})
        self.assertEqual(Tombstone.objects.count(), 0)
        self.assertEqual(import_files(SEEDS, force=True).created, 1)
