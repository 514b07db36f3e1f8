"""The import pipeline and command on the real database: idempotence, edit safety, bad input."""

import io
import json
import os
import shutil
import tempfile
from pathlib import Path

from django.core.management import call_command
from django.test import TestCase

from articles.models import (
    Article,
    ArticleTag,
    ImportedFile,
    ImportFileResult,
    ImportRun,
    Source,
    Stock,
    TaggedArticle,
)

FIXTURES = Path(__file__).resolve().parent / "fixtures"
SEEDS = FIXTURES / "seeds"
CORPUS = FIXTURES / "finews"


def run_import(*paths, expect_exit: int | None = 0, extra=()) -> dict:
    """Run the command with --json; check its exit status unless `expect_exit` is None."""
    out, err = io.StringIO(), io.StringIO()
    code = 0
    try:
        call_command("import_articles", *map(str, paths), "--json", *extra, stdout=out, stderr=err)
    except SystemExit as exc:
        code = exc.code
    assert expect_exit is None or code == expect_exit, (
        f"exit {code}, expected {expect_exit}: {out.getvalue()} {err.getvalue()}")
    return json.loads(out.getvalue())


def row_counts() -> dict:
    return {model.__name__: model.objects.count()
            for model in (Article, Source, Stock, ArticleTag, TaggedArticle, Article.stocks.through)}


class TempDirMixin:
    def setUp(self):
        super().setUp()
        self.dir = Path(tempfile.mkdtemp())
        self.addCleanup(shutil.rmtree, self.dir, True)

    def copy_seed(self, prefix: str, name: str | None = None) -> Path:
        src = next(SEEDS.glob(f"{prefix}_*.txt"))
        dst = self.dir / (name or src.name)
        shutil.copyfile(src, dst)
        return dst

    def write(self, name: str, data: bytes) -> Path:
        path = self.dir / name
        path.write_bytes(data)
        return path


class SeedImportTests(TempDirMixin, TestCase):
    def test_seeds_import_with_exact_fields_and_no_debris(self):
        result = run_import(SEEDS)
        self.assertEqual((result["created"], result["failed"], result["errors"]), (5, 0, []))
        a = Article.objects.get(external_id="NW202202212282659685")
        self.assertEqual(a.title, "共创新价值 苏宁易购海尔召开2022年战略对接暨春季启动会")
        self.assertEqual(a.source.name, "中国经济网")
        self.assertEqual(a.source.slug, "zhongguojingjiwang")
        self.assertEqual(sorted(s.symbol for s in a.stocks.all()), ["SH600690", "SZ002024"])
        self.assertEqual(a.status, Article.Status.REVIEW)
        self.assertEqual(a.inferred_fields, [])
        self.assertIsNotNone(a.category)  # assigned by the editors' keyword rules
        self.assertEqual(a.front_matter["categories"], "zhongguojingjiwang")
        dump = Article.objects.get(title="2022京东家电合作伙伴大会在京召开")
        self.assertEqual(dump.source.name, "中国网科技")
        self.assertEqual(dump.inferred_fields, ["published_at", "title"])
        self.assertTrue(dump.needs_review)
        for article in Article.objects.all():
            for word in ("EM_StockImg", "display:none", "文章来源", "返回首页", "withounder", "K图",
                         "神舟十五号", "中国网是国务院新闻办公室", "官方微信"):
                self.assertNotIn(word, article.body)
        run = ImportRun.objects.get(pk=result["run"])
        self.assertEqual((run.status, run.created), (ImportRun.Status.OK, 5))

    def test_every_corpus_post_imports(self):
        result = run_import(CORPUS)
        self.assertEqual(result["failed"], 0, result["errors"])
        # INDEX.tsv is not news (not read); the site's opening notice (sitenews) is read and
        # ignored, with its reason in the ledger.
        self.assertEqual(result["ignored"], 2)
        self.assertEqual(ImportFileResult.objects.get(outcome="ignored").path,
                         str(CORPUS / "2021-12-01-init.md"))
        self.assertEqual(result["created"] + result["updated"] + result["unchanged"], 83)
        titles = set(Article.objects.values_list("title", flat=True))
        for path in CORPUS.glob("*.md"):
            if "categories: sitenews" in path.read_text("utf-8"):
                continue
            line = next(x for x in path.read_text("utf-8").splitlines() if x.startswith("title:"))
            title = json.loads(line.split(":", 1)[1].strip())
            if title:
                self.assertIn(title, titles, path.name)

    def test_status_option_publishes_what_was_not_guessed(self):
        run_import(SEEDS, extra=["--status", "published"])
        # The two page dumps' titles and dates were guessed: they wait for an editor.
        self.assertEqual(Article.objects.published().count(), 3)
        guessed = Article.objects.exclude(status="published")
        self.assertEqual(set(guessed.values_list("status", "needs_review", "source_format")),
                         {("review", True, "text")})
        self.assertEqual(guessed.count(), 2)

    def test_trust_inferred_publishes_guessed_stories_too(self):
        run_import(SEEDS, extra=["--status", "published", "--trust-inferred"])
        self.assertEqual(Article.objects.published().count(), 5)
        # Trusted, but still flagged: an editor can find what was guessed.
        self.assertEqual(Article.objects.filter(needs_review=True).count(), 2)

    def test_a_draft_run_keeps_guessed_stories_as_drafts(self):
        run_import(SEEDS, extra=["--status", "draft"])
        self.assertEqual(set(Article.objects.values_list("status", flat=True)), {"draft"})


