"""The input formats (articles/ingest/formats): which one reads a text, and each one's rules."""

from datetime import datetime
from zoneinfo import ZoneInfo

from django.test import SimpleTestCase
from hypothesis import given, settings
from hypothesis import strategies as st

from articles.ingest.formats import FORMATS, html, jekyll, parse_story, plaintext
from articles.ingest.formats.base import ParseError
from tests.admin_support import CORPUS, SEEDS

NOW = datetime(2026, 12, 2, tzinfo=ZoneInfo("Asia/Shanghai"))


class RegistryTests(SimpleTestCase):
    def test_each_format_has_a_sniff_and_a_parse_and_the_last_takes_any_text(self):
        for fmt in FORMATS:
            with self.subTest(fmt.__name__):
                self.assertTrue(callable(fmt.sniff) and callable(fmt.parse))
        self.assertIs(FORMATS[-1], plaintext)
        self.assertTrue(plaintext.sniff("任何文字"))

    def test_the_first_format_that_recognises_a_text_reads_it(self):
        post = (SEEDS / "000_ce3d7ca2cd05df07.txt").read_text("utf-8")
        dump = (SEEDS / "001_11bd8c5703fc5a39.txt").read_text("utf-8")
        self.assertEqual([f.__name__.rsplit(".", 1)[1] for f in FORMATS if f.sniff(post)][0], "jekyll")
        self.assertEqual(parse_story(post, name="000.txt", now=NOW)["format"], "jekyll")
        self.assertFalse(jekyll.sniff(dump) or html.sniff(dump))
        self.assertEqual(parse_story(dump, name="001.txt", now=NOW)["format"], "text")

    def test_a_bare_web_page_is_refused_not_read_as_a_page_dump(self):
        page = "<html><body><p>正文</p></body></html>"
        self.assertTrue(html.sniff(page))
        with self.assertRaisesMessage(ParseError, "bare HTML without front matter"):
            parse_story(page, name="x.html", now=NOW)


class JekyllTests(SimpleTestCase):
    def test_front_matter_opens_the_post(self):
        self.assertTrue(jekyll.sniff("---\ntitle: x\n---\n<p>正文</p>"))
        self.assertTrue(jekyll.sniff("\ufeff---\ntitle: x\n---\n"))
        self.assertFalse(jekyll.sniff("正文\n---\ntitle: x\n---"))
        self.assertFalse(jekyll.sniff("----\ntitle: x\n"))

    def test_feed_labels_name_the_publisher_unless_they_name_a_feed(self):
        self.assertEqual(jekyll.source_name_from_label("中国经济网新闻"), "中国经济网")
        self.assertEqual(jekyll.source_name_from_label("东财滚动新闻"), "东财滚动新闻")
        self.assertIsNone(jekyll.source_name_from_label(""))


class PlainTextTests(SimpleTestCase):
    def test_credit_lines_name_the_source_and_are_not_story(self):
        dump = plaintext.parse_text_dump(
            "　　海尔智家发布年报，营收增长8.5%。　　本文来源：中国经济网　　责任编辑：王晓")
        self.assertEqual(dump.source_name, "中国经济网")
        self.assertEqual([b.text for b in dump.blocks], ["海尔智家发布年报，营收增长8.5%。"])

    def test_the_story_credit_wins_over_the_hosts_footer(self):
        dump = plaintext.parse_text_dump(
            "　　新闻正文第一段。　　（来源：上海证券报）　　凡本网注明“来源：中国网科技”的作品")
        self.assertEqual(dump.source_name, "上海证券报")

    def test_the_hosts_navigation_run_ends_the_story(self):
        story, footer = plaintext.split_footer("第一段。第二段。\n关于我们 | 联系我们 | 网站地图 | 广告服务")
        self.assertEqual(story, "第一段。第二段。")
        self.assertIn("网站地图", footer)

    def test_a_table_row_of_the_story_is_not_navigation(self):
        text = "主要财务数据如下。\n营收 | 净利 | 毛利率\n公司表示，全年业绩稳健增长。"
        self.assertEqual(plaintext.split_footer(text), (text, ""))

    def test_a_bar_inside_a_sentence_is_not_navigation(self):
        text = "沪指收涨1.1%，深成指涨1.6%。数据显示：成交额 | 换手率均上升，市场情绪回暖。"
        self.assertEqual(plaintext.split_footer(text), (text, ""))

    @settings(max_examples=3000, deadline=None)
    @given(st.text(alphabet=list("ab关于我们 \u3000\t\n|｜。，！？"), max_size=80), st.integers(0, 90))
    def test_navigation_runs_are_the_patterns_own_matches(self, text, end):
        # nav_runs() tries only the places before a bar; it must find what a full scan finds.
        end = min(end, len(text))
        self.assertEqual([m.span() for m in plaintext.nav_runs(text, end)],
                         [m.span() for m in plaintext.NAV_RUN.finditer(text, 0, end)])

    def test_short_unpunctuated_lines_are_captions_or_subheads(self):
        self.assertEqual(plaintext.classify("京东家电专卖店总经理发表演讲"),
                         [plaintext.Block("caption", "京东家电专卖店总经理发表演讲")])
        self.assertEqual(plaintext.classify("专卖店战略全面升级 进入零售驱动新阶段"),
                         [plaintext.Block("subhead", "专卖店战略全面升级 进入零售驱动新阶段")])
        self.assertEqual(plaintext.classify("(注：文内图片为授权使用)"),
                         [plaintext.Block("note", "(注：文内图片为授权使用)")])


