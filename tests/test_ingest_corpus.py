"""The variant corpus (tests/fixtures/variants): every file form a scraper may leave, imported
through the real pipeline. What each file must become is written here by hand.

good/ must import faithfully, refused/ must fail with its path and a reason, ignored/ must be
listed as not news. make_variants.py in that folder wrote the files.
"""

import json
import shutil
from datetime import datetime
from io import StringIO
from zoneinfo import ZoneInfo

from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import TestCase
from django.urls import reverse

from articles.admin.reasons import explain
from articles.ingest.pipeline import import_paths
from articles.ingest.reading import recorded_path
from articles.models import Article, ImportFileResult, ImportRun
from tests.admin_support import CORPUS, FIXTURES, SEEDS, temp_dir

VARIANTS = FIXTURES / "variants"
GOOD, REFUSED, IGNORED = VARIANTS / "good", VARIANTS / "refused", VARIANTS / "ignored"
BEIJING = ZoneInfo("Asia/Shanghai")


def at(*parts) -> datetime:
    return datetime(*parts, tzinfo=BEIJING)


# file: (title, Beijing time, what was guessed, source, stocks)
EXPECTED = {
    "utf8-bom.md": ("宁德时代：钠离子电池产业链已初步建立", at(2022, 3, 2, 9, 15), set(), "证券时报", {"SZ300750"}),
    "utf16-le.md": ("国家统计局：2月份CPI同比上涨0.9%", at(2022, 3, 9, 9, 30), set(), "东财滚动新闻", set()),
    "utf16-be.md": ("北向资金今日净买入超60亿元", at(2022, 3, 10, 15, 5), set(), "东财滚动新闻", set()),
    "gbk.md": ("比亚迪：2月新能源汽车销量同比增长超7倍", at(2022, 3, 1, 17, 40), set(), "东财滚动新闻", {"SZ002594"}),
    "crlf.md": ("央行开展100亿元7天期逆回购操作", at(2022, 3, 3, 9, 20), set(), "东财滚动新闻", set()),
    # A date without a zone is Beijing time, as the site's are.
    "date-without-zone.md": ("港股收评：恒指跌1.2% 科技股普跌", at(2022, 3, 4, 16, 10), set(), "东财滚动新闻", set()),
    "date-iso.md": ("工信部：加快推进5G网络建设", at(2022, 3, 5, 10, 0), set(), "东财滚动新闻", set()),
    # The text writes 中国平安(601318): a code in the text links the stock.
    "date-only-day.md": ("中国平安：2021年净利润1016亿元", at(2022, 3, 17), set(), "东财滚动新闻", {"SH601318"}),
    # No date, or none readable: the day in the story id (…/news/1354,20220317….html).
    "date-missing.md": ("美联储宣布加息25个基点", at(2022, 3, 17), {"published_at"}, "东财滚动新闻", set()),
    "date-unparseable.md": ("原油期货盘中大涨5%", at(2022, 3, 16), {"published_at"}, "东财滚动新闻", set()),
    "relative-backlinks.md": ("沪指收涨1.1% 两市成交额超万亿元", at(2022, 3, 18, 15, 2), set(), "东财滚动新闻", set()),
    "title-only-body.md": ("离岸人民币兑美元跌破6.38", at(2022, 3, 15, 10, 31), set(), "东财滚动新闻", set()),
    "images.md": ("小米发布新款智能手机", at(2022, 3, 15, 20, 0), set(), "东财滚动新闻", {"HK01810"}),
    "tags-as-lists.md": ("锂矿板块午后拉升 天齐锂业涨停", at(2022, 3, 21, 13, 45), set(), "东财滚动新闻", set()),
    "empty-title.md": ("格力电器(000651)公告，拟以自有资金回购公司股份，回购金额不低于30亿元",
                       at(2022, 3, 22, 11, 0), {"title"}, "东财滚动新闻", {"SZ000651"}),
}
# Page dumps: the title is guessed from the first sentence, the date from the text or the file.
DUMPS = {
    "page-dump-gb18030.txt": ("3月23日，海尔智家发布2021年年报", "中国经济网"),
    "page-dump-crlf.txt": ("3月24日，美的集团宣布与华为在智能家居领域达成合作", None),
}
REFUSED_BECAUSE = {
    "empty.md": "file is empty",
    "binary.md": "undecodable text",
    "random-bytes.md": "undecodable text",
    "front-matter-only.md": "the post has no story text",
    "unclosed-front-matter.md": "front matter is not closed",
    "nested-anchors.md": "YAML aliases",
}
IGNORED_BECAUSE = {
    "404.md": "a page of the site (layout: default)",
    "category-page.md": "a page of the site (layout: category)",
    "site-notice.md": "feed sitenews is ignored",
}


class GoodFilesTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.report = import_paths([str(GOOD)], status="published", workers=1)

    def article(self, name: str) -> Article:
        return Article.objects.get(source_file=recorded_path(str(GOOD / name)))

    def test_every_good_file_imports(self):
        self.assertEqual(self.report.failed, 0, self.report.errors)
        self.assertEqual(self.report.created, len(EXPECTED) + len(DUMPS))

    def test_titles_dates_sources_and_stocks(self):
        for name, (title, published_at, guessed, source, stocks) in EXPECTED.items():
            with self.subTest(name):
                article = self.article(name)
                self.assertEqual(article.title, title)
                self.assertEqual(article.published_at, published_at)
                self.assertEqual(set(article.inferred_fields), guessed)
                self.assertEqual(article.source.name, source)
                self.assertEqual({s.symbol for s in article.stocks.all()}, stocks)
                # Published as asked, unless something had to be guessed.
                self.assertEqual(article.status, "review" if guessed else "published")
                self.assertEqual(article.needs_review, bool(guessed))

    def test_bodies_keep_the_story_and_lose_the_debris(self):
        for name in EXPECTED:
            with self.subTest(name):
                body = self.article(name).body
                self.assertTrue(body.startswith(("<p>", "<figure>")), body)
                for debris in ("\r", "返回", "](", "../", "EM_StockImg", "webquoteklinepic",
                               "文章来源", "display:none", "finance.eastmoney.com/news"):
                    self.assertNotIn(debris, body)

    def test_two_paragraphs_survive_crlf_and_utf16(self):
        for name in ("crlf.md", "utf16-le.md"):
            with self.subTest(name):
                self.assertEqual(self.article(name).body.count("<p>"), 2)

    def test_a_body_that_only_repeats_the_title_is_kept(self):
        self.assertEqual(self.article("title-only-body.md").body, "<p>离岸人民币兑美元跌破6.38。</p>")

    def test_pictures_with_web_addresses_stay_and_the_others_go_with_a_note(self):
        article = self.article("images.md")
        self.assertEqual(article.body.count("<figure>"), 2)
        self.assertIn('src="https://np-newspic.dfcfw.com/download/D25411840164398846730_w690h389.jpg"',
                      article.body)
        # The Markdown picture became one, with its words as the alt text.
        self.assertIn('alt="发布会现场"', article.body)
        self.assertNotIn("local-only.png", article.body)
        self.assertNotIn("data:", article.body)
        note = ImportFileResult.objects.get(article=article).error
        self.assertIn("2 picture(s) without a web address", note)
        self.assertEqual(explain(note), "删去了 2 张没有网址的图片（站内相对地址或内嵌图片）")

    def test_page_dumps_lose_the_hosts_credits_and_links(self):
        for name, (title_start, source) in DUMPS.items():
            with self.subTest(name):
                article = self.article(name)
                self.assertTrue(article.title.startswith(title_start), article.title)
                self.assertEqual(article.source.name if article.source else None, source)
                self.assertEqual(set(article.inferred_fields), {"title", "published_at"})
                self.assertEqual(article.status, "review")
                for debris in ("关于我们", "网站地图", "责任编辑", "本文来源", "\r"):
                    self.assertNotIn(debris, article.body)
                self.assertEqual(article.body.count("<p>"), 2)

    def test_the_unreadable_date_is_named_in_the_ledger(self):
        note = ImportFileResult.objects.get(article=self.article("date-unparseable.md")).error
        self.assertIn("昨天下午", note)
        self.assertIn("日期无法识别", explain(note))