class IdempotenceTests(TempDirMixin, TestCase):
    def test_rerun_skips_and_forced_rerun_changes_nothing(self):
        first = run_import(SEEDS, CORPUS)
        before = row_counts()
        second = run_import(SEEDS, CORPUS)
        self.assertEqual((second["created"], second["updated"], second["failed"]), (0, 0, 0))
        read_and_ignored = ImportFileResult.objects.filter(run_id=first["run"], outcome="ignored").count()
        self.assertEqual(read_and_ignored, 1)  # the site's notice, recorded as read
        self.assertEqual(second["skipped"],
                         first["created"] + first["updated"] + first["unchanged"] + read_and_ignored)
        forced = run_import(SEEDS, CORPUS, extra=["--force"])
        self.assertEqual((forced["created"], forced["updated"], forced["conflicts"]), (0, 0, 0))
        self.assertEqual(row_counts(), before)

    def test_same_story_under_other_names_is_not_duplicated(self):
        run_import(SEEDS)
        text = next(SEEDS.glob("000_*.txt")).read_bytes()
        self.write("2022-02-21-NW202202212282659685.md", text)
        self.write("2022-02-21-202202212282659685.md", text.replace(b"NW2022022122", b"2022022122"))
        self.write("copy-from-another-feed.txt", text.replace(
            b"http://finews.zning.xyz/html_News/NewsShare.html?infoCode=NW202202212282659685",
            b"https://mirror.example.com/a/1.html"))
        result = run_import(self.dir)
        self.assertEqual(result["created"], 0, result)
        self.assertEqual(result["duplicates"], 1, result)  # the mirror's copy, matched by its words
        self.assertEqual(Article.objects.filter(title__startswith="共创新价值").count(), 1)

    def test_a_numbered_reprint_is_a_new_story_in_one_batch_or_the_next_run(self):
        # The same words under another of the publisher's numbers are two stories (its wire
        # and its site, say): the batch insert and the file-by-file path must agree on it.
        text = next(SEEDS.glob("000_*.txt")).read_bytes()
        self.write("first.md", text)
        self.write("reprint.md", text.replace(b"202202212282659685", b"202202212282659111"))
        first = run_import(self.dir)
        self.write("later.md", text.replace(b"202202212282659685", b"202202212282659222"))
        later = run_import(self.dir)
        self.assertEqual((first["created"], first["duplicates"], later["created"]), (2, 0, 1))
        copies = Article.objects.filter(title__startswith="共创新价值").order_by("pk")
        self.assertEqual([a.external_id[-3:] for a in copies], ["685", "111", "222"])
        # The words' fingerprint stays with the first; the reprints carry none (it is unique).
        self.assertEqual([bool(a.fingerprint) for a in copies], [True, False, False])
        self.assertEqual(len({a.search_text for a in copies}), 1)

    def test_a_run_leaves_the_garbage_collector_as_it_found_it(self):
        import gc

        before = (gc.get_threshold(), gc.get_freeze_count())
        run_import(SEEDS)
        run_import(self.write("bad.md", b"---\ntitle: [\n---\n"), expect_exit=None)
        self.assertEqual((gc.get_threshold(), gc.get_freeze_count()), before)

    def test_dry_run_writes_nothing(self):
        result = run_import(SEEDS, extra=["--dry-run"])
        self.assertEqual(result["created"], 5)
        self.assertEqual(Article.objects.count(), 0)
        self.assertEqual(ImportRun.objects.count(), 0)
        self.assertEqual(ImportedFile.objects.count(), 0)


