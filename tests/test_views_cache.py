"""Whole-page caching for anonymous readers, invalidated at once by edits; conditional GET."""

import time
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.test import TestCase, override_settings
from django.utils import timezone

from articles.cache import (
    STORY,
    VERSION_KEY,
    PageGeneration,
    _bump_generation,
    bump_cache_version,
    current_version,
)
from articles.ingest.pipeline import import_paths
from articles.models import Article, Category, Source, Stock
from tests.admin_support import temp_dir
from tests.site_support import FreshCacheMixin, import_published


class PageCacheTests(FreshCacheMixin, TestCase):
    def setUp(self):
        super().setUp()
        self.source = Source.objects.create(name="测试来源", slug="ceshi")
        self.category = Category.objects.get(slug="companies")
        self.story = Article.objects.create(
            title="缓存测试原标题", status="published", source=self.source, category=self.category,
            published_at=timezone.now() - timedelta(hours=1), body="<p>正文</p>",
        )

    @override_settings(PAGE_CACHE_GENERATION_SECONDS=60)  # no generation read in between
    def test_second_anonymous_visit_costs_no_query(self):
        for url in ("/", self.story.get_absolute_url(), "/sources/ceshi/", "/feed/",
                    "/search/?q=缓存", "/sitemap.xml", "/robots.txt"):
            with self.subTest(url):
                first = self.client.get(url)
                self.assertEqual(first.status_code, 200)
                with self.assertNumQueries(0):
                    second = self.client.get(url)
                self.assertEqual(second.content, first.content)
                self.assertEqual(second["Content-Type"], first["Content-Type"])
                self.assertIn("Last-Modified", second)

    def test_cached_pages_get_the_same_protective_headers(self):
        # Hits are answered below the header middleware but above sessions and CSRF.
        url = self.story.get_absolute_url()
        first = self.client.get(url)
        second = self.client.get(url)
        for header in ("Content-Security-Policy", "X-Frame-Options", "X-Content-Type-Options",
                       "ETag", "Last-Modified"):
            with self.subTest(header):
                self.assertTrue(first.get(header))
                self.assertEqual(second.get(header), first.get(header))
        self.assertNotIn("Set-Cookie", second)

    def test_edits_show_at_once(self):
        url = self.story.get_absolute_url()
        self.assertContains(self.client.get("/"), "缓存测试原标题")
        self.assertContains(self.client.get(url), "缓存测试原标题")
        self.story.title = "缓存测试新标题"
        self.story.save()
        self.assertContains(self.client.get("/"), "缓存测试新标题")
        self.assertContains(self.client.get(url), "缓存测试新标题")

    def test_unpublishing_deleting_and_related_edits_show_at_once(self):
        url = self.story.get_absolute_url()
        self.assertEqual(self.client.get(url).status_code, 200)
        self.story.status = Article.Status.REVIEW
        self.story.save()
        self.assertEqual(self.client.get(url).status_code, 404)
        self.assertNotContains(self.client.get("/"), "缓存测试原标题")

        self.story.status = Article.Status.PUBLISHED
        self.story.save()
        self.assertContains(self.client.get("/sources/ceshi/"), "测试来源")
        self.source.name = "改名后的来源"
        self.source.save()
        self.assertContains(self.client.get("/sources/ceshi/"), "改名后的来源")

        stock = Stock.objects.get(market="SZ", code="000001")  # 平安银行, from the directory
        self.assertNotContains(self.client.get(url), "平安银行")
        self.story.stocks.add(stock)  # m2m_changed
        self.assertContains(self.client.get(url), "平安银行")
        self.story.tags.add("缓存标签")
        self.assertContains(self.client.get(url), "缓存标签")
        self.story.tags.remove("缓存标签")
        self.assertNotContains(self.client.get(url), "缓存标签")

        self.story.delete()
        self.assertEqual(self.client.get(url).status_code, 404)

    def test_bulk_writes_need_a_bump(self):
        self.assertContains(self.client.get("/"), "缓存测试原标题")
        Article.objects.filter(pk=self.story.pk).update(title="批量改的标题")  # no signal
        self.assertContains(self.client.get("/"), "缓存测试原标题")
        bump_cache_version()
        self.assertContains(self.client.get("/"), "批量改的标题")

    def test_scheduled_story_appears_when_due_without_any_write(self):
        Article.objects.create(
            title="定时发布的稿件", status="published", source=self.source,
            published_at=timezone.now() + timedelta(seconds=1.5),
        )
        self.assertNotContains(self.client.get("/"), "定时发布的稿件")
        time.sleep(1.6)
        self.assertContains(self.client.get("/"), "定时发布的稿件")

    def test_signed_in_visitors_bypass_the_cache(self):
        anonymous = self.client.get("/")
        self.assertNotIn("Cookie", anonymous.get("Vary", ""))  # shared caches may keep it
        self.client.cookies[settings.SESSION_COOKIE_NAME] = "x"
        with self.assertNumQueries(7):  # the home page's own: public pages never read the session
            self.client.get("/")

    def test_conditional_get(self):
        url = self.story.get_absolute_url()
        first = self.client.get(url)
        etag, modified = first["ETag"], first["Last-Modified"]
        self.assertEqual(self.client.get(url, HTTP_IF_NONE_MATCH=etag).status_code, 304)
        self.assertEqual(self.client.get(url, HTTP_IF_MODIFIED_SINCE=modified).status_code, 304)
        self.story.title = "改过的标题"
        self.story.save()
        self.assertEqual(self.client.get(url, HTTP_IF_NONE_MATCH=etag).status_code, 200)

    def test_a_lost_version_is_recreated(self):
        self.client.get("/")
        cache.delete(VERSION_KEY)
        self.assertContains(self.client.get("/"), "缓存测试原标题")
        self.assertIsNotNone(cache.get(VERSION_KEY))

    def test_errors_and_redirects_are_not_cached(self):
        self.client.get("/stocks/sz000001/")
        self.assertEqual(self.client.get("/sources/nope/").status_code, 404)
        Source.objects.create(name="后来才有的来源", slug="nope")
        self.assertEqual(self.client.get("/sources/nope/").status_code, 200)

    @override_settings(PAGE_CACHE_GENERATION_SECONDS=0)
    def test_a_change_the_cache_never_heard_of_still_invalidates(self):
        """The database's generation, not the cache's key, decides: a bump that reached only
        the database (the cache was frozen) still retires every stored page."""
        url = self.story.get_absolute_url()
        self.assertContains(self.client.get(url), "缓存测试原标题")
        Article.objects.filter(pk=self.story.pk).update(status=Article.Status.DRAFT)
        with self.captureOnCommitCallbacks(execute=True):
            transaction.on_commit(_bump_generation)  # what a lost cache bump leaves behind
        self.assertEqual(self.client.get(url).status_code, 404)

    def test_pages_are_stored_under_the_database_generation(self):
        self.client.get("/")
        with self.captureOnCommitCallbacks(execute=True):
            bump_cache_version()
        self.assertEqual(PageGeneration.objects.count(), 1)
        first = PageGeneration.objects.get().value
        with self.captureOnCommitCallbacks(execute=True):
            bump_cache_version()
        self.assertEqual(PageGeneration.objects.get().value, first + 1)
        self.assertTrue(current_version()[STORY].startswith(f"{first + 1:x}."))


