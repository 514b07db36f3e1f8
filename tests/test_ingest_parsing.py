"""Parsing pinned on the real seed files and the real corpus (no database)."""

import csv
import json
import sys
import time
import unicodedata
from datetime import datetime
from pathlib import Path

from django.test import SimpleTestCase

from articles import columns
from articles.ingest.parsing import SITE_TZ, ParseError, parse_bytes, parse_file

FIXTURES = Path(__file__).resolve().parent / "fixtures"
SEEDS = FIXTURES / "seeds"
CORPUS = FIXTURES / "finews"
DEBRIS = ["EM_StockImg", "display:none", "文章来源", "返回首页", "withounder", "K图", "神舟十五号",
          "中国网是国务院新闻办公室", "官方微信"]


def seed(prefix: str):
    return parse_file(next(SEEDS.glob(f"{prefix}_*.txt")))


def at(*args) -> datetime:
    return datetime(*args, tzinfo=SITE_TZ)


class SeedTableTests(SimpleTestCase):
    """The exact results the issue pins for the five seeds."""

    def test_000_suning_haier(self):
        p = seed("000")
        self.assertEqual(p.format, "jekyll")
        self.assertEqual(p.title, "共创新价值 苏宁易购海尔召开2022年战略对接暨春季启动会")
        self.assertEqual(p.published_at, at(2022, 2, 21, 9, 33, 1))
        self.assertEqual(p.published_at.utcoffset().total_seconds(), 8 * 3600)
        self.assertEqual(p.source_name, "中国经济网")
        self.assertEqual([s.symbol for s in p.stocks], ["SZ002024", "SH600690"])
        self.assertEqual(p.external_id, "NW202202212282659685")
        self.assertTrue(p.original_url.endswith("infoCode=NW202202212282659685"))
        self.assertTrue(p.text.startswith("2月17日，苏宁易购与海尔召开"))
        self.assertTrue(p.text.endswith("提高经营效益。"))
        self.assertEqual(p.inferred, frozenset())
        self.assertEqual(p.legacy_path, "/zhongguojingjiwang/2022/02/21/NW202202212282659685.html")

    def test_002_gome_huawei(self):
        p = seed("002")
        self.assertEqual(p.title, "国美与华为战略签约 共促国美智慧门店、智能物联、精准营销提质升级")
        self.assertEqual(p.published_at, at(2022, 5, 12, 22, 33, 43))
        self.assertEqual(p.source_name, "上海证券报·中国证券网")
        self.assertEqual([s.symbol for s in p.stocks], ["HK00493"])
        self.assertIn("1+1>2", p.text)
        self.assertIn("1+1>2", p.body)  # entities unescaped once, not left as &amp;gt;

    def test_004_jd_midea(self):
        p = seed("004")
        self.assertEqual(p.title, "京东与美的签署战略合作协议 联合拓展企业级市场")
        self.assertEqual(p.published_at, at(2022, 3, 12, 18, 8, 38))
        self.assertEqual(p.source_name, "中国证券报·中证网")
        self.assertEqual([s.symbol for s in p.stocks], ["HK09618", "SZ000333"])

    def test_001_text_dump_infers_title_and_date(self):
        p = seed("001")
        self.assertEqual(p.format, "text")
        self.assertEqual(p.title, "2022京东家电合作伙伴大会在京召开")
        self.assertEqual(p.published_at.date().isoformat(), "2022-09-21")
        self.assertEqual(p.inferred, {"title", "published_at"})
        self.assertEqual(p.source_name, "中国网科技")
        self.assertEqual(p.stocks, ())
        self.assertTrue(p.text.startswith("9月21日，以“逐光致远·温暖同行”"))
        self.assertTrue(p.text.endswith("创造更高的成绩。"))
        self.assertIn('<p class="caption">2022京东家电合作伙伴大会在京召开</p>', p.body)
        # No story id: the address is the title's pinyin, made here rather than by the storer.
        self.assertEqual(p.slug, "2022-jingdongjiadianhezuohuobandahuizaijingzhaokai")
        self.assertEqual(seed("000").slug, "nw202202212282659685")

    def test_003_text_dump_keeps_last_paragraph_and_subheads(self):
        p = seed("003")
        self.assertEqual(p.inferred, {"title", "published_at"})
        self.assertEqual(p.source_name, "中国网科技")
        story_end = p.text.rsplit("\n", 2)
        self.assertTrue(story_end[-2].endswith("焕新品质生活。"), story_end[-2])
        self.assertIn("(注：文内图片为京东授权中国网使用)", story_end[-1])
        self.assertIn("<h2>专卖店战略全面升级 进入零售驱动新阶段</h2>", p.body)
        self.assertIn('<p class="caption">京东家电专卖店总经理张业伟发表演讲</p>', p.body)

    def test_no_debris_in_any_seed_body(self):
        for path in sorted(SEEDS.iterdir()):
            body = parse_file(path).body
            for word in DEBRIS:
                self.assertNotIn(word, body, f"{path.name} keeps {word}")