class RefusedAndIgnoredTests(TestCase):
    def test_each_bad_file_fails_with_its_path_and_a_reason_and_the_run_goes_on(self):
        report = import_paths([str(REFUSED), str(IGNORED), str(GOOD / "gbk.md")], workers=1)
        self.assertEqual(report.created, 1)
        failed = {row.path: row.error for row in ImportFileResult.objects.filter(outcome="failed")}
        self.assertEqual(len(failed), len(REFUSED_BECAUSE))
        for name, reason in REFUSED_BECAUSE.items():
            with self.subTest(name):
                error = failed[recorded_path(str(REFUSED / name))]
                self.assertIn(reason, error)
                self.assertNotEqual(explain(error), error, "an operator reads the reason in Chinese")

    def test_pages_and_notices_are_listed_as_ignored_not_imported(self):
        report = import_paths([str(IGNORED)], workers=1)
        self.assertFalse(Article.objects.exists())
        # The run's record counts them, and the desk's run page shows the count.
        self.assertEqual(ImportRun.objects.get(pk=report.run_id).ignored, len(IGNORED_BECAUSE))
        self.client.force_login(User.objects.create_superuser("chief", password="Zhubian-2024-pass"))
        page = self.client.get(reverse("admin:articles_importrun_change", args=[report.run_id]))
        self.assertContains(page, "已忽略")
        ignored = {row.path: row.error for row in ImportFileResult.objects.filter(outcome="ignored")}
        for name, reason in IGNORED_BECAUSE.items():
            with self.subTest(name):
                self.assertIn(reason, ignored[recorded_path(str(IGNORED / name))])

    def test_a_bad_rewrite_does_not_damage_the_stored_story(self):
        folder = temp_dir(self)
        story = folder / "story.md"
        shutil.copyfile(GOOD / "crlf.md", story)
        import_paths([str(folder)], workers=1)
        before = Article.objects.values().get()
        for bad in REFUSED_BECAUSE:
            with self.subTest(bad):
                shutil.copyfile(REFUSED / bad, story)
                report = import_paths([str(folder)], workers=1, force=True)
                self.assertEqual(report.failed, 1)
                self.assertEqual(Article.objects.values().get(), before)


class WholeCollectionTests(TestCase):
    """The acceptance run: seeds, the finews corpus and the variants that are news or pages."""

    def test_everything_real_imports_and_the_ledger_adds_up(self):
        paths = [SEEDS, CORPUS, GOOD, IGNORED]
        every = [p for root in paths for p in root.rglob("*") if p.is_file()]
        files = [p for p in every if p.suffix in {".md", ".txt"}]  # the rest is not read (INDEX.tsv)
        out = StringIO()
        call_command("import_articles", *map(str, paths), "--json", stdout=out)
        result = json.loads(out.getvalue())
        self.assertEqual(result["failed"], 0, result["errors"])
        # Ledger rows = files read: every file of the run has its row.
        self.assertEqual(ImportFileResult.objects.count(), len(files))
        # The counts add up to every file found; those not read (not .md or .txt) are counted
        # among the ignored, not listed.
        self.assertEqual(
            result["created"] + result["updated"] + result["unchanged"] + result["duplicates"]
            + result["suppressed"] + result["ignored"],
            len(every),
        )
        self.assertEqual(ImportFileResult.objects.filter(outcome="ignored").count(),
                         result["ignored"] - (len(every) - len(files)))
        # No page of the site became a story.
        self.assertFalse(Article.objects.filter(title__in=["404", "东财滚动新闻", "开站大吉"]).exists())
        self.assertFalse(Article.objects.filter(front_matter__layout__in=["default", "category", "page"]).exists())
        # No tag came from inside a source line (（文章来源：证券时报） links 证券 as a sector):
        # the source line is not in the body, so a tag from it would name a word the body lacks.
        tagged = Article.objects.filter(tags__isnull=False).distinct().prefetch_related("tags")
        self.assertTrue(tagged)
        for article in tagged:
            for tag in article.tags.all():
                self.assertIn(tag.name, article.body, (article.source_file, tag.name))
        # The machine-readable summary keeps its keys.
        self.assertEqual(set(result), {"run", "created", "updated", "unchanged", "skipped", "conflicts",
                                       "duplicates", "suppressed", "ignored", "failed", "dry_run", "errors"})
