"""The sitemap index and its sections, read back with a real XML parser and validated against
the published schemas (tests/fixtures/schemas/: sitemaps.org's and Google News's)."""

from datetime import timedelta
from functools import cache
from xml.etree import ElementTree

from django.conf import settings
from django.test import TestCase, override_settings
from django.utils import timezone
from lxml import etree

from articles import sitemaps
from articles.models import Article, ArticleTag, Stock
from tests.site_support import FIXTURES, FreshCacheMixin, create_hidden_stories, import_published

NS = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
NEWS = "{http://www.google.com/schemas/sitemap-news/0.9}"


@cache
def sitemap_schema() -> etree.XMLSchema:
    """sitemaps.org's schema with Google News's beside it: a <url>'s elements of another
    namespace are validated strictly, so news:news must be declared."""
    both = b"""<xsd:schema xmlns:xsd="http://www.w3.org/2001/XMLSchema">
      <xsd:import namespace="http://www.sitemaps.org/schemas/sitemap/0.9" schemaLocation="sitemap.xsd"/>
      <xsd:import namespace="http://www.google.com/schemas/sitemap-news/0.9" schemaLocation="sitemap-news.xsd"/>
    </xsd:schema>"""
    return etree.XMLSchema(etree.XML(both, base_url=(FIXTURES / "schemas" / "both.xsd").as_uri()))


def assert_valid(test, response) -> None:
    schema = sitemap_schema()
    if not schema.validate(etree.fromstring(response.content)):
        test.fail(f"{response.wsgi_request.path}: {schema.error_log}")


def locations(response) -> list[str]:
    root = ElementTree.fromstring(response.content)  # noqa: S314 (our own output)
    return [loc.text for loc in root.iter(f"{NS}loc")]


