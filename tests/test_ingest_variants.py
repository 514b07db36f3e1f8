"""What real scrapers write beyond the samples (issue: import fidelity): odd bytes, site pages,
the site's own notices. Each case is a realistic file run through the real parser or the
real import pipeline."""

import os
import re
from datetime import UTC, datetime

from django.test import SimpleTestCase, TestCase, override_settings

from articles.ingest.parsing import NotAStory, ParseError, parse_bytes
from articles.models import Article, ImportedFile, ImportFileResult
from tests.admin_support import CORPUS, SEEDS, import_files, temp_dir

CORPUS_NOTICE = "2021-12-01-init.md"  # the site's opening notice (categories: sitenews)

SHORT_POST = """---
layout: post
title: 央行开展逆回购操作
date: 2022-03-01 09:30:00 +0800
categories: zhongguojingjiwang
tags: 中国经济网新闻
---

<p>央行今日开展一百亿元七天期逆回购操作。</p>
<p>中标利率维持不变。</p>
"""

NOT_FOUND_PAGE = """---
layout: default
title: "404"
permalink: /404.html
---

<style type="text/css" media="screen">.container { margin: 10px auto; }</style>
<div class="container">
  <h1>404</h1>
  <p><strong>Page not found :(</strong></p>
  {% if site.posts.size > 0 %}<a href="{{ site.baseurl }}/">返回首页</a>{% endif %}
</div>
<script>window.location.href = "/";</script>
"""


def seed_text(prefix: str) -> str:
    return next(SEEDS.glob(f"{prefix}_*.txt")).read_text(encoding="utf-8")


class BytesTests(SimpleTestCase):
    def test_a_short_gbk_post_of_many_lines_is_read(self):
        parsed = parse_bytes(SHORT_POST.encode("gbk"), name="2022-03-01-short.md")
        self.assertEqual(parsed.title, "央行开展逆回购操作")
        self.assertIn("中标利率维持不变", parsed.text)

    def test_gbk_mojibake_is_still_refused(self):
        with self.assertRaises(ParseError) as ctx:
            parse_bytes(bytes(range(0x80, 0x100)) * 20, name="x.md")
        self.assertIn("undecodable", str(ctx.exception))

    def test_a_stray_nul_among_control_characters_is_stripped(self):
        text = seed_text("000").replace("苏宁易购与海尔召开", "苏宁易购\x00与海尔\x07召开\x1b", 1)
        parsed = parse_bytes(text.encode(), name="000.txt")
        self.assertEqual(parsed.title, "共创新价值 苏宁易购海尔召开2022年战略对接暨春季启动会")
        self.assertIn("苏宁易购与海尔召开", parsed.text)
        self.assertNotIn("\x00", parsed.body + parsed.text + parsed.title + parsed.summary)

    def test_bidirectional_overrides_are_stripped_from_the_whole_story(self):
        data = ("---\ntitle: \"标题\u202e反转\"\ndate: 2022-03-01 10:00:00 +0800\n---\n"
                "<p>正文\u202e倒序\u2066隔离\u2069文字。</p>\n").encode()
        parsed = parse_bytes(data, name="bidi.md")
        for text in (parsed.title, parsed.body, parsed.summary, parsed.text):
            self.assertIsNone(re.search("[\u202a-\u202e\u2066-\u2069]", text), text)
        self.assertIn("正文倒序隔离文字", parsed.body)

    def test_binary_files_are_still_refused(self):
        for data in (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(200),
                     b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + "压缩包".encode() * 3 + bytes(64),
                     seed_text("000").encode().replace(b"\xe3\x80\x82", b"\x00\x00\x00")):
            with self.assertRaises(ParseError) as ctx:
                parse_bytes(data, name="x.md")
            self.assertIn("binary", str(ctx.exception))


class SitePageTests(SimpleTestCase):
    def test_a_page_with_another_layout_is_not_a_story(self):
        for layout in ("default", "page", "home", "category"):
            with self.subTest(layout=layout), self.assertRaises(NotAStory) as ctx:
                parse_bytes(NOT_FOUND_PAGE.replace("default", layout).encode(), name="404.md")
            self.assertIn(f"layout: {layout}", str(ctx.exception))

    def test_posts_with_or_without_a_layout_are_stories(self):
        self.assertEqual(parse_bytes(SHORT_POST.encode(), name="a.md").title, "央行开展逆回购操作")
        no_layout = SHORT_POST.replace("layout: post\n", "")
        self.assertEqual(parse_bytes(no_layout.encode(), name="a.md").title, "央行开展逆回购操作")


