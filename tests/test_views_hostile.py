"""Every public address, walked from the URLconf, against hostile input.

Malformed path parts and query strings (NUL, lone surrogates, invalid UTF-8, huge and negative
numbers, impossible dates, overlong values) are the reader's error: 4xx, never a 500.
"""

import re

from django.test import Client, TestCase
from django.urls import URLPattern, URLResolver, get_resolver

from articles.models import Article, TaggedArticle
from tests.site_support import SUNING_HAIER, FreshCacheMixin, import_published

PLACEHOLDER = re.compile(r"<(?:(?P<converter>\w+):)?(?P<name>\w+)>")

HOSTILE_PATH = [
    "%00", "a%00b", "%ED%A0%80", "%FF%FE", "%C0%AF", "%0A", "%25", "..", "x" * 5000,
    "-1", "0", "1.5", "abc", "13", "45", "0000", "9999",
    "99999999999999999999", "9223372036854775808", "18446744073709551616",
]
HOSTILE_QUERY = [
    "abc", "-1", "0", "1.5", "1e3", "%00", "1%00", "%ED%A0%80", "%FF", "%EF%BC%91",
    "99999999999999999999", "9223372036854775808", "", "x" * 5000,
    "9" * 4301,  # more digits than int() converts (Python 3.11: ValueError, not a number)
]
QUERY_NAMES = ["page", "p", "q"]


def public_patterns() -> list[tuple[str, str]]:
    """(name, route) of every URL pattern except the admin's, from the URLconf itself."""
    found = []

    def walk(patterns, prefix: str, namespace: str) -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                if pattern.app_name == "admin":
                    continue
                space = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
                walk(pattern.url_patterns, prefix + str(pattern.pattern), space)
            elif isinstance(pattern, URLPattern):
                found.append((f"{namespace}{pattern.name or ''}", prefix + str(pattern.pattern)))

    walk(get_resolver().url_patterns, "", "")
    return found


class PublicAddressesMixin(FreshCacheMixin):
    @classmethod
    def setUpTestData(cls):
        import_published()
        story = Article.objects.get(external_id=SUNING_HAIER)
        when = story.published_at
        stock = story.stocks.first()
        tag = TaggedArticle.objects.select_related("tag").first().tag
        legacy = story.legacy_path.strip("/").removesuffix(".html").split("/")
        # Real values per URL parameter, so that pages get past their look-ups to the
        # parameters under test (a parameter the table lacks gets "1").
        cls.real = {
            "pk": str(story.pk), "symbol": stock.symbol, "section": "articles",
            "year": f"{when.year}", "month": f"{when.month:02d}", "day": f"{when.day:02d}",
            "category": legacy[0], "ident": legacy[-1], "article_id": str(story.pk),
            "key": legacy[0],  # the feed key of the old site's publisher page
        }
        cls.slugs = {"detail": story.slug, "source": story.source.slug,
                     "category": story.category.slug, "tag": tag.slug}
        cls.patterns = public_patterns()

    def setUp(self):
        super().setUp()
        self.client = Client(raise_request_exception=False)

    def address(self, name: str, route: str, **override) -> str:
        def value(match) -> str:
            param = match["name"]
            if param in override:
                return override[param]
            if param == "slug":
                kind = name.split(":")[-1].removesuffix("_feed")
                return self.slugs.get(kind, "x")
            return self.real.get(param, "1")

        return "/" + PLACEHOLDER.sub(value, route)

    def addresses(self):
        """A real address of every public pattern (search with a query)."""
        for name, route in self.patterns:
            yield self.address(name, route) + ("?q=海尔" if name == "articles:search" else "")


class HostileInputTests(PublicAddressesMixin, TestCase):
    def test_the_walk_finds_every_public_page(self):
        names = {name for name, _ in self.patterns}
        self.assertLessEqual({"healthz", "articles:home", "articles:detail", "articles:legacy",
                              "articles:sitemap_section", "articles:stock_feed"}, names)
        for url in self.addresses():
            with self.subTest(url):
                self.assertLess(self.client.get(url).status_code, 400)

    def test_hostile_path_parts_are_4xx_never_5xx(self):
        failures = []
        for name, route in self.patterns:
            for param in PLACEHOLDER.finditer(route):
                for hostile in HOSTILE_PATH:
                    url = self.address(name, route, **{param["name"]: hostile})
                    status = self.client.get(url).status_code
                    if status >= 500:
                        failures.append((status, url[:120]))
        self.assertEqual(failures, [])

    def test_hostile_query_strings_are_4xx_never_5xx(self):
        failures = []
        for url in self.addresses():
            for key in QUERY_NAMES:
                for hostile in HOSTILE_QUERY:
                    address = f"{url}{'&' if '?' in url else '?'}{key}={hostile}"
                    status = self.client.get(address).status_code
                    if status >= 500:
                        failures.append((status, address[:120]))
        self.assertEqual(failures, [])

    def test_malformed_numbers_named_in_the_issue(self):
        for url in ("/sitemap-articles.xml?p=abc", "/sitemap-articles.xml?p=1.5",
                    "/sitemap-articles.xml?p=%00", "/sitemap-articles.xml?p=-1",
                    "/sitemap-articles.xml?p=99999999999999999999",
                    "/archive/2022/13/45/", "/articles/99999999999999999999/x/"):
            with self.subTest(url):
                self.assertEqual(self.client.get(url).status_code, 404)
        legacy = self.address("articles:legacy", dict(self.patterns)["articles:legacy"],
                              ident="%00")
        self.assertEqual(self.client.get(legacy).status_code, 404)
