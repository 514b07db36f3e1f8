"""The stock directory (articles/stocks.py): its rules, the snapshot every database starts with,
`load_stocks` refreshing it without undoing editors, and readers finding companies by name,
former name, code or initials."""

import io
from pathlib import Path

from django.core.management import CommandError, call_command
from django.test import SimpleTestCase, TestCase

from articles import stocks
from articles.models import Stock
from tests.admin_support import temp_dir
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