@override_settings(PAGE_CACHE_SECONDS=0)
class SitemapTests(FreshCacheMixin, TestCase):
    @classmethod
    def setUpTestData(cls):
        import_published()
        cls.hidden = create_hidden_stories()

    def section(self, name, page=None):
        url = f"/sitemap-{name}.xml" + (f"?p={page}" if page else "")
        response = self.client.get(url)
        self.assertEqual(response.status_code, 200, url)
        return locations(response)

    def test_index_lists_every_section(self):
        response = self.client.get("/sitemap.xml")
        self.assertEqual(response.status_code, 200)
        found = locations(response)
        for name in ("pages", "articles", "news", "sources", "categories", "tags", "stocks"):
            self.assertIn(f"http://testserver/sitemap-{name}.xml", found)

    def test_articles_section_lists_published_stories_only(self):
        # Every page the index lists: ids are ranges of 2,000, and on PostgreSQL the ids of a
        # long test run are past the first range (sequences are not rolled back).
        index = locations(self.client.get("/sitemap.xml"))
        pages = [loc for loc in index if "sitemap-articles.xml" in loc]
        found = set()
        for number in range(1, len(pages) + 1):
            found |= set(self.section("articles", number))
        expected = {f"http://testserver{a.get_absolute_url()}" for a in Article.objects.published()}
        self.assertEqual(found, expected)
        for story in self.hidden.values():
            self.assertNotIn(f"http://testserver{story.get_absolute_url()}", found)

    def test_articles_are_paged_by_id_range(self):
        old = sitemaps.ArticleSitemap.limit
        sitemaps.ArticleSitemap.limit = 10
        self.addCleanup(setattr, sitemaps.ArticleSitemap, "limit", old)
        index = locations(self.client.get("/sitemap.xml"))
        pages = [loc for loc in index if "sitemap-articles.xml" in loc]
        top = max(Article.objects.values_list("pk", flat=True))
        self.assertEqual(len(pages), -(-top // 10))
        seen = []
        for number in range(1, len(pages) + 1):
            seen += self.section("articles", number)
        expected = [f"http://testserver{a.get_absolute_url()}"
                    for a in Article.objects.published().order_by("pk")]
        self.assertEqual(seen, expected)
        self.assertEqual(self.client.get(f"/sitemap-articles.xml?p={len(pages) + 1}").status_code, 404)

    def test_lists_sections(self):
        self.assertIn("http://testserver/sources/zhongguojingjiwang/", self.section("sources"))
        self.assertIn("http://testserver/categories/companies/", self.section("categories"))
        tags = self.section("tags")
        self.assertIn(f"http://testserver{ArticleTag.objects.get(name='新能源').get_absolute_url()}",
                      tags)
        self.assertIn("http://testserver/stocks/SZ002024/", self.section("stocks"))
        unused = Stock.objects.create(market="SH", code="688999")
        self.assertNotIn(f"http://testserver{unused.get_absolute_url()}", self.section("stocks"))
        self.assertEqual(self.section("pages"), ["http://testserver/", "http://testserver/archive/"])

    @override_settings(NEWSROOM_SITE_URL="https://news.example.com")
    def test_addresses_use_the_public_site_address(self):
        self.assertIn("https://news.example.com/categories/companies/", self.section("categories"))

    def test_sections_validate_against_the_sitemap_schema(self):
        # The articles' pages are id ranges: on PostgreSQL ids go on from earlier tests, so
        # ask for the page that holds this test's stories.
        first = Article.objects.published().order_by("pk").values_list("pk", flat=True).first()
        page = (first - 1) // sitemaps.ArticleSitemap.limit + 1
        for name in ("pages", f"articles.xml?p={page}", "sources", "categories", "tags", "stocks"):
            with self.subTest(name):
                name = name if "?" in name else f"{name}.xml"
                assert_valid(self, self.client.get(f"/sitemap-{name}"))

    def test_query_counts(self):
        # The articles' highest id, a count per list section; the news section is one page.
        with self.assertNumQueries(5):
            self.client.get("/sitemap.xml")
        with self.assertNumQueries(2):  # highest id, the page's stories
            self.client.get("/sitemap-articles.xml")


@override_settings(PAGE_CACHE_SECONDS=0)
class NewsSitemapTests(FreshCacheMixin, TestCase):
    """/sitemap-news.xml: Google News's sitemap of the stories published in the last 48 hours."""

    @classmethod
    def setUpTestData(cls):
        import_published()  # the seeds and the corpus: all years old, never listed here
        cls.hidden = create_hidden_stories()  # unpublished, or scheduled for later
        now = timezone.now()
        cls.fresh, cls.older, cls.stale = (
            Article.objects.create(title=title, status="published", published_at=now - timedelta(hours=hours))
            for title, hours in (("京东&美的<合作> \"签约\"", 1), ("两天内的稿件", 47), ("两天前的稿件", 49)))

    def news(self, query=""):
        response = self.client.get("/sitemap-news.xml" + query)
        self.assertEqual(response.status_code, 200)
        return response

    def test_validates_against_the_sitemap_and_news_schemas(self):
        response = self.news()
        self.assertEqual(response["Content-Type"], "application/xml")
        assert_valid(self, response)

    def test_lists_the_stories_of_the_last_48_hours_newest_first(self):
        self.assertEqual(locations(self.news()),
                         [f"http://testserver{story.get_absolute_url()}" for story in (self.fresh, self.older)])

    def test_each_story_names_the_publication_its_language_date_and_title(self):
        root = ElementTree.fromstring(self.news().content)  # noqa: S314 (our own output)
        url = root.find(f"{NS}url")
        news = url.find(f"{NEWS}news")
        self.assertEqual(news.findtext(f"{NEWS}publication/{NEWS}name"), settings.NEWSROOM_SITE_NAME)
        self.assertEqual(news.findtext(f"{NEWS}publication/{NEWS}language"), "zh-cn")
        # W3C format to the second, in Beijing time as the story page prints it.
        published = timezone.localtime(self.fresh.published_at).replace(microsecond=0)
        self.assertEqual(news.findtext(f"{NEWS}publication_date"), published.isoformat())
        self.assertTrue(news.findtext(f"{NEWS}publication_date").endswith("+08:00"))
        self.assertEqual(news.findtext(f"{NEWS}title"), self.fresh.title)  # escaped, read back whole

    def test_at_most_limit_stories(self):
        self.addCleanup(setattr, sitemaps.NewsSitemap, "limit", sitemaps.NewsSitemap.limit)
        sitemaps.NewsSitemap.limit = 1
        self.assertEqual(locations(self.news()), [f"http://testserver{self.fresh.get_absolute_url()}"])

    def test_the_schemas_refuse_what_google_refuses(self):
        """The validation above means something: a wrong language code or a missing title fail."""
        good = self.news().content.decode()
        for wrong in (good.replace(">zh-cn<", ">zh-Hans<"),
                      good.replace("<news:title>", "<news:headline>").replace("</news:title>", "</news:headline>"),
                      good.replace("<news:publication_date>", "<news:publication_date>昨天")):
            with self.subTest(wrong=wrong[300:400]):
                self.assertFalse(sitemap_schema().validate(etree.fromstring(wrong.encode())))

    def test_one_page_only(self):
        for query in ("?p=2", "?p=0", "?p=abc", "?p=99999999999999999999"):
            with self.subTest(query):
                self.assertEqual(self.client.get("/sitemap-news.xml" + query).status_code, 404)
        self.assertEqual(len(locations(self.news("?p=1"))), 2)

    def test_one_query(self):
        with self.assertNumQueries(1):
            self.news()

    def test_without_recent_stories_the_sitemap_is_empty(self):
        Article.objects.filter(pk__in=[self.fresh.pk, self.older.pk]).delete()
        self.assertEqual(locations(self.news()), [])
