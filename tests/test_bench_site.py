"""bench_site's page-cache survival figure (articles/bench/survival.py): its arithmetic, and
the signal it reads (PageCacheMiddleware marks the pages it answers)."""

from datetime import timedelta
from unittest import skipUnless

from django.db import connection
from django.test import SimpleTestCase, TestCase, TransactionTestCase
from django.utils import timezone

from articles.bench import database
from articles.bench.site import middle_story
from articles.bench.survival import answered_from_cache, survival
from articles.cache import HIT_HEADER
from articles.models import Article, Category, Source
from tests.site_support import FreshCacheMixin


class SurvivalArithmeticTests(SimpleTestCase):
    def test_header_decides_hit(self):
        self.assertTrue(answered_from_cache({"x-page-cache": "hit"}))
        self.assertTrue(answered_from_cache({"X-Page-Cache": " HIT "}))
        self.assertFalse(answered_from_cache({}))
        self.assertFalse(answered_from_cache({"x-page-cache": "miss"}))
        self.assertFalse(answered_from_cache({"x-cache": "HIT"}))  # nginx's, not the page cache

    def test_share_counts_only_pages_cached_before(self):
        before = {"/a/": True, "/b/": True, "/c/": True, "/d/": True, "/e/": False}
        after = {"/a/": True, "/b/": True, "/c/": False, "/e/": True}  # /d/ not asked again
        row = survival("story pages", before, after)
        self.assertEqual((row.pages, row.cached_before, row.cached_after), (5, 4, 2))
        self.assertEqual(row.share, 0.5)

    def test_nothing_cached_before_has_no_share(self):
        self.assertIsNone(survival("list pages", {"/": False}, {"/": True}).share)


class HitHeaderTests(FreshCacheMixin, TestCase):
    def test_only_pages_from_the_cache_say_so(self):
        source = Source.objects.create(name="测试来源", slug="ceshi")
        story = Article.objects.create(
            title="缓存标记测试", status="published", source=source,
            category=Category.objects.get(slug="companies"),
            published_at=timezone.now() - timedelta(hours=1), body="<p>正文</p>",
        )
        for url in (story.get_absolute_url(), "/"):
            with self.subTest(url):
                first = self.client.get(url)
                second = self.client.get(url)
                self.assertEqual(first.status_code, 200)
                self.assertNotIn(HIT_HEADER, first)
                self.assertTrue(answered_from_cache(dict(second.items())))
                self.assertEqual(second.content, first.content)


@skipUnless(connection.vendor == "postgresql", "sizes and statement statistics are PostgreSQL's")
class DatabaseReportTests(TransactionTestCase):
    """What bench_site reports of the database: sizes, and the statements of the run that took the
    most time, when the server loads pg_stat_statements."""

    def test_sizes_and_the_slowest_statements_of_the_run(self):
        counted = database.start()
        for _ in range(3):
            list(Article.objects.filter(title__contains="基准报告").values_list("pk", flat=True))
        found = database.report(counted=counted)
        self.assertGreater(found["articles"], 0)
        self.assertGreaterEqual(found["database"], found["articles"])
        text = database.markdown(found)
        self.assertIn("articles table", text)
        if counted:
            self.assertTrue(any("articles_article" in query and calls >= 3
                                for calls, _, _, _, query in found["slowest"]), found["slowest"])
            self.assertIn("| calls | total ms |", text)
        else:
            self.assertIn("pg_stat_statements is not loaded", text)


class MiddleStoryTests(TestCase):
    def test_the_published_story_at_the_middle_of_the_archive(self):
        self.assertRaises(RuntimeError, middle_story)
        now = timezone.now()
        stories = {days: Article.objects.create(title=f"{days} 天前", body="<p>正文</p>", status="published",
                                                published_at=now - timedelta(days=days))
                   for days in (0, 3, 6, 9, 10)}
        Article.objects.create(title="草稿", body="<p>正文</p>", status="draft", published_at=now - timedelta(days=5))
        self.assertEqual(middle_story(), stories[6])  # the newest at or before 5 days ago, published
