"""Atom feeds, read back with a real XML parser."""

from xml.etree import ElementTree

from django.test import TestCase, override_settings

from articles.models import Article, ArticleTag, Stock
from tests.site_support import (
    HIDDEN_MARKERS,
    SUNING_HAIER,
    FreshCacheMixin,
    add_stories,
    create_hidden_stories,
    import_published,
)

ATOM = "{http://www.w3.org/2005/Atom}"


def parse(response):
    return ElementTree.fromstring(response.content)  # noqa: S314 (our own output)


def entries(root):
    return root.findall(f"{ATOM}entry")


@override_settings(PAGE_CACHE_SECONDS=0)
class FeedTests(FreshCacheMixin, TestCase):
    @classmethod
    def setUpTestData(cls):
        import_published()
        cls.hidden = create_hidden_stories()
        cls.haier = Article.objects.get(external_id=SUNING_HAIER)

    def feed_urls(self) -> dict[str, str]:
        return {
            "site": "/feed/",
            "source": f"{self.haier.source.get_absolute_url()}feed/",
            "category": f"{self.haier.category.get_absolute_url()}feed/",
            "tag": f"{ArticleTag.objects.get(name='新能源').get_absolute_url()}feed/",
            "stock": "/stocks/SZ002024/feed/",
        }

    def test_site_feed_lists_the_newest_published_stories(self):
        response = self.client.get("/feed/")
        self.assertEqual(response.status_code, 200)
        self.assertTrue(response["Content-Type"].startswith("application/atom+xml"))
        root = parse(response)
        self.assertEqual(root.tag, f"{ATOM}feed")
        self.assertEqual(root.findtext(f"{ATOM}title"), "财经新闻台")
        titles = [entry.findtext(f"{ATOM}title") for entry in entries(root)]
        self.assertEqual(titles, list(Article.objects.published().values_list("title", flat=True)[:30]))
        newest = Article.objects.published().first()
        first = entries(root)[0]
        self.assertEqual(first.find(f"{ATOM}link").get("href"),
                         f"http://testserver{newest.get_absolute_url()}")
        self.assertEqual(first.findtext(f"{ATOM}author/{ATOM}name"), newest.source.name)

    def test_item_html_comes_from_the_template(self):
        root = parse(self.client.get(f"{self.haier.source.get_absolute_url()}feed/"))
        entry = next(e for e in entries(root) if e.findtext(f"{ATOM}title") == self.haier.title)
        summary = entry.find(f"{ATOM}summary")
        self.assertEqual(summary.get("type"), "html")
        self.assertIn("<p>2月17日，苏宁易购与海尔召开", summary.text)
        self.assertIn("来源：中国经济网", summary.text)
        # Its summary is the first paragraph cut short: not printed twice.
        self.assertEqual(summary.text.count("2月17日，苏宁易购与海尔召开"), 1)
        self.assertNotIn("<strong>2月17日", summary.text)
        categories = {c.get("term") for c in entry.findall(f"{ATOM}category")}
        self.assertIn(self.haier.category.name, categories)

    def test_a_summary_of_its_own_stands_above_the_body(self):
        story = Article.objects.create(
            title="独立摘要稿件", summary="编辑撰写的导语。", body="<p>正文第一段。</p>",
            status="published", published_at=self.haier.published_at, source=self.haier.source,
        )
        root = parse(self.client.get(f"{self.haier.source.get_absolute_url()}feed/"))
        entry = next(e for e in entries(root) if e.findtext(f"{ATOM}title") == story.title)
        self.assertIn("<p><strong>编辑撰写的导语。</strong></p>", entry.findtext(f"{ATOM}summary"))

    def test_every_feed_is_valid_and_hides_unpublished_stories(self):
        for kind, url in self.feed_urls().items():
            with self.subTest(kind):
                response = self.client.get(url)
                self.assertEqual(response.status_code, 200)
                root = parse(response)
                self.assertTrue(entries(root))
                text = response.content.decode()
                for marker in HIDDEN_MARKERS.values():
                    self.assertNotIn(marker, text)

    def test_subject_feeds_hold_only_their_subject(self):
        stock = Stock.objects.get(market="SZ", code="002024")
        root = parse(self.client.get("/stocks/SZ002024/feed/"))
        expected = Article.objects.published().filter(stocks=stock)
        self.assertEqual([e.findtext(f"{ATOM}title") for e in entries(root)],
                         list(expected.values_list("title", flat=True)))
        self.assertIn("SZ002024", root.findtext(f"{ATOM}title"))

    def test_control_characters_cannot_break_the_xml(self):
        nasty = Article.objects.create(
            title="控制\x01字符\x0b标题\x1f与\ufffe<&>",  # (PostgreSQL refuses NUL itself)
            summary="摘要\x08含控制字符",
            body="<p>正文\x0c含\x1b控制字符 &amp; ]]&gt;</p>",
            status="published", source=self.haier.source, category=self.haier.category,
        )
        nasty.tags.add("标签\x07")
        for url in ("/feed/", f"{self.haier.source.get_absolute_url()}feed/"):
            response = self.client.get(url)
            self.assertEqual(response.status_code, 200)
            titles = [e.findtext(f"{ATOM}title") for e in entries(parse(response))]
            self.assertIn("控制字符标题与<&>", titles)

    def test_unknown_subjects_are_not_found(self):
        for url in ("/sources/nope/feed/", "/categories/nope/feed/", "/tags/nope/feed/",
                    "/stocks/SZ999999/feed/", "/stocks/nonsense/feed/"):
            self.assertEqual(self.client.get(url).status_code, 404, url)

    def test_query_counts_do_not_grow(self):
        counts = {"site": 2, "source": 3, "category": 3, "tag": 3, "stock": 3}
        for kind, url in self.feed_urls().items():
            with self.subTest(kind), self.assertNumQueries(counts[kind]):
                self.client.get(url)  # (the subject,) the stories, their tags
        add_stories(40, source=self.haier.source, category=self.haier.category,
                    tags=["新能源", "甲", "乙"], stocks=list(self.haier.stocks.all()))
        for kind, url in self.feed_urls().items():
            with self.subTest(kind), self.assertNumQueries(counts[kind]):
                self.assertEqual(len(entries(parse(self.client.get(url)))), 30)
