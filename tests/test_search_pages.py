"""One page of ranked results (articles/search/pages.py): the same order as
search_articles(), on every path a query can take, on the real corpus."""

from unittest.mock import patch

from django.db import connection
from django.test import override_settings

from articles.models import Article
from articles.search import pages
from articles.search.filters import search_articles
from articles.search.pages import MAX_PAGES, search_page
from articles.search.query import parse_query
from tests.search_support import SearchCorpusTestCase


class SearchPageTests(SearchCorpusTestCase):
    def test_pages_follow_the_ranking(self):
        for q in ("海尔", "京东 美的", "海", "苏宁易购", "A股", "中国", "公司"):
            with self.subTest(q=q):
                self.assert_pages_match(q)

    @override_settings()
    def test_pages_follow_the_ranking_on_the_paths_for_common_queries(self):
        # Force the paths that a large archive takes (CANDIDATES, RECENT, the titles' window
        # grown by a word's frequency up to RECENT_TITLES_MOST) on a small one. On PostgreSQL
        # the paths are chosen by the index statistics: gathered first.
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE articles_article")
            pages._LEXEME_STATS.clear()
            self.addCleanup(pages._LEXEME_STATS.clear)
        windows = []
        spy = pages._newest_among_recent

        def recorded(*args, **kwargs):
            windows.append(kwargs.get("window", pages.RECENT))
            return spy(*args, **kwargs)

        self.enterContext(patch.object(pages, "_newest_among_recent", recorded))
        for candidates, recent, most in ((3, 1000, 20_000), (3, 2, 2), (3, 2, 20_000), (3, 2, 5), (1, 1, 1)):
            with self.subTest(candidates=candidates, recent=recent, most=most):
                old = pages.CANDIDATES, pages.RECENT, pages.RECENT_TITLES_MOST
                pages.CANDIDATES, pages.RECENT, pages.RECENT_TITLES_MOST = candidates, recent, most
                try:
                    for q in ("海尔", "公司", "中国经济", "苏宁易购", "海", "2022年"):
                        self.assert_pages_match(q)
                finally:
                    pages.CANDIDATES, pages.RECENT, pages.RECENT_TITLES_MOST = old
        if connection.vendor == "postgresql":  # a title window larger than RECENT was checked
            self.assertTrue(any(window > 2 for window in windows if window != 1000), windows)

    def test_page_numbers_stay_within_the_pages_offered(self):
        self.assertEqual(search_page("海尔", page=0).number, 1)
        last = search_page("海", page=MAX_PAGES + 5, per_page=1)
        self.assertEqual(last.number, MAX_PAGES)
        self.assertFalse(last.has_next)
        self.assertTrue(last.has_previous())
        self.assertEqual(last.start_index(), MAX_PAGES)
        empty = search_page("？！")
        self.assertEqual((empty.articles, empty.has_next, empty.has_other_pages()), ([], False, False))
        self.assertTrue(empty.query.problem)

    def test_match_estimates_come_from_the_index_statistics(self):
        if connection.vendor != "postgresql":
            self.skipTest("routing by estimate is PostgreSQL's")
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE articles_article")
        pages._LEXEME_STATS.clear()
        self.addCleanup(pages._LEXEME_STATS.clear)
        published = len(self.texts) + len(self.hidden)
        haier = pages._estimate(parse_query("海尔"))
        self.assertAlmostEqual(haier, len(self.reference("海尔")), delta=published * 0.1)
        # The title index's own statistics, for routing title hits.
        titled = Article.objects.filter(title__contains="海尔").count()
        self.assertGreater(titled, 0)
        self.assertAlmostEqual(pages._estimate(parse_query("海尔"), pages._TITLE_STATS),
                               titled, delta=published * 0.05)
        self.assertLess(pages._estimate(parse_query("海尔"), pages._TITLE_STATS), haier)
        # A word is as rare as its rarest bigram, not the product of its bigrams' shares.
        self.assertEqual(pages._estimate(parse_query("京东家电")),
                         min(pages._estimate(parse_query(b)) for b in ("京东", "东家", "家电")))
        self.assertGreater(pages._estimate(parse_query("京东家电")), 1)
        self.assertLess(pages._estimate(parse_query("鑫鑫鑫")), 5)

    def assert_pages_match(self, q):
        expected = list(search_articles(q).values_list("pk", flat=True))
        shown, number = [], 1
        while True:
            page = search_page(q, page=number, per_page=3)
            shown += [a.pk for a in page.articles]
            if not page.has_next:
                break
            number += 1
        self.assertEqual(shown, expected[: 3 * MAX_PAGES], q)