class CorpusTests(SimpleTestCase):
    def test_every_corpus_post_parses_with_its_front_matter_title(self):
        with open(CORPUS / "INDEX.tsv", encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle, delimiter="\t"))
        self.assertEqual(len(rows), 84)
        for row in rows:
            p = parse_file(CORPUS / row["file"])
            if row["title"]:
                self.assertEqual(p.title, row["title"], row["file"])
            else:
                self.assertIn("title", p.inferred)
                self.assertTrue(p.title)
            self.assertIsNotNone(p.published_at, row["file"])
            for word in ("返回首页", "EM_StockImg", "display:none", "<http", "文章来源"):
                self.assertNotIn(word, p.body, f"{row['file']}: {word}")

    def test_empty_title_and_date_are_inferred_from_the_story_id(self):
        p = parse_file(CORPUS / "-202205262391921712.md")
        self.assertEqual(p.inferred, {"title", "published_at"})
        self.assertEqual(p.external_id, "202205262391921712")
        self.assertEqual(p.published_at.date().isoformat(), "2022-05-26")
        self.assertTrue(p.title.startswith("据霍尼韦尔官网消息"))

    def test_inline_quote_links_give_stock_names_and_boards_become_tags(self):
        p = parse_file(CORPUS / "2022-05-26-202205262391921712.md")
        symbols = {s.symbol: s.name for s in p.stocks}
        self.assertEqual(symbols["USNIO"], "蔚来")
        self.assertIn("新能源", p.tags)
        self.assertNotIn("BK0493", "".join(symbols))  # sector boards are not stocks
        self.assertIn("<figcaption>图片来源：霍尼韦尔官网</figcaption>", p.body)
        self.assertNotIn("keytip", p.body)
        self.assertIn("蔚来", p.text)

    def test_digest_becomes_summary_and_naive_dates_are_shanghai_time(self):
        p = parse_file(CORPUS / "2021-12-08-202112082206786275.md")
        self.assertEqual(p.published_at, at(2021, 12, 8, 11, 6, 7))
        self.assertEqual(p.external_id, "202112082206786275")
        self.assertEqual(p.original_url, "http://stock.eastmoney.com/news/1768,202112082206786275.html")
        self.assertEqual(p.legacy_path, "/emnews/2021/12/08/202112082206786275.html")
        q = parse_file(CORPUS / "2022-01-07-202201072239307540.md")
        self.assertTrue(q.summary.startswith("券商中国获悉，1月5日"))


