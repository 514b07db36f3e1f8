"""The stock directory (articles/stocks.py): its rules, the snapshot every database starts with,
`load_stocks` refreshing it without undoing editors, and readers finding companies by name,
former name, code or initials."""

import io
from pathlib import Path

from django.core.management import CommandError, call_command
from django.test import SimpleTestCase, TestCase
from django.urls import reverse

from articles import stocks
from articles.models import Article, Revision, Stock
from tests.admin_support import import_files, make_editor, temp_dir
from tests.site_support import import_published


class RuleTests(SimpleTestCase):
    def test_the_exchange_of_a_mainland_code(self):
        cases = {"600690": "SH", "688981": "SH", "900901": "SH", "002024": "SZ", "300750": "SZ",
                 "200002": "SZ", "830799": "BJ", "430047": "BJ", "920002": "BJ", "12345": None,
                 "60069A": None, "": None, "100000": None}
        for code, market in cases.items():
            with self.subTest(code=code):
                self.assertEqual(stocks.a_share_market(code), market)

    def test_names_are_normalised(self):
        self.assertEqual(stocks.clean_name("万  科Ａ"), "万科A")
        self.assertEqual(stocks.clean_name("五 粮 液"), "五粮液")
        self.assertEqual(stocks.clean_name("  Tesla   Inc. "), "Tesla Inc.")
        self.assertEqual(stocks.clean_name("京东集团－ＳＷ"), "京东集团-SW")
        self.assertEqual(stocks.plain_name("*ST易购"), "易购")
        self.assertEqual(stocks.plain_name("STAAR"), "STAAR")  # a Latin name is no label

    def test_pinyin_and_initials(self):
        self.assertEqual(stocks.pinyin("苏宁易购"), ("suningyigou", "snyg"))
        self.assertEqual(stocks.pinyin("贵州茅台"), ("guizhoumaotai", "gzmt"))
        self.assertEqual(stocks.pinyin("万科A"), ("wankea", "wka"))

    def test_symbols_in_the_forms_readers_type(self):
        cases = {"SZ002024": ("SZ", "002024"), "sz.002024": ("SZ", "002024"), "002024.SZ": ("SZ", "002024"),
                 "600519.SS": ("SH", "600519"), "600519": ("SH", "600519"), " 600519.sh ": ("SH", "600519"),
                 "00493.HK": ("HK", "00493"), "HK00493": ("HK", "00493"), "NIO.US": ("US", "NIO"),
                 "茅台": None, "60051": None}
        for text, expected in cases.items():
            with self.subTest(text=text):
                self.assertEqual(stocks.symbol_forms(text), expected)

    def test_adata_and_own_layouts_read_alike(self):
        adata = ["stock_code,short_name,list_date2", "000002,万  科Ａ,1991-01-29", "830799,艾融软件,2019-12-18",
                 "12345,坏代码,"]
        own = ["# a comment", "market,code,name,full_name,former_names,listed_on,status",
               "HK,00493,国美零售,国美零售控股有限公司,国美电器|国美,,listed", "XX,1,无效市场,,,,listed"]
        rows = list(stocks.read_rows(adata)) + list(stocks.read_rows(own))
        self.assertEqual([(r.market, r.code, r.name) for r in rows],
                         [("SZ", "000002", "万科A"), ("BJ", "830799", "艾融软件"), ("HK", "00493", "国美零售")])
        self.assertEqual(rows[2].former_names, ["国美电器", "国美"])
        self.assertEqual(rows[0].listed_on, "1991-01-29")


