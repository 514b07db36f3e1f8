"""The sitemap index and its sections, read back with a real XML parser."""

from xml.etree import ElementTree

from django.test import TestCase, override_settings

from articles import sitemaps
from articles.models import Article, ArticleTag, Stock
from tests.site_support import FreshCacheMixin, create_hidden_stories, import_published

NS = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


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
        for name in ("pages", "articles", "sources", "categories", "tags", "stocks"):
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

    def test_query_counts(self):
        with self.assertNumQueries(5):  # the articles' highest id, a count per list section
            self.client.get("/sitemap.xml")
        with self.assertNumQueries(2):  # highest id, the page's stories
            self.client.get("/sitemap-articles.xml")
