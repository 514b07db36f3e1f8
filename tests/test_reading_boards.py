"""The hot lists (articles/reading/boards.py): ranked from the hourly counts in their windows,
read through Article.objects.hot() with the visibility rule, the editors' pins on top and their
hidden stories left out, in a bounded number of queries."""

import datetime
import re

from django.test import TestCase
from django.utils import timezone

from articles.models import Article, Stock
from articles.reading import boards
from articles.reading.counting import hour_of
from articles.reading.models import HotEntry, HotPick, StoryReads
from tests.reading_support import story
from tests.site_support import FreshCacheMixin


def reads(article, count: int, *, hours_ago: int = 0) -> None:
    """`count` reads of `article` in the hour `hours_ago` hours back, as flush_reads stores them."""
    hour = hour_of(timezone.now() - datetime.timedelta(hours=hours_ago))
    row, _ = StoryReads.objects.get_or_create(article=article, hour=hour)
    row.count += count
    row.save()


def home_hot_list(client, board: str = "day") -> list[str]:
    """The titles of a hot list on the home page, in order."""
    html = client.get("/").content.decode()
    block = re.search(rf'id="home-hot-{board}".*?</ol>', html, re.S)
    return re.findall(r'<li><a href="[^"]+">([^<]+)</a>', block[0]) if block else []


def ranked(board: str) -> list[tuple[str, int]]:
    return [(article.title, article.reads) for article in Article.objects.hot(board)]


class RankingTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.today = story("今日热点")
        cls.monday = story("周一的热点", hours_ago=50)
        cls.old = story("上个月的热点", hours_ago=24 * 30)

    def test_each_list_adds_up_the_reads_of_its_own_hours(self):
        reads(self.today, 3)
        reads(self.today, 2, hours_ago=23)  # the 24 hours include the current one
        reads(self.monday, 9, hours_ago=30)
        reads(self.monday, 1, hours_ago=24)  # just outside the day
        reads(self.old, 50, hours_ago=24 * 8)  # outside both
        self.assertEqual(boards.refresh(), {"day": 1, "week": 2})
        self.assertEqual(ranked("day"), [("今日热点", 5)])
        self.assertEqual(ranked("week"), [("周一的热点", 10), ("今日热点", 5)])

    def test_a_refresh_replaces_the_lists(self):
        reads(self.today, 3)
        boards.refresh()
        StoryReads.objects.all().delete()
        reads(self.monday, 1)
        boards.refresh()
        self.assertEqual(ranked("day"), [("周一的热点", 1)])

    def test_a_list_keeps_its_most_read_stories_only(self):
        now = timezone.now()
        Article.objects.bulk_create(
            [Article(title=f"稿件{n}", status="published", published_at=now) for n in range(boards.KEPT + 5)])
        for n, article in enumerate(Article.objects.filter(title__startswith="稿件")):
            StoryReads.objects.create(article=article, hour=hour_of(timezone.now()), count=n + 1)
        boards.refresh()
        self.assertEqual(HotEntry.objects.filter(board="day").count(), boards.KEPT)
        self.assertEqual(min(HotEntry.objects.values_list("reads", flat=True)), 6)


class VisibilityTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.shown = story("读者可见的稿件")
        cls.hidden = {
            "withdrawn": story("撤下的稿件"),
            "review": story("待审的稿件", status=Article.Status.REVIEW),
            "trashed": story("回收站的稿件", status=Article.Status.TRASHED),
            "future": story("定时的稿件", hours_ago=-3),
        }

    def test_stories_readers_may_not_see_never_appear_however_read(self):
        for article in [self.shown, *self.hidden.values()]:
            reads(article, 100 if article != self.shown else 1)
        boards.refresh()
        self.hidden["withdrawn"].status = Article.Status.DRAFT  # after it was ranked
        self.hidden["withdrawn"].save()
        for board in ("day", "week"):
            self.assertEqual(ranked(board), [("读者可见的稿件", 1)])
        # A pin does not make a hidden story visible either.
        boards.pick([self.hidden["review"].pk], action=HotPick.Action.PIN)
        self.assertEqual(ranked("day"), [("读者可见的稿件", 1)])

    def test_a_deleted_story_leaves_the_lists(self):
        reads(self.shown, 2)
        boards.refresh()
        self.shown.delete()
        self.assertEqual(ranked("day"), [])