class TextRuleTests(SimpleTestCase):
    def test_companies_written_with_their_codes(self):
        cases = {
            "贵州茅台(600519)今日大涨": [("SH", "600519", "贵州茅台")],
            "潍柴动力（000338.SZ）发布公告": [("SZ", "000338", "潍柴动力")],
            "中芯国际(688981.SH)、小米集团-W（01810.HK）": [("SH", "688981", "中芯国际"),
                                                         ("HK", "01810", "小米集团-W")],
            "蔚来(NIO.US)交付，拼多多（PDD.O）": [("US", "NIO", "蔚来"), ("US", "PDD", "拼多多")],
            "（股票代码：600519）": [("SH", "600519", "")],
            "本公司（300750）": [("SZ", "300750", "")],  # 公司 is no name
            "报告期(2022)营收(12345678)": [],
            "2022年(123456)": [],  # 1xxxxx is no exchange's code
            "茅台(600519.SZ)": [],  # the suffix contradicts the code
            "(PDD.O)": [],  # a ticker alone is too thin
        }
        for text, expected in cases.items():
            with self.subTest(text=text):
                self.assertEqual([(m.market, m.code, m.name) for m in stocks.coded_mentions(text)], expected)

    def test_names_are_found_in_one_pass(self):
        finder = stocks.NameFinder([("海尔智家", 1), ("ST易购", 2), ("苏宁易购", 2), ("潍柴动力", 3),
                                    ("潍柴动力", 4), ("万科A", 5), ("平安", 6), ("京东集团", 7),
                                    ("京东集团-SW", 8), ("线上线下", 9)])
        found = finder.find("苏宁易购与海尔智家；潍柴动力公告；万科A；平安；京东集团-SW；线上线下融合")
        self.assertEqual(found, {frozenset({1}), frozenset({2}), frozenset({3, 4}), frozenset({5}),
                                 frozenset({8})})
        self.assertEqual(finder.find(""), set())
        self.assertEqual(stocks.NameFinder([]).find("海尔智家"), set())


class SnapshotTests(TestCase):
    def test_every_database_starts_with_the_a_share_market_and_the_seeds_companies(self):
        self.assertGreater(Stock.objects.filter(market__in=["SH", "SZ", "BJ"]).count(), 5000)
        names = dict((s.symbol, s.name) for s in Stock.objects.filter(
            code__in=["600690", "002024", "000333", "00493", "09618", "NIO"]))
        self.assertEqual(names, {"SH600690": "海尔智家", "SZ002024": "ST易购", "SZ000333": "美的集团",
                                 "HK00493": "国美零售", "HK09618": "京东集团-SW", "USNIO": "蔚来"})
        suning = Stock.objects.get(market="SZ", code="002024")
        self.assertIn("苏宁易购", suning.former_names)
        self.assertEqual(suning.full_name, "苏宁易购集团股份有限公司")
        self.assertFalse(Stock.objects.filter(name__contains=" ").exclude(market="US").exists())


class LoadStocksTests(TestCase):
    def load(self, text: str) -> str:
        path = Path(temp_dir(self)) / "stocks.csv"
        path.write_text(text, encoding="utf-8")
        out = io.StringIO()
        call_command("load_stocks", str(path), stdout=out)
        return out.getvalue()

    def test_a_newer_directory_renames_adds_and_keeps_editors_corrections(self):
        edited = Stock.objects.get(market="SH", code="600519")
        edited.name, edited.name_source = "茅台（编辑改）", Stock.NameSource.EDITOR
        edited.save()
        report = self.load("market,code,name,full_name,former_names,listed_on,status\n"
                           "SZ,000333,美的集团新名,,,,listed\n"
                           "SH,600519,贵州茅台新,,,,listed\n"
                           "SH,688999,新上市公司,,,2026-11-30,listed\n")
        self.assertIn("1 added, 1 updated", report)
        self.assertIn("1 names kept", report)
        midea = Stock.objects.get(market="SZ", code="000333")
        self.assertEqual((midea.name, midea.former_names), ("美的集团新名", ["美的集团"]))
        self.assertIn(" 美的集团 ", midea.search_keys)  # the old name still finds it
        self.assertEqual(Stock.objects.get(market="SH", code="600519").name, "茅台（编辑改）")
        self.assertEqual(str(Stock.objects.get(market="SH", code="688999").listed_on), "2026-11-30")

    def test_adatas_own_file_loads_and_a_second_load_changes_nothing(self):
        text = "stock_code,short_name,list_date2\n000002,万  科Ａ,1991-01-29\n"
        self.assertIn("0 added, 0 updated, 1 unchanged", self.load(text))

    def test_a_file_that_is_not_a_directory_is_refused(self):
        with self.assertRaises(CommandError):
            self.load("title,date\n海尔,2022-02-21\n")


class CompanySearchTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        import_published()

    def test_a_company_is_found_by_name_former_name_code_or_initials(self):
        for query in ("苏宁易购", "ST易购", "002024", "SZ002024", "002024.SZ", "snyg", "suningyigou"):
            with self.subTest(query=query):
                page = self.client.get("/search/", {"q": query})
                self.assertContains(page, 'class="company-hit"><a href="/stocks/SZ002024/"', html=False)
        for query, symbol in (("贵州茅台", "SH600519"), ("gzmt", "SH600519"), ("600519.SH", "SH600519"),
                              ("00493", "HK00493"), ("国美电器", "HK00493")):
            with self.subTest(query=query):
                page = self.client.get("/search/", {"q": query})
                self.assertContains(page, f'class="company-hit"><a href="/stocks/{symbol}/"', html=False)

    def test_the_stock_index_lists_companies_with_their_story_counts(self):
        page = self.client.get("/stocks/")
        self.assertEqual(page.status_code, 200)
        listed = {s.symbol: s.stories for _, _, groups in page.context["groups"] for _, rows in groups for s in rows}
        self.assertEqual(listed["SZ002024"], 1)
        self.assertEqual(listed["SH600690"], 1)
        self.assertNotIn("BJ430047", listed)  # in the directory, in no story
        self.assertContains(page, "港交所")


class TextLinkingTests(TestCase):
    """Companies in the text at import: a name with its code links the stock; a bare name is a
    suggestion an editor confirms in one click."""

    def import_story(self, body: str, title: str = "测试稿件"):
        folder = temp_dir(self)
        (folder / "2022-03-01-202203011234567890.md").write_text(
            f'---\nlayout: post\ntitle: "{title}"\ndate: 2022-03-01 10:00:00 +0800\ncategories: emnews\n'
            f"tags: 东财滚动新闻\n---\n{body}\n", encoding="utf-8")
        report = import_files(folder, status="published")
        self.assertEqual(report.created, 1, report)
        return Article.objects.get(external_id="202203011234567890")

    def test_names_with_codes_link_and_bare_names_are_suggested(self):
        story = self.import_story(
            "<p>潍柴动力（000338.SZ）与贵州茅台(600519)同日公告；小米集团-W（01810.HK）、蔚来(NIO.US)也有消息。</p>"
            "<p>此外，美的集团和格力电器的空调销量领先，万科的销售额下降。</p>")
        self.assertEqual({s.symbol for s in story.stocks.all()}, {"SZ000338", "SH600519", "HK01810", "USNIO"})
        # 万科 is two characters, a word too often: no suggestion.
        self.assertEqual({s.symbol for s in story.suggested_stocks.all()}, {"SZ000333", "SZ000651"})

    def test_an_unknown_listing_learns_its_name_from_the_story_for_editors_to_confirm(self):
        story = self.import_story("<p>测试新股份-W（06666.HK）今日上市。</p>")
        learned = story.stocks.get()
        self.assertEqual((learned.symbol, learned.name, learned.name_source),
                         ("HK06666", "测试新股份-W", Stock.NameSource.LEARNED))

    def test_an_editor_confirms_a_suggestion_in_one_click(self):
        story = self.import_story("<p>美的集团发布年报。</p>")
        editor = make_editor()
        self.client.force_login(editor)
        change = reverse("admin:articles_article_change", args=[story.pk])
        page = self.client.get(change).content.decode()
        self.assertIn("确认 美的集团", page)
        midea = Stock.objects.get(market="SZ", code="000333")
        self.client.post(reverse("admin:articles_article_confirm_stocks", args=[story.pk]), {"stock": str(midea.pk)})
        self.assertEqual(list(story.stocks.all()), [midea])
        self.assertFalse(story.suggested_stocks.exists())
        self.assertEqual(Revision.objects.filter(article=story).first().fields, ["stocks"])


class CompanyNamesOnPagesTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        import_published()

    def test_a_story_names_its_companies_in_chips_and_structured_data(self):
        import json
        import re

        story = Article.objects.get(external_id="NW202202212282659685")
        page = self.client.get(story.get_absolute_url()).content.decode()
        self.assertIn('海尔智家 <span class="symbol">SH600690</span>', page)
        self.assertIn('ST易购 <span class="symbol">SZ002024</span>', page)
        data = json.loads(re.search(r'<script type="application/ld\+json">(.*?)</script>', page, re.S)[1])
        self.assertEqual(sorted((c["tickerSymbol"], c["name"]) for c in data["about"]),
                         [("SH600690", "海尔智家"), ("SZ002024", "ST易购")])
        feed = self.client.get("/stocks/SZ002024/feed/").content.decode()
        self.assertIn("ST易购", feed)