class ImportsKeepStoryPagesTests(FreshCacheMixin, TestCase):
    """New stories change the lists, not the stories already published: story pages stay
    cached through an import that only adds, and not through one that changes a story."""

    def setUp(self):
        super().setUp()
        with self.captureOnCommitCallbacks(execute=True):
            import_published()
        self.story = Article.objects.published().order_by("pk").first()
        self.url = self.story.get_absolute_url()
        self.folder = temp_dir(self)
        self.new_file = self.folder / "new.md"
        # Another story: its own id (share link), words and figures (a copy that only renamed
        # the company would be the same story, listed once: articles/clusters).
        self.new_file.write_text(
            "---\nlayout: post\ntitle: 新增测试稿：董事会审议通过回购方案\n"
            "date: 2022-01-22 09:30:00 +0800\ncategories: zhengquanshibao\ntags: [证券时报新闻]\n---\n"
            "<p>新增测试稿公告称，董事会审议通过以集中竞价方式回购公司股份的方案，回购资金总额"
            "不低于5000万元、不超过8000万元，回购价格不超过每股19.6元，回购期限为董事会审议通过"
            "之日起12个月内。回购股份将用于员工持股计划。</p>\n"
            "<http://finance.eastmoney.com/news/1354,202201219999999999.html>\n", encoding="utf-8")

    def import_folder(self):
        with self.captureOnCommitCallbacks(execute=True):
            return import_paths([str(self.folder)], status="published", workers=1)

    def test_an_import_of_new_stories_leaves_story_pages_cached_and_refreshes_lists(self):
        self.assertContains(self.client.get(self.url), self.story.title)
        self.assertNotContains(self.client.get("/"), "新增测试稿")
        self.assertNotContains(self.client.get("/feed/"), "新增测试稿")
        # A change no signal or bump announces: only a fresh render would show it.
        Article.objects.filter(pk=self.story.pk).update(title="未经通知的标题")

        self.assertEqual(self.import_folder().created, 1)
        self.assertContains(self.client.get(self.url), self.story.title)  # still the cached page
        self.assertContains(self.client.get("/"), "新增测试稿")  # the lists are new
        self.assertContains(self.client.get("/feed/"), "新增测试稿")

    def test_an_import_that_changes_a_story_retires_every_page(self):
        self.import_folder()
        self.assertContains(self.client.get(self.url), self.story.title)
        Article.objects.filter(pk=self.story.pk).update(title="未经通知的标题")
        self.new_file.write_bytes(self.new_file.read_bytes().replace("新增测试稿".encode(), "改后测试稿".encode()))

        self.assertEqual(self.import_folder().updated, 1)
        self.assertContains(self.client.get(self.url), "未经通知的标题")

    def test_a_scheduled_story_coming_due_refreshes_lists_only(self):
        Article.objects.create(title="定时到点稿件", status="published", body="<p>正文</p>",
                               published_at=timezone.now() + timedelta(seconds=1.5))
        self.assertContains(self.client.get(self.url), self.story.title)
        self.assertNotContains(self.client.get("/"), "定时到点稿件")
        Article.objects.filter(pk=self.story.pk).update(title="未经通知的标题")
        time.sleep(1.6)
        self.assertContains(self.client.get("/"), "定时到点稿件")
        self.assertContains(self.client.get(self.url), self.story.title)