class SourceTests(TempDirMixin, TestCase):
    def test_a_merged_source_stays_merged_when_stories_still_name_it(self):
        from articles.admin.sources import merge_sources

        run_import(SEEDS)
        old = Source.objects.get(name="中国经济网")
        target = Source.objects.create(name="中国经济网（合并）", slug="ce-merged")
        merge_sources(target, [old])
        self.write("2022-03-01-NW202203019999000001.md", (
            '---\nlayout: post\ntitle: "合并后的来源仍然归入目标来源"\ndate: 2022-03-01 09:00:00 +0800\n'
            "categories: emnews\ntags: 东财滚动新闻\n---\n"
            "<p>这是一篇新的稿件，用来检查编辑合并来源之后，导入程序不会重新建立已合并的来源。</p>"
            '<p class="em_media">（文章来源：中国经济网）</p>\n'
        ).encode())
        result = run_import(self.dir)
        self.assertEqual(result["created"], 1, result)
        article = Article.objects.get(title="合并后的来源仍然归入目标来源")
        self.assertEqual(article.source, target)
        self.assertFalse(Source.objects.filter(name="中国经济网").exists())


class EditSafetyTests(TempDirMixin, TestCase):
    def test_changed_file_updates_unedited_fields_and_keeps_editor_changes(self):
        path = self.copy_seed("000")
        run_import(self.dir)
        article = Article.objects.get(external_id="NW202202212282659685")
        article.title = "编辑改过的标题"
        article.save()
        text = path.read_text("utf-8")
        text = text.replace("共创新价值 苏宁易购", "新版标题 苏宁易购")
        text = text.replace("提高经营效益。", "提高经营效益，更新。")
        path.write_text(text, "utf-8")
        os.utime(path, ns=(1, 2_000_000_000_000_000_000))
        result = run_import(self.dir)
        self.assertEqual(result["conflicts"], 1, result)
        article.refresh_from_db()
        self.assertEqual(article.title, "编辑改过的标题")  # the editor's work survives
        self.assertIn("提高经营效益，更新。", article.body)  # the untouched field follows the source
        self.assertTrue(article.needs_review)
        self.assertEqual(article.pending_changes["fields"]["title"],
                         "新版标题 苏宁易购海尔召开2022年战略对接暨春季启动会")
        again = run_import(self.dir, extra=["--force"])
        self.assertEqual((again["updated"], again["conflicts"], again["unchanged"]), (0, 0, 1))

    def test_unedited_article_is_updated(self):
        path = self.copy_seed("004")
        run_import(self.dir)
        path.write_text(path.read_text("utf-8").replace("联合拓展企业级市场", "联合拓展市场"), "utf-8")
        os.utime(path, ns=(1, 2_000_000_000_000_000_000))
        result = run_import(self.dir)
        self.assertEqual(result["updated"], 1)
        self.assertTrue(Article.objects.filter(title="京东与美的签署战略合作协议 联合拓展市场").exists())

    def test_deleted_article_stays_deleted_and_rejected_stays_rejected(self):
        self.copy_seed("000")
        path = self.copy_seed("002")
        run_import(self.dir)
        Article.objects.filter(external_id="NW202202212282659685").delete()
        Article.objects.filter(external_id="NW202205122377568897").update(status="rejected")
        path.write_text(path.read_text("utf-8").replace("国美与华为", "国美和华为"), "utf-8")
        os.utime(path, ns=(1, 2_000_000_000_000_000_000))
        result = run_import(self.dir, extra=["--force"])
        self.assertEqual(result["created"], 0)
        self.assertEqual(result["suppressed"], 2, result)
        self.assertFalse(Article.objects.filter(external_id="NW202202212282659685").exists())
        gome = Article.objects.get(external_id="NW202205122377568897")
        self.assertEqual((gome.status, gome.title[:5]), ("rejected", "国美与华为"))


