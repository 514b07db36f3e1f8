"""The search page: results, highlighting, paging, friendly answers to odd queries."""

from bs4 import BeautifulSoup
from django.db import connection
from django.test import TestCase, override_settings
from django.test.utils import CaptureQueriesContext

from articles.models import Article, Category, Source
from tests.site_support import (
    GOME_HUAWEI,
    HIDDEN_MARKERS,
    JD_MIDEA,
    SUNING_HAIER,
    FreshCacheMixin,
    create_hidden_stories,
    import_published,
)


@override_settings(PAGE_CACHE_SECONDS=0)
class SearchPageTests(FreshCacheMixin, TestCase):
    @classmethod
    def setUpTestData(cls):
        import_published()
        cls.hidden = create_hidden_stories()

    def search(self, q, **params):
        return self.client.get("/search/", {"q": q, **params})

    def test_haier_finds_the_suning_haier_story_first_with_highlights(self):
        response = self.search("海尔")
        self.assertEqual(response.status_code, 200)
        results = response.context["results"].articles
        self.assertEqual(results[0].external_id, SUNING_HAIER)
        self.assertContains(response, "共创新价值 苏宁易购<mark>海尔</mark>召开", html=False)
        self.assertContains(response, "<mark>海尔</mark>", count=None, html=False)
        self.assertContains(response, '<meta name="robots" content="noindex, follow">', html=False)

    def test_huawei_finds_the_gome_huawei_story(self):
        results = self.search("华为").context["results"].articles
        self.assertEqual(results[0].external_id, GOME_HUAWEI)

    def test_two_words_must_both_match(self):
        results = self.search("京东 美的").context["results"].articles
        self.assertEqual(results[0].external_id, JD_MIDEA)
        for story in results:
            text = story.title + story.summary + story.body
            self.assertIn("京东", text)
            self.assertIn("美的", text)

    def test_title_hits_rank_before_body_hits(self):
        results = self.search("海尔").context["results"].articles
        in_title = ["海尔" in story.title for story in results]
        self.assertEqual(in_title, sorted(in_title, reverse=True))
        self.assertTrue(in_title[0])
        self.assertFalse(in_title[-1])  # the JD stories mention 海尔 in their bodies only

    def test_unpublished_stories_are_never_found(self):
        for q in ("海尔", "华为", *HIDDEN_MARKERS.values()):
            response = self.search(q)
            self.assertFalse(set(response.context["results"].articles) & set(self.hidden.values()))
            for story in self.hidden.values():
                self.assertNotContains(response, story.get_absolute_url())

    def test_friendly_answers_to_empty_absurd_and_hostile_queries(self):
        cases = {
            "": "可搜索标题和正文",
            "   ": "可搜索标题和正文",
            "！！？？…": "请输入中文、英文或数字关键词",
            "海" * 500: "搜索词太长了",
            "a b c d e f g h": "关键词太多或太长",
            "没有这种词语组合啊": "没有找到包含",
            "<script>alert(1)</script>": "没有找到包含",
            '" OR 1=1 --': "没有找到包含",
            "AND OR NOT NEAR": "没有找到包含",
            "海\x00尔": "“海尔”的搜索结果",  # a NUL byte is dropped, not passed to the database
            "*": "请输入中文、英文或数字关键词",
        }
        for q, expected in cases.items():
            with self.subTest(q=q[:20]):
                response = self.search(q)
                self.assertEqual(response.status_code, 200)
                self.assertContains(response, expected)
                self.assertNotContains(response, "<script>alert(1)</script>")

    def test_paging(self):
        source, category = Source.objects.first(), Category.objects.first()
        for i in range(25):
            Article.objects.create(title=f"海尔稿件{i}", status="published", source=source,
                                   category=category)
        first = self.search("海尔")
        self.assertEqual(len(first.context["results"].articles), 20)
        self.assertContains(first, 'rel="next"')
        second = self.search("海尔", page=2)
        self.assertContains(second, 'rel="prev"')
        self.assertTrue(set(first.context["results"].articles).isdisjoint(
            second.context["results"].articles))
        self.assertEqual(self.search("海尔", page="abc").status_code, 404)
        self.assertEqual(self.search("海尔", page=11).status_code, 404)
        late = self.search("海尔", page=5)
        self.assertContains(late, "没有更多结果了")

    def test_full_width_letters_and_digits_search_as_half_width(self):
        response = self.search("ＨＦＯ－１２３４ｙｆ")
        self.assertEqual(response.context["query"].text, "HFO-1234yf")
        titles = [a.title for a in response.context["results"].articles]
        self.assertIn("国内首次！蔚来汽车启用这款“绿色”制冷液 哪些A股公司早有布局？", titles)

    def test_a_stock_code_links_to_the_stock_page(self):
        for q in ("002024", "sz002024", "SZ002024 海尔"):
            with self.subTest(q=q):
                response = self.search(q)
                self.assertEqual(response.status_code, 200)
                self.assertContains(response, 'class="chip chip-stock" href="/stocks/SZ002024/"',
                                    html=False)
        # A code is the company: its page leads the results, and its stories are listed
        # though their text never writes the code.
        by_code = self.search("002024")
        self.assertContains(by_code, 'class="company-hit"><a href="/stocks/SZ002024/"', html=False)
        self.assertIn(SUNING_HAIER, [a.external_id for a in by_code.context["results"].articles])
        self.assertNotContains(by_code, "检查是否有错别字")
        # A word that begins a company's name offers the company, without claiming the query;
        # the name the news uses for it (an alias) is the company.
        suning = self.search("苏宁")
        self.assertContains(suning, 'href="/stocks/SZ002024/"')
        self.assertNotContains(suning, "company-hit")
        self.assertContains(self.search("海尔"), 'class="company-hit"><a href="/stocks/SH600690/"', html=False)
        self.assertNotContains(self.search("999999"), "stock-hits")
        with CaptureQueriesContext(connection) as plain:
            self.search("苏宁")
        with CaptureQueriesContext(connection) as code:
            self.search("苏宁 002024")
        self.assertLessEqual(len(code), len(plain) + 2)  # the stocks, maybe a phrase check

    def test_query_count_is_bounded(self):
        # SQLite: one ranked query over the FTS5 index, the stories shown, the section links;
        # with a company named, the stories linked to it when the text's matches are few.
        # PostgreSQL: title hits, the planner's estimate of the other matches, those
        # matches, a phrase check when a phrase has several tokens, the stories shown, the
        # section links.
        # Both: the companies the query may name (one query over the stock directory).
        most = 5 if connection.vendor == "sqlite" else 8
        for q in ("海尔", "华为", "京东 美的", "海", "苏宁易购"):
            with self.subTest(q=q), CaptureQueriesContext(connection) as queries:
                response = self.search(q)
            self.assertTrue(response.context["results"].articles)
            self.assertLessEqual(len(queries), most, [x["sql"][:120] for x in queries])