class ImportTests(TestCase):
    def setUp(self):
        self.dir = temp_dir(self)

    def write(self, name: str, text: str):
        path = self.dir / name
        path.write_text(text, encoding="utf-8")
        return path

    def test_site_pages_and_the_sites_notices_are_ignored_and_listed_with_a_reason(self):
        page = self.write("404.md", NOT_FOUND_PAGE)
        notice = self.dir / CORPUS_NOTICE
        notice.write_bytes((CORPUS / CORPUS_NOTICE).read_bytes())
        post = self.write("2022-03-01-short.md", SHORT_POST)
        report = import_files(self.dir)
        self.assertEqual((report.created, report.ignored, report.failed), (1, 2, 0))
        self.assertEqual(list(Article.objects.values_list("source_file", flat=True)), [str(post)])
        rows = dict(ImportFileResult.objects.values_list("path", "error"))
        self.assertIn("layout: default", rows[str(page)])
        self.assertIn("sitenews", rows[str(notice)])
        self.assertEqual(set(ImportFileResult.objects.filter(outcome="ignored").values_list("path", flat=True)),
                         {str(page), str(notice)})
        # Read once: the next run does not parse them again, and still imports nothing of them.
        self.assertEqual(ImportedFile.objects.filter(path__in=[str(page), str(notice)]).count(), 2)
        again = import_files(self.dir)
        self.assertEqual((again.created, again.ignored, again.skipped), (0, 0, 3))

    @override_settings(NEWSROOM_IGNORED_FEEDS=frozenset())
    def test_the_operator_decides_which_feeds_are_ignored(self):
        notice = self.dir / CORPUS_NOTICE
        notice.write_bytes((CORPUS / CORPUS_NOTICE).read_bytes())
        self.assertEqual(import_files(self.dir).created, 1)
        self.assertEqual(Article.objects.get().title, "开站大吉")


SOURCE_LINE_LINK = re.compile(r"（文章来源：[^）]*?data-code=\"[^\"]*\">(?P<word>[^<]+)</a>")
BOARD_LINK = re.compile(r"data-code=\"90,BK\d+\">(?P<word>[^<]+)</a>")


class SourceLineTests(SimpleTestCase):
    def test_no_tag_comes_from_a_keyword_link_inside_the_source_line(self):
        checked = 0
        for path in sorted(CORPUS.glob("*.md")):
            raw = path.read_text(encoding="utf-8")
            inside = {m["word"] for m in SOURCE_LINE_LINK.finditer(raw)}
            if not inside:
                continue
            elsewhere = {m["word"] for m in BOARD_LINK.finditer(SOURCE_LINE_LINK.sub("", raw))}
            parsed = parse_bytes(raw.encode(), name=path.name)
            checked += 1
            self.assertFalse((inside - elsewhere) & set(parsed.tags), path.name)
            self.assertTrue(parsed.source_name, path.name)
        self.assertGreaterEqual(checked, 3, "the corpus has such source lines (证券时报, 上海证券报 …)")


class BrokenFrontMatterTests(TestCase):
    QUOTED = 'title: "董明珠称"格力不会造车" 苏宁易购海尔召开2022年战略对接会"'

    def seed_with(self, title_line: str) -> str:
        text = seed_text("000")
        line = next(x for x in text.splitlines() if x.startswith("title:"))
        return text.replace(line, title_line, 1)

    def test_unescaped_quotes_in_the_title_are_recovered_line_by_line(self):
        parsed = parse_bytes(self.seed_with(self.QUOTED).encode(), name="000.txt")
        self.assertEqual(parsed.title, '董明珠称"格力不会造车" 苏宁易购海尔召开2022年战略对接会')
        self.assertEqual(parsed.published_at.isoformat(), "2022-02-21T09:33:01+08:00")
        self.assertEqual((parsed.source_key, parsed.feed_name), ("zhongguojingjiwang", "中国经济网"))
        self.assertIn("read line by line", parsed.warnings[0])

    def test_the_ledger_says_the_fields_were_recovered(self):
        from articles.admin.reasons import explain

        directory = temp_dir(self)
        (directory / "000.txt").write_text(self.seed_with(self.QUOTED), encoding="utf-8")
        report = import_files(directory)
        self.assertEqual((report.created, report.failed), (1, 0))
        row = ImportFileResult.objects.get()
        self.assertEqual(row.outcome, "created")
        self.assertIn("read line by line", row.error)
        self.assertIn("已逐行读出各字段", explain(row.error))
        self.assertEqual(Article.objects.get().title, '董明珠称"格力不会造车" 苏宁易购海尔召开2022年战略对接会')

    def test_nothing_recoverable_still_fails(self):
        for block in ("---\n- [unclosed\n---\n<p>正文</p>\n", "---\n  title: [x\n---\n<p>正文</p>\n"):
            with self.assertRaises(ParseError) as ctx:
                parse_bytes(block.encode(), name="x.md")
            self.assertIn("not valid YAML", str(ctx.exception))