class BadInputTests(SimpleTestCase):
    def assertFails(self, data: bytes, reason: str):
        with self.assertRaises(ParseError) as ctx:
            parse_bytes(data, name="x.md")
        self.assertIn(reason, str(ctx.exception))

    def test_reasons(self):
        self.assertFails(b"", "empty")
        self.assertFails(b"  \n\n", "empty")
        self.assertFails(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary")
        self.assertFails(b'---\ntitle: "x"\ndate: 2022-01-01\n', "not closed")
        self.assertFails(b"---\ntitle: [unclosed\n---\nbody", "not valid YAML")
        self.assertFails(b"abc \x80\xff\xc3\x28 " * 50, "undecodable")

    def test_gbk_and_bom_are_decoded(self):
        text = seed_text("000")
        for data in (text.encode("gb18030"), b"\xef\xbb\xbf" + text.encode("utf-8"),
                     text.encode("utf-16")):
            p = parse_bytes(data, name="000.txt")
            self.assertEqual(p.title, "共创新价值 苏宁易购海尔召开2022年战略对接暨春季启动会")

    def test_control_characters_are_stripped(self):
        text = seed_text("000").replace("苏宁易购与海尔召开", "苏宁易购\x07与海尔\x1b召开")
        p = parse_bytes(text.encode(), name="000.txt")
        self.assertNotIn("\x07", p.body + p.text)
        self.assertIn("苏宁易购与海尔召开", p.text)

    def test_absurd_dates_are_not_believed(self):
        base = seed_text("000")
        future = parse_bytes(base.replace("2022-02-21 09:33:01", "2099-01-01 00:00:00").encode(),
                             name="a.txt")
        self.assertIn("published_at", future.inferred)
        self.assertEqual(future.published_at.date().isoformat(), "2022-02-21")  # from the infoCode
        ancient = parse_bytes(base.replace("2022-02-21 09:33:01", "1970-01-01 00:00:00").encode(),
                              name="a.txt")
        self.assertIn("published_at", ancient.inferred)
        self.assertTrue(any("1990" in w for w in ancient.warnings))

    def test_hostile_html_is_sanitised(self):
        evil = ('---\ntitle: "x"\ndate: 2022-01-01 10:00:00 +0800\n---\n'
                '<p onclick="alert(1)" style="color:red">正文<script>alert(2)</script>'
                '<a href="javascript:alert(3)">链接</a><iframe src="//evil"></iframe>'
                '<svg onload="alert(4)"><circle/></svg><img src=x onerror="alert(5)"></p>')
        body = parse_bytes(evil.encode(), name="e.md").body
        for bad in ("onclick", "style=", "<script", "alert", "javascript:", "<iframe", "<svg",
                    "onerror"):
            self.assertNotIn(bad, body)
        self.assertIn("正文", body)


def seed_text(prefix: str) -> str:
    return next(SEEDS.glob(f"{prefix}_*.txt")).read_text("utf-8")


def front_matter(fields: str, body: str = "正文第一段。\n") -> bytes:
    return f"---\n{fields}---\n{body}".encode()


class HostileFrontMatterTests(SimpleTestCase):
    """Front matter is read in bounded time and memory, and only ParseError escapes."""

    def assertRefused(self, data: bytes, reason: str):
        started = time.perf_counter()
        with self.assertRaises(ParseError) as ctx:
            parse_bytes(data, name="x.md")
        self.assertIn(reason, str(ctx.exception))
        self.assertLess(time.perf_counter() - started, 1)

    def test_billion_laughs_is_refused_at_once(self):
        lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
        for name, prev in zip("bcdefghi", "abcdefgh", strict=True):
            lines.append(f"{name}: &{name} [{','.join(['*' + prev] * 9)}]")
        self.assertRefused(front_matter("\n".join(lines) + "\n"), "aliases")

    def test_any_alias_is_refused(self):
        self.assertRefused(front_matter("title: &t 标题\nsummary: *t\n"), "aliases")
        self.assertRefused(front_matter("base: &b {x: 1}\nd:\n  <<: *b\n"), "aliases")

    def test_size_and_depth_are_capped(self):
        self.assertRefused(front_matter("title: x\nk: " + "y" * 70_000 + "\n"), "too large")
        self.assertRefused(front_matter("title: x\nk: " + "[" * 500 + "]" * 500 + "\n"), "levels deep")

    def test_constructor_failures_are_parse_errors(self):
        self.assertRefused(front_matter("title: x\ndate: !!timestamp 2022-13-45\n"), "not valid YAML")
        self.assertRefused(front_matter("title: x\nn: " + "9" * 5000 + "\n"), "not valid YAML")
        self.assertRefused(front_matter("title: !!python/object:os.system x\n"), "not valid YAML")

    def test_odd_field_types_do_not_crash(self):
        p = parse_bytes(front_matter("title: [标题]\ntags: [1, {a: b}]\ncategories: {a: 1}\n"), name="x.md")
        self.assertEqual(p.title, "标题")
        self.assertEqual(p.feed_name, "1")
        self.assertIsNone(p.source_key)


class DateProblemTests(SimpleTestCase):
    """A date that cannot be believed is a warning and an inferred date, never an exception."""

    def test_overflowing_and_impossible_dates_become_warnings(self):
        base = seed_text("000")
        for raw in ("9999-12-31 23:59:59 -2359", "0001-01-01 00:00:00 +2359", "9999-12-31 23:00:00 Z",
                    "2022-01-01 10:00:00 +2400", "2022-01-01 10:00:00 +0899", "2022-01-01 10:00:00 -1500",
                    "0000-01-01", "2022-02-30", "2022-01-01 25:00"):
            p = parse_bytes(base.replace("2022-02-21 09:33:01 +0800", raw).encode(), name="a.txt")
            self.assertIn("published_at", p.inferred, raw)
            self.assertEqual(p.published_at.date().isoformat(), "2022-02-21", raw)  # from the infoCode
            self.assertTrue(any(raw in w for w in p.warnings), (raw, p.warnings))

    def test_real_zones_are_still_honoured(self):
        base = seed_text("000")
        p = parse_bytes(base.replace("2022-02-21 09:33:01 +0800", "2022-02-21 09:33:01 -1200").encode(), name="a.txt")
        self.assertEqual(p.published_at, at(2022, 2, 22, 5, 33, 1))
        p = parse_bytes(base.replace("2022-02-21 09:33:01 +0800", "2022-02-21 01:33:01 Z").encode(), name="a.txt")
        self.assertEqual(p.published_at, at(2022, 2, 21, 9, 33, 1))


class ShownTextTests(SimpleTestCase):
    def test_bidi_controls_and_invisible_characters_leave_titles_names_and_summaries(self):
        spoof = '---\ntitle: "财报\\u202egnp.exe\\u2066\\u200b\\u00ad 发布"\ntags: ["\\u202e中国经济网新闻"]\n---\n' \
                "> 摘要\u202e内容\u200f\n\n正文第一段。\n\n<p>（文章来源：\u2067中国\u200e证券报）</p>\n"
        p = parse_bytes(spoof.encode(), name="x.md")
        self.assertEqual(p.title, "财报gnp.exe 发布")
        self.assertEqual(p.summary, "摘要内容")
        self.assertEqual(p.source_name, "中国证券报")
        self.assertEqual(p.feed_name, "中国经济网")

    def test_chinese_text_and_emoji_are_untouched(self):
        p = parse_bytes(front_matter('title: "京东与美的签署战略合作协议 👨\u200d👩\u200d👧"\n'), name="x.md")
        self.assertEqual(p.title, "京东与美的签署战略合作协议 👨\u200d👩\u200d👧")

    def test_invisible_covers_every_format_character_but_the_joiner(self):
        from articles.text import INVISIBLE, LINE_BREAKS

        missed = [hex(cp) for cp in range(sys.maxunicode + 1)
                  if unicodedata.category(chr(cp)) in {"Cf", "Cc"} and not INVISIBLE.match(chr(cp))]
        self.assertEqual(missed, ["0x9", "0xa", "0xb", "0xc", "0xd", "0x85", "0x200d"])  # line breaks, ZWJ
        # clean_line() returns printable text untouched: nothing it removes may be printable.
        printable = [hex(cp) for cp in range(sys.maxunicode + 1)
                     if chr(cp).isprintable() and (INVISIBLE.match(chr(cp)) or LINE_BREAKS.match(chr(cp)))]
        self.assertEqual(printable, [])


class ColumnFitTests(SimpleTestCase):
    """No value reaches the database longer than its column."""

    def test_too_long_values_are_cut_or_dropped_with_a_warning(self):
        base = seed_text("000")
        long_url = "https://finance.eastmoney.com/a/" + "x" * 600 + "?infoCode=NW202202212282659685"
        text = (base.replace("共创新价值", "长" * 400, 1)
                .replace("http://finews.zning.xyz/html_News/NewsShare.html?infoCode=NW202202212282659685", long_url)
                .replace("categories: ", "categories: " + "k" * 250, 1))
        self.assertNotEqual(text, base)
        p = parse_bytes(text.encode(), name="a.txt")
        self.assertEqual(len(p.title), columns.TITLE)
        self.assertTrue(p.title.endswith("…"))
        self.assertIsNone(p.original_url)
        self.assertEqual(p.external_id, "NW202202212282659685")  # still read from the long link
        self.assertIsNone(p.source_key)
        joined = " ".join(p.warnings)
        for word in ("title cut", "original link dropped", "source key dropped"):
            self.assertIn(word, joined)

    def test_long_names_tags_and_stock_names_are_dropped(self):
        body = ('<p>正文。<a data-code="1.600690" class="keytip">' + "名" * 150 + '</a>'
                '<a data-code="90.BK0493" class="keytip">' + "板" * 150 + '</a>'
                '<a data-code="90.BK0494" class="keytip">新能源</a></p><p>（文章来源：' + "源" * 150 + '）</p>')
        p = parse_bytes(front_matter('title: "t"\n', body), name="x.md")
        self.assertEqual(p.stocks[0].symbol, "SH600690")
        self.assertEqual(p.stocks[0].name, "")
        self.assertEqual(p.tags, ("新能源",))
        self.assertIsNone(p.source_name)
        self.assertEqual(len(p.warnings), 3, p.warnings)

    def test_one_stock_charted_under_two_exchanges_is_one_ref_with_its_name(self):
        # Seen in the bench corpus, from real charts: eastmoney's NASDAQ and NYSE ids (105, 106)
        # both map to our one US market; two refs for one stock broke the batch's link insert.
        body = ('<p>正文。<a data-code="105.NIO" class="keytip"></a>'
                '<a data-code="1.600519" class="keytip">贵州茅台</a>'
                '<a data-code="106.NIO" class="keytip">蔚来</a></p>')
        p = parse_bytes(front_matter('title: "t"\n', body), name="x.md")
        self.assertEqual([(s.symbol, s.name) for s in p.stocks], [("USNIO", "蔚来"), ("SH600519", "贵州茅台")])

    def test_declared_widths_are_the_models(self):
        from taggit.models import TagBase

        from articles.models import Article, Source, SourceKey, Stock

        for model, field, width in (
            (Article, "title", columns.TITLE), (Article, "slug", columns.SLUG),
            (Article, "external_id", columns.EXTERNAL_ID), (Article, "original_url", columns.URL),
            (Article, "legacy_path", columns.LEGACY_PATH), (Source, "name", columns.SOURCE_NAME),
            (SourceKey, "key", columns.SOURCE_KEY), (TagBase, "name", columns.TAG_NAME),
            (Stock, "code", columns.STOCK_CODE), (Stock, "name", columns.STOCK_NAME),
        ):
            self.assertEqual(model._meta.get_field(field).max_length, width, f"{model.__name__}.{field}")


class OddYamlValueTests(SimpleTestCase):
    def test_sets_binary_and_non_finite_numbers_become_stable_json(self):
        data = (
            "---\ntitle: !!set {乙, 甲, 丙}\ndate: 2022-02-21 09:33:01 +0800\nscore: .nan\n"
            "blob: !!binary 5Lit5paH\n---\n<p>正文第一段，足够长的文字以形成一篇稿件。</p>\n"
        ).encode()
        parsed = parse_bytes(data, name="odd.md")
        self.assertEqual(parsed.front_matter["title"], ["丙", "乙", "甲"])  # sorted, every run alike
        self.assertEqual(parsed.front_matter["score"], "nan")
        self.assertEqual(parsed.front_matter["blob"], "中文")
        json.dumps(parsed.front_matter, allow_nan=False)  # what jsonb accepts