def landmarks(html: str) -> list[tuple[str, str]]:
    """The (role, accessible name) of a page's search, navigation and complementary
    landmarks, as axe's landmark-unique reads them (aria-label, else aria-labelledby)."""
    soup = BeautifulSoup(html, "html.parser")
    found = []
    for element in soup.select('[role="search"], nav, aside'):
        role = element.get("role") or {"nav": "navigation", "aside": "complementary"}[element.name]
        name = element.get("aria-label", "")
        if not name and element.get("aria-labelledby"):
            name = soup.find(id=element["aria-labelledby"]).get_text(strip=True)
        found.append((role, name))
    return found


@override_settings(PAGE_CACHE_SECONDS=0)
class SearchPageLandmarkTests(FreshCacheMixin, TestCase):
    """The masthead's search box and the search page's own are two landmarks: each is named,
    and named apart (axe: landmark-unique)."""

    @classmethod
    def setUpTestData(cls):
        import_published()

    def test_every_search_landmark_has_a_name_of_its_own(self):
        for path, status in (("/search/", 200), ("/search/?q=海尔", 200), ("/no/such/page/", 404)):
            with self.subTest(path):
                response = self.client.get(path)
                self.assertEqual(response.status_code, status)
                found = landmarks(response.content.decode())
                searches = [name for role, name in found if role == "search"]
                self.assertEqual(len(searches), 2)
                self.assertNotIn("", searches)
                self.assertEqual(len(found), len(set(found)), found)

    def test_search_pages_say_noindex_and_robots_txt_lets_crawlers_read_it(self):
        self.assertContains(self.client.get("/search/?q=海尔"), '<meta name="robots" content="noindex, follow">',
                            html=False)
        robots = self.client.get("/robots.txt").content.decode()
        self.assertNotRegex(robots, r"(?m)^Disallow: */search")