class StoryDateTests(TestCase):
    def test_a_date_in_a_clause_about_the_future_is_not_the_storys(self):
        from articles.ingest.dates import SITE_TZ, date_from_text

        now = datetime(2022, 6, 1, tzinfo=SITE_TZ)
        self.assertIsNone(date_from_text("2022年家电节，专卖店也将于2月21日惊喜开幕。", now=now))
        self.assertIsNone(date_from_text("新规预计3月1日起在2022年实施。", now=now))
        reported = date_from_text("2022年2月18日，公司宣布，新品将于2月21日开售。", now=now)
        self.assertEqual(reported.date().isoformat(), "2022-02-18")

    def test_a_page_dump_without_a_believable_date_takes_the_files_time_and_is_flagged(self):
        directory = temp_dir(self)
        dump = next(SEEDS.glob("003_*.txt"))
        self.assertIn("将于2月21日", dump.read_text(encoding="utf-8"))
        path = directory / dump.name
        path.write_bytes(dump.read_bytes())
        saved = datetime(2022, 2, 18, 10, 30, tzinfo=UTC)
        os.utime(path, (saved.timestamp(), saved.timestamp()))
        self.assertEqual(import_files(directory).created, 1)
        article = Article.objects.get()
        self.assertEqual(article.published_at, saved)
        self.assertIn("published_at", article.inferred_fields)
        self.assertTrue(article.needs_review)
        self.assertIn("modification time", ImportFileResult.objects.get().error)

    def test_a_guessed_date_does_not_move_when_the_file_is_saved_again(self):
        directory = temp_dir(self)
        path = directory / "dump.txt"
        path.write_bytes(next(SEEDS.glob("003_*.txt")).read_bytes())
        first = datetime(2022, 2, 18, 10, 30, tzinfo=UTC)
        os.utime(path, (first.timestamp(), first.timestamp()))
        import_files(directory)
        # Punctuation only: the same story by its words (its fingerprint), a new version of the file.
        path.write_text(path.read_text(encoding="utf-8").replace("惊喜开幕，", "惊喜开幕；", 1), encoding="utf-8")
        later = datetime(2022, 3, 1, 8, 0, tzinfo=UTC)
        os.utime(path, (later.timestamp(), later.timestamp()))
        report = import_files(directory)
        self.assertEqual((report.created, report.updated, report.failed), (0, 1, 0), report.as_dict())
        article = Article.objects.get()
        self.assertIn("惊喜开幕；", article.body)
        self.assertEqual(article.published_at, first)


class LedgerTests(TestCase):
    def test_every_file_read_has_its_row_in_the_ledger(self):
        directory = temp_dir(self)
        for path in [*SEEDS.glob("*.txt"), *CORPUS.glob("*.md")]:
            (directory / path.name).write_bytes(path.read_bytes())
        first = import_files(directory)
        read = first.created + first.updated + first.unchanged + first.duplicates + first.failed + 1
        self.assertEqual(ImportFileResult.objects.filter(run_id=first.run_id).count(), read)
        # Touched, not changed: every file is read again, found unchanged, and listed.
        for path in directory.iterdir():
            os.utime(path)
        second = import_files(directory)
        self.assertEqual((second.created, second.updated, second.skipped), (0, 0, 0))
        rows = ImportFileResult.objects.filter(run_id=second.run_id)
        self.assertEqual(rows.count(), len(list(directory.iterdir())))
        self.assertEqual(rows.filter(outcome="unchanged").count(), second.unchanged)
