"""The read beacon (articles/reading/beacon.py, counting.py) against the real Redis: a browser's
read counts once per reader and story every few minutes, robots and other sites' pages never,
only published stories, and the answer is an empty, uncached, cookie-free 204 whatever happens,
Redis down included."""

import datetime

from django.core.cache import cache
from django.test import Client, TestCase, override_settings
from django.utils import timezone

from articles.models import Article
from articles.reading.beacon import beacon_path
from articles.reading.counting import READ_AGAIN_SECONDS, count_read
from articles.reading.models import StoryReads
from tests.reading_support import BROWSER, ReaderMixin, RealRedisMixin, redis_caches, story
from tests.site_support import FreshCacheMixin
from tests.test_reading_readers import ROBOTS
from tests.test_redis_cache import closed_port


class BeaconTests(RealRedisMixin, ReaderMixin, TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.story = story("美的集团发布季度报告")
        cls.other = story("海尔智家召开发布会")

    def test_a_read_is_counted_in_the_hours_bucket_and_answered_with_an_empty_204(self):
        response = self.read(self.story)
        self.assertEqual(response.status_code, 204)
        self.assertEqual(response.content, b"")
        self.assertNotIn("Content-Type", response)
        self.assertIn("no-store", response["Cache-Control"])
        self.assertEqual(response.cookies, {})
        self.assertEqual(self.bucket(), {self.story.pk: 1})
        # Nothing of it reaches the database until flush_reads runs.
        self.assertFalse(StoryReads.objects.exists())

    def test_the_bucket_expires_if_no_flush_ever_comes(self):
        self.read(self.story)
        bucket = self.keys("reads:hour:*")
        self.assertEqual(len(bucket), 1)
        ttl = self.redis.ttl(cache.make_key(bucket[0]))
        self.assertGreater(ttl, 6 * 24 * 3600)
        self.assertLessEqual(ttl, 7 * 24 * 3600)

    def test_a_readers_repeat_reads_count_once_other_readers_count_too(self):
        for _ in range(3):
            self.assertEqual(self.read(self.story, address="203.0.113.7").status_code, 204)
        self.read(self.story, address="203.0.113.8")
        self.read(self.other, address="203.0.113.7")  # another story by the same reader
        self.assertEqual(self.bucket(), {self.story.pk: 2, self.other.pk: 1})
        # The mark that dedupes lives a few minutes, under a hash of the address.
        marks = self.keys("reads:seen:*")
        self.assertEqual(len(marks), 3)
        self.assertFalse(any("203.0.113" in mark for mark in marks))
        ttl = self.redis.ttl(cache.make_key(marks[0]))
        self.assertTrue(0 < ttl <= READ_AGAIN_SECONDS)

    def test_a_reader_counts_again_once_the_mark_has_expired(self):
        self.read(self.story)
        for mark in self.keys("reads:seen:*"):
            self.redis.delete(cache.make_key(mark))  # what READ_AGAIN_SECONDS later does
        self.read(self.story)
        self.assertEqual(self.bucket(), {self.story.pk: 2})

    def test_robots_tools_and_requests_without_a_user_agent_are_not_counted(self):
        for number, agent in enumerate(ROBOTS):
            with self.subTest(agent[:60]):
                response = self.read(self.story, address=f"198.51.100.{number}", agent=agent)
                self.assertEqual(response.status_code, 204)
        response = self.client.post(beacon_path(self.story.pk), REMOTE_ADDR="198.51.100.99")  # no UA
        self.assertEqual(response.status_code, 204)
        self.assertEqual(self.bucket(), {})
        self.assertEqual(self.keys("reads:*"), [])

    def test_another_sites_page_cannot_count_reads(self):
        for site in ("cross-site", "same-site", "none"):
            self.read(self.story, HTTP_SEC_FETCH_SITE=site)
        self.assertEqual(self.bucket(), {})
        # Browsers that do not send Sec-Fetch-Site at all still count.
        self.client.post(beacon_path(self.story.pk), REMOTE_ADDR="203.0.113.9", HTTP_USER_AGENT=BROWSER)
        self.assertEqual(self.bucket(), {self.story.pk: 1})

    def test_only_published_stories_count(self):
        hidden = [
            story("草稿稿件", status=Article.Status.DRAFT),
            story("待审稿件", status=Article.Status.REVIEW),
            story("回收站稿件", status=Article.Status.TRASHED),
            story("定时稿件", hours_ago=-2),  # published, but not yet
        ]
        for article in hidden:
            with self.subTest(article.title):
                self.assertEqual(self.read(article).status_code, 204)
        missing = Article(pk=Article.objects.order_by("-pk").first().pk + 1000)
        self.assertEqual(self.read(missing).status_code, 204)
        self.assertEqual(self.bucket(), {})

    def test_a_published_story_costs_one_query_then_none_for_a_while(self):
        with self.assertNumQueries(1):
            self.read(self.story, address="203.0.113.1")
        with self.assertNumQueries(0):
            self.read(self.story, address="203.0.113.2")
        self.assertEqual(self.bucket(), {self.story.pk: 2})

    def test_only_post_counts(self):
        for method in ("get", "head", "put", "delete", "options"):
            with self.subTest(method):
                response = getattr(self.client, method)(beacon_path(self.story.pk), HTTP_USER_AGENT=BROWSER)
                self.assertEqual(response.status_code, 405)
                self.assertEqual(response["Allow"], "POST")
        self.assertEqual(self.bucket(), {})

    def test_csrf_sessions_and_the_page_cache_stay_out_of_it(self):
        client = Client(enforce_csrf_checks=True)
        client.get("/")  # a page first, as readers do: no cookie comes with it either
        response = client.post(beacon_path(self.story.pk), REMOTE_ADDR="203.0.113.5", HTTP_USER_AGENT=BROWSER)
        self.assertEqual(response.status_code, 204)
        self.assertEqual(response.cookies, {})
        self.assertNotIn("Vary", response)
        self.assertEqual(self.bucket(), {self.story.pk: 1})

    def test_other_addresses_under_r_are_not_the_beacons(self):
        for path in ("/r/", "/r/abc/", "/r/1", "/r/1/x/", "/r/99999999999999999999/", "/r/%00/"):
            with self.subTest(path):
                response = self.client.post(path, HTTP_USER_AGENT=BROWSER)
                self.assertEqual(response.status_code, 404)

    def test_count_read_says_whether_it_counted(self):
        at = timezone.now() - datetime.timedelta(hours=3)
        self.assertTrue(count_read(self.story.pk, reader="aa", at=at))
        self.assertFalse(count_read(self.story.pk, reader="aa", at=at))
        self.assertEqual(self.bucket(at), {self.story.pk: 1})


class RedisDownTests(ReaderMixin, TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.story = story("宁德时代扩产")

    def setUp(self):
        super().setUp()
        from newsroom.redis_cache import ResilientRedisCacheClient

        ResilientRedisCacheClient._down_until = 0.0
        self.addCleanup(setattr, ResilientRedisCacheClient, "_down_until", 0.0)

    def test_readers_get_204_and_the_outage_is_logged_once(self):
        down = redis_caches(prefix="reading-down", location=f"redis://127.0.0.1:{closed_port()}/0")
        with override_settings(CACHES=down), self.assertLogs("newsroom.redis_cache", "WARNING") as logs:
            statuses = [self.read(self.story, address=f"203.0.113.{n}").status_code for n in range(20)]
        self.assertEqual(statuses, [204] * 20)
        self.assertEqual(len(logs.output), 1)
        self.assertIn("redis unreachable", logs.output[0])
        self.assertFalse(StoryReads.objects.exists())  # lost, not written elsewhere


@override_settings(PAGE_CACHE_SECONDS=0)
class WithoutRedisTests(FreshCacheMixin, ReaderMixin, TestCase):
    """Development and tests without REDIS_URL: the local-memory cache, reads written to the
    database by the beacon itself."""

    @classmethod
    def setUpTestData(cls):
        cls.story = story("比亚迪销量创新高")

    def setUp(self):
        super().setUp()
        from articles.reading.beacon import forget_published

        forget_published()

    def test_reads_go_straight_into_the_hours_row_deduped_all_the_same(self):
        for address in ("203.0.113.1", "203.0.113.1", "203.0.113.2", "203.0.113.3"):
            self.assertEqual(self.read(self.story, address=address).status_code, 204)
        row = StoryReads.objects.get()
        self.assertEqual((row.article_id, row.count), (self.story.pk, 3))
        self.assertEqual(row.hour, timezone.now().replace(minute=0, second=0, microsecond=0))


@override_settings(PAGE_CACHE_SECONDS=0)
class BeaconScriptTests(FreshCacheMixin, TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.story = story("贵州茅台分红方案")

    def test_a_story_page_loads_the_script_with_its_beacon(self):
        html = self.client.get(self.story.get_absolute_url()).content.decode()
        self.assertIn(f'data-beacon="{beacon_path(self.story.pk)}" defer></script>', html)
        self.assertIn("/static/js/read.js", html)

    def test_other_pages_do_not(self):
        for url in ("/", "/hot/", "/live/", "/archive/", "/stocks/"):
            with self.subTest(url):
                self.assertNotIn("data-beacon", self.client.get(url).content.decode())