class BadInputTests(TempDirMixin, TestCase):
    def test_each_bad_file_fails_alone_with_its_path_and_reason(self):
        good = self.copy_seed("000")
        gbk = self.write("gbk.txt", next(SEEDS.glob("004_*.txt")).read_text("utf-8").encode("gbk"))
        bom = self.write("bom.md", b"\xef\xbb\xbf" + next(SEEDS.glob("002_*.txt")).read_bytes())
        bad = {
            "empty.md": (b"", "empty"),
            "binary.md": (b"\x00\x01\x02PNG" * 20, "binary"),
            "truncated.md": (b'---\ntitle: "x"\n', "not closed"),
            "yaml.md": (b"---\n- : [\n  title: \"x\n---\nbody", "YAML"),  # no field to recover
            "huge.md": (b"---\ntitle: x\n---\n" + "很长".encode() * 40_000, "too large"),
            "undecodable.txt": (b"abc \x80\xff\xc3\x28 " * 50, "undecodable"),
        }
        for name, (data, _) in bad.items():
            self.write(name, data)
        os.symlink(self.dir / "missing-target.md", self.dir / "broken-link.md")
        before = Article.objects.count()
        result = run_import(self.dir, expect_exit=1, extra=["--max-bytes", "50000"])
        errors = {Path(e["path"]).name: e["error"] for e in result["errors"]}
        for name, (_, reason) in bad.items():
            self.assertIn(reason, errors.get(name, ""), f"{name}: {errors.get(name)}")
        self.assertIn("broken symlink", errors["broken-link.md"])
        self.assertEqual(result["created"], 3)  # the good, the GBK and the BOM file
        self.assertEqual(Article.objects.count(), before + 3)
        title = "京东与美的签署战略合作协议 联合拓展企业级市场"
        self.assertTrue(Article.objects.filter(title=title).exists())
        self.assertTrue(Article.objects.filter(source_file=str(bom)).exists())
        self.assertTrue(Article.objects.filter(source_file=str(good)).exists())
        self.assertTrue(Article.objects.filter(source_file=str(gbk)).exists())
        run = ImportRun.objects.get(pk=result["run"])
        self.assertEqual(run.status, ImportRun.Status.FAILED)
        self.assertEqual(ImportFileResult.objects.filter(run=run, outcome="failed").count(), len(bad) + 1)

    def test_linked_folders_are_followed_once_and_loops_end(self):
        feed = Path(tempfile.mkdtemp())
        self.addCleanup(shutil.rmtree, feed, True)
        shutil.copy(next(SEEDS.glob("000_*")), feed / "story.md")
        os.symlink(feed, self.dir / "feed")  # a feed's folder linked into the drop folder
        os.symlink(feed, self.dir / "feed-again")  # twice
        os.symlink(self.dir, feed / "back-up")  # and a loop back to the top
        refused = run_import(self.dir, expect_exit=1)  # the feed's folder is not an allowed root
        self.assertEqual((refused["created"], refused["failed"]), (0, 2), refused)
        self.assertIn("outside the import roots", refused["errors"][0]["error"])
        with self.settings(NEWSROOM_IMPORT_ROOTS=[str(feed)]):
            result = run_import(self.dir)
        self.assertEqual((result["created"], result["failed"], result["duplicates"]), (1, 0, 0), result)
        self.assertTrue(Article.objects.filter(external_id="NW202202212282659685").exists())

    def test_human_output_names_failures_without_traceback(self):
        self.write("empty.md", b"")
        out, err = io.StringIO(), io.StringIO()
        with self.assertRaises(SystemExit) as ctx:
            call_command("import_articles", str(self.dir), stdout=out, stderr=err)
        self.assertEqual(ctx.exception.code, 1)
        self.assertIn(f"FAILED {self.dir / 'empty.md'}: file is empty", err.getvalue())
        self.assertNotIn("Traceback", err.getvalue() + out.getvalue())
        self.assertIn("0 created", out.getvalue())

    def test_hostile_html_is_imported_sanitised(self):
        self.write("xss.md", (
            '---\ntitle: "脚本测试"\ndate: 2022-01-01 10:00:00 +0800\n---\n'
            '<p onmouseover="alert(1)">正文<script>alert(2)</script><a href="javascript:alert(3)">x</a>'
            '<iframe src="//evil"></iframe></p>').encode())
        run_import(self.dir)
        body = Article.objects.get(title="脚本测试").body
        for bad in ("onmouseover", "<script", "javascript:", "<iframe"):
            self.assertNotIn(bad, body)