class EditorsTests(FreshCacheMixin, TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.first = story("阅读最多")
        cls.second = story("阅读第二")
        cls.unread = story("编辑推荐的稿件")
        cls.later = story("后来推荐的稿件")

    def setUp(self):
        super().setUp()
        reads(self.first, 9)
        reads(self.second, 4)
        boards.refresh()

    def test_pinned_stories_come_first_newest_pin_first_read_or_not(self):
        boards.pick([self.unread.pk, self.second.pk, self.later.pk], action=HotPick.Action.PIN)
        now = timezone.now()
        for minutes, article in enumerate([self.later, self.second, self.unread]):
            HotPick.objects.filter(article=article).update(created_at=now - datetime.timedelta(minutes=minutes))
        for board in ("day", "week"):
            with self.subTest(board):
                self.assertEqual([article.title for article in Article.objects.hot(board)],
                                 ["后来推荐的稿件", "阅读第二", "编辑推荐的稿件", "阅读最多"])
        pinned = Article.objects.hot("day").get(pk=self.unread.pk)
        self.assertIsNotNone(pinned.pinned_at)
        self.assertEqual(pinned.reads, 0)

    def test_hidden_stories_leave_every_list_until_restored(self):
        boards.pick([self.first.pk], action=HotPick.Action.HIDE)
        self.assertEqual(ranked("day"), [("阅读第二", 4)])
        self.assertEqual(ranked("week"), [("阅读第二", 4)])
        self.assertEqual(boards.unpick([self.first.pk]), 1)
        self.assertEqual(ranked("day"), [("阅读最多", 9), ("阅读第二", 4)])

    def test_a_pin_or_hide_past_its_end_no_longer_counts(self):
        past = timezone.now() - datetime.timedelta(minutes=1)
        boards.pick([self.unread.pk], action=HotPick.Action.PIN, until=past)
        boards.pick([self.first.pk], action=HotPick.Action.HIDE, until=past)
        self.assertEqual(ranked("day"), [("阅读最多", 9), ("阅读第二", 4)])
        soon = timezone.now() + datetime.timedelta(hours=1)
        boards.pick([self.unread.pk], action=HotPick.Action.PIN, until=soon)
        self.assertEqual(ranked("day")[0], ("编辑推荐的稿件", 0))

    def test_a_new_decision_replaces_the_old_one(self):
        boards.pick([self.first.pk], action=HotPick.Action.HIDE)
        boards.pick([self.first.pk], action=HotPick.Action.PIN)
        self.assertEqual(HotPick.objects.get().action, HotPick.Action.PIN)
        self.assertEqual(ranked("day")[0], ("阅读最多", 9))

    def test_a_pin_reaches_the_cached_home_page_at_once(self):
        self.assertEqual(home_hot_list(self.client), ["阅读最多", "阅读第二"])  # now cached
        boards.pick([self.unread.pk], action=HotPick.Action.PIN)
        self.assertEqual(home_hot_list(self.client), ["编辑推荐的稿件", "阅读最多", "阅读第二"])


class QueryTests(TestCase):
    def test_a_pages_lists_take_one_query_each_whatever_their_size(self):
        source_story = story("种子")
        reads(source_story, 1)
        boards.refresh()
        with self.assertNumQueries(2):
            lists = boards.hot_lists(count=5)
        self.assertEqual([len(hot.stories) for hot in lists], [1, 1])
        Article.objects.bulk_create(
            [Article(title=f"稿件{n}", status="published", published_at=timezone.now()) for n in range(40)])
        for n, article in enumerate(Article.objects.filter(title__startswith="稿件").order_by("pk")):
            StoryReads.objects.create(article=article, hour=hour_of(timezone.now()), count=n + 2)
            if n % 10 == 0:
                HotPick.objects.create(article=article, action=HotPick.Action.PIN)
        boards.refresh()
        with self.assertNumQueries(2):
            lists = boards.hot_lists(count=5)
            titles = [[article.title for article in hot.stories] for hot in lists]
            sources = [article.source for hot in lists for article in hot.stories]  # read with them
        self.assertEqual([len(names) for names in titles], [5, 5])
        self.assertEqual(sources, [None] * 10)
        self.assertEqual(titles[0][:4], ["稿件30", "稿件20", "稿件10", "稿件0"])  # pinned, newest pin first
        self.assertEqual(titles[0][4], "稿件39")  # then the most read


class MostReadTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.stock = Stock.objects.get(market="SZ", code="000333")  # 美的集团, from the directory
        cls.a = story("美的集团一季度营收增长")
        cls.b = story("美的集团回购股份")
        cls.draft = story("美的集团草稿", status=Article.Status.DRAFT)
        cls.elsewhere = story("格力电器分红")
        for article in (cls.a, cls.b, cls.draft):
            article.stocks.add(cls.stock)

    def test_a_companys_most_read_stories_of_the_week(self):
        reads(self.a, 2)
        reads(self.b, 5, hours_ago=100)
        reads(self.b, 99, hours_ago=24 * 9)  # older than the week
        reads(self.draft, 50)
        reads(self.elsewhere, 70)
        found = Article.objects.filter(stocks=self.stock).most_read(hours=7 * 24)
        self.assertEqual([(article.title, article.reads) for article in found],
                         [("美的集团回购股份", 5), ("美的集团一季度营收增长", 2)])
        day = Article.objects.filter(stocks=self.stock).most_read(hours=24)
        self.assertEqual([article.title for article in day], ["美的集团一季度营收增长"])