# What a header's keys and values are made of, the plain and the tricky: YAML's indicators,
# numbers, booleans, nulls, dates, quotes, colons, hashes, CJK, full-width and odd spaces.
_KEY = st.sampled_from(["title", "date", "layout", "tags", "categories", "yes", "null", "on", "a_b", "x1"])
_PLAIN = "abcxyz0123456789 中国经济网新闻年月日，（）"
_TRICKY = "-+.:#\"'~=<>{}[],!&*|%@`?_：　\t\u2028\x85eE"
_VALUE = (st.text(alphabet=list(_PLAIN * 16 + _TRICKY), min_size=1, max_size=14)
          | st.text(alphabet=list(_PLAIN * 16 + _TRICKY), max_size=14).map(lambda v: f'"{v}"')
          | st.sampled_from(["2022-02-21 09:33:01 +0800", "post", "yes", "No", "~", "null", "1_000", "0x1F",
                             "1:30", ".inf", "-.5", "中国经济网新闻", '"共创新价值 苏宁"', '"a\\"b"', "a: b",
                             "a #b", "a#b", "http://x.cn/a?b=1#c", "<<", "=", "12", "1e3", "TRUE"]))


class FrontMatterFastPathTests(SimpleTestCase):
    @settings(max_examples=4000, deadline=None)
    @given(st.lists(st.tuples(_KEY, st.sampled_from([": ", ": ", ":  ", ":", ": \t"]), _VALUE),
                    max_size=4, unique_by=lambda line: line[0]),
           st.sampled_from(["\n", "\n\n", "\n  \n"]))
    def test_simple_headers_read_as_yaml_reads_them(self, lines, end):
        block = "\n".join(f"{key}{colon}{value}" for key, colon, value in lines) + end
        fast = jekyll.simple_fields(block)
        if fast is not None:  # what the fast path reads, YAML reads the same
            self.assertEqual(fast, jekyll.read_yaml(block), block)

    @settings(max_examples=4000, deadline=None)
    @given(_VALUE)
    def test_one_value_reads_as_yaml_reads_it(self, value):
        block = f"title: {value}\n"
        fast = jekyll.simple_fields(block)
        if fast is not None:
            self.assertEqual(fast, jekyll.read_yaml(block), block)

    def test_the_scrapers_headers_take_the_fast_path(self):
        fast = 0
        for path in [*SEEDS.glob("*.txt"), *CORPUS.glob("*.md")]:
            split = jekyll.split_front_matter(path.read_text("utf-8"))
            if split and "\n- " not in split[0]:
                with self.subTest(path.name):
                    try:
                        expected = jekyll.read_yaml(split[0])
                    except ParseError:
                        continue
                    self.assertEqual(jekyll.simple_fields(split[0]), expected)
                    fast += 1
        self.assertGreater(fast, 80)
