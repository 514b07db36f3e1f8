"""The hot lists on readers' pages: the home page's block and /hot/, end to end from readers'
beacons through Redis and flush_reads, on the real Redis (its page cache included), with their
query counts and the staleness the page cache allows."""

import re
from io import StringIO

from django.core.management import call_command
from django.test import TestCase, override_settings

from articles.models import Article
from articles.reading import boards
from articles.reading.models import HotPick
from tests.reading_support import ReaderMixin, RealRedisMixin, story
from tests.site_support import FreshCacheMixin
from tests.test_reading_boards import reads


def hot_titles(html: str, board: str, *, page: str = "home") -> list[str]:
    """The titles of list `board` on the home page or /hot/, in order."""
    heading = f'id="home-hot-{board}"' if page == "home" else f'id="hot-{board}"'
    block = re.search(rf"{heading}.*?</ol>", html, re.S)
    return re.findall(r'<li><a href="[^"]+">([^<]+)</a>', block[0]) if block else []


class ReadFiveTimesTests(RealRedisMixin, ReaderMixin, TestCase):
    """Issue 19's acceptance: a story read 5 times tops the hot list."""

    @classmethod
    def setUpTestData(cls):
        cls.top = story("工商银行发布年报", hours_ago=30)  # older than the others: reads decide
        cls.runner_up = story("招商银行零售转型")
        cls.third = story("平安银行不良率下降")

    def test_a_story_read_5_times_tops_the_hot_lists(self):
        for article, readers in ((self.third, 3), (self.runner_up, 4), (self.top, 5)):
            for n in range(readers):
                self.assertEqual(self.read(article, address=f"203.0.113.{n + 1}").status_code, 204)
        # A reader reloading, and a crawler, change nothing.
        self.read(self.runner_up, address="203.0.113.1")
        self.read(self.runner_up, address="66.249.66.1", agent="Mozilla/5.0 (compatible; Googlebot/2.1)")
        call_command("flush_reads", "--quiet", stdout=StringIO())

        home = self.client.get("/")
        self.assertEqual(home.status_code, 200)
        html = home.content.decode()
        ranking = ["工商银行发布年报", "招商银行零售转型", "平安银行不良率下降"]
        for board in ("day", "week"):
            with self.subTest(board):
                self.assertEqual(hot_titles(html, board), ranking)
        self.assertIn('<a class="more" href="/hot/">更多热读', html)
        page = self.client.get("/hot/").content.decode()
        self.assertEqual(hot_titles(page, "day", page="hot"), ranking)
        # Served from the page cache the second time, as readers get it.
        self.assertEqual(self.client.get("/").get("X-Page-Cache"), "hit")


@override_settings(PAGE_CACHE_SECONDS=0)
class HotPageTests(FreshCacheMixin, TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.a = story("比亚迪发布新车")
        cls.b = story("宁德时代签下大单")
        cls.c = story("隆基绿能减产", status=Article.Status.DRAFT)

    def test_the_page_lists_both_boards_with_source_and_time_in_three_queries(self):
        reads(self.a, 2)
        reads(self.b, 7, hours_ago=40)
        reads(self.c, 9)
        boards.refresh()
        with self.assertNumQueries(3):  # the sections, each list
            response = self.client.get("/hot/")
        html = response.content.decode()
        self.assertEqual(hot_titles(html, "day", page="hot"), ["比亚迪发布新车"])
        self.assertEqual(hot_titles(html, "week", page="hot"), ["宁德时代签下大单", "比亚迪发布新车"])
        self.assertIn("<title>热读排行 - ", html)
        self.assertIn("阅读测试媒体", html)
        self.assertNotIn("隆基绿能减产", html)

    def test_a_pin_is_marked_for_readers(self):
        boards.pick([self.a.pk], action=HotPick.Action.PIN)
        html = self.client.get("/hot/").content.decode()
        self.assertIn('<span class="hot-pin">荐<span class="visually-hidden">（编辑推荐）</span></span>', html)

    def test_before_any_read_the_page_says_so_and_the_home_page_shows_no_block(self):
        html = self.client.get("/hot/").content.decode()
        self.assertEqual(html.count("暂时还没有足够的阅读数据"), 2)
        self.assertNotIn("home-hot", self.client.get("/").content.decode())


class StalenessTests(FreshCacheMixin, TestCase):
    """The home page is cached: its hot block is as old as the page (up to PAGE_CACHE_SECONDS),
    while editors' pins and withdrawals reach it at once."""

    @classmethod
    def setUpTestData(cls):
        cls.a = story("中芯国际扩产")
        cls.b = story("华虹半导体业绩")

    def test_new_reads_wait_for_the_page_to_expire_editors_do_not(self):
        reads(self.a, 3)
        boards.refresh()
        self.assertEqual(hot_titles(self.client.get("/").content.decode(), "day"), ["中芯国际扩产"])
        reads(self.b, 10)
        boards.refresh()
        self.assertEqual(hot_titles(self.client.get("/").content.decode(), "day"), ["中芯国际扩产"])  # stale
        self.a.status = Article.Status.DRAFT  # a withdrawal retires every cached page
        self.a.save()
        self.assertEqual(hot_titles(self.client.get("/").content.decode(), "day"), ["华虹半导体业绩"])
