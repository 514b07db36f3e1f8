"""Lists per source, category, tag and stock, and the date archives."""

import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.test import TestCase, override_settings
from django.utils import timezone

from articles.models import Article, ArticleTag, Category, Source, Stock
from articles.views.lists import day_bounds
from tests.site_support import (
    GOME_HUAWEI,
    HIDDEN_MARKERS,
    SUNING_HAIER,
    FreshCacheMixin,
    add_stories,
    create_hidden_stories,
    import_published,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")


@override_settings(PAGE_CACHE_SECONDS=0)
class SubjectListTests(FreshCacheMixin, TestCase):
    @classmethod
    def setUpTestData(cls):
        import_published()
        cls.hidden = create_hidden_stories()
        cls.haier = Article.objects.get(external_id=SUNING_HAIER)
        cls.tag = ArticleTag.objects.get(name="新能源")
        cls.stock = Stock.objects.get(market="SZ", code="002024")

    def subject_urls(self) -> dict[str, str]:
        return {
            "source": self.haier.source.get_absolute_url(),
            "category": self.haier.category.get_absolute_url(),
            "tag": self.tag.get_absolute_url(),
            "stock": self.stock.get_absolute_url(),
        }

    def test_each_list_shows_its_published_stories_only(self):
        expected = {
            "source": Article.objects.published().filter(source=self.haier.source),
            "category": Article.objects.published().filter(category=self.haier.category),
            "tag": Article.objects.published().filter(tags=self.tag),
            "stock": Article.objects.published().filter(stocks=self.stock),
        }
        for kind, url in self.subject_urls().items():
            with self.subTest(kind):
                response = self.client.get(url)
                self.assertEqual(response.status_code, 200)
                shown = list(response.context["articles"])
                self.assertEqual(shown, list(expected[kind][:20]))
                self.assertTrue(shown)
                for marker in HIDDEN_MARKERS.values():
                    self.assertNotContains(response, marker)
                self.assertContains(response, 'rel="canonical"')
                self.assertContains(response, f'href="{url}feed/"')

    def test_stock_page_shows_the_companys_most_read_stories_of_the_week(self):
        from articles.reading.counting import hour_of
        from articles.reading.models import StoryReads

        now = timezone.now()
        StoryReads.objects.create(article=self.haier, hour=hour_of(now - timedelta(hours=30)), count=7)
        hidden = self.hidden["draft"]  # with the Suning–Haier story's stocks
        StoryReads.objects.create(article=hidden, hour=hour_of(now), count=50)  # never shown
        html = self.client.get(self.stock.get_absolute_url()).content.decode()
        heat = html[html.index("本周热读"):html.index("</ol>", html.index("本周热读"))]
        self.assertIn(f'href="{self.haier.get_absolute_url()}">{self.haier.title}</a>'
                      '<span class="count">7 次阅读', heat)
        self.assertNotIn(hidden.title, heat)

    def test_stock_page_heading_and_lower_case_symbol(self):
        # The directory names the company (its short name now carries the exchange's ST label).
        page = self.client.get("/stocks/SZ002024/")
        self.assertContains(page, '<h1 class="page-title">ST易购（SZ002024）</h1>', html=False)
        intro = "苏宁易购集团股份有限公司，ST易购（深交所 002024）相关的最新财经新闻。"
        self.assertContains(page, f'<p class="page-intro">{intro}</p>', html=False)
        # Who covers it, and the company beside it in the same story (the seed's 海尔智家).
        self.assertContains(page, "报道媒体")
        self.assertEqual([s.symbol for s in page.context["alongside"]], ["SH600690"])
        self.assertEqual([s.name for s in page.context["publishers"]], ["中国经济网"])
        Stock.objects.create(market="US", code="ZZZZ")
        unnamed = self.client.get("/stocks/USZZZZ/")
        self.assertContains(unnamed, '<h1 class="page-title">USZZZZ</h1>', html=False)
        self.assertContains(unnamed, '<p class="page-intro">美股 ZZZZ相关的最新财经新闻。</p>', html=False)
        named = self.client.get("/stocks/SH600160/")
        self.assertContains(named, "巨化股份（SH600160）")
        self.assertContains(named, '<meta name="description" content="巨化股份（上交所 600160）相关的最新财经新闻。">',
                            html=False)
        self.assertRedirects(self.client.get("/stocks/sz002024/"), "/stocks/SZ002024/",
                             status_code=301)
        self.assertEqual(self.client.get("/stocks/XX123/").status_code, 404)
        self.assertEqual(self.client.get("/stocks/SZ999999/").status_code, 404)

    def test_unknown_subjects_are_not_found(self):
        for url in ("/sources/nope/", "/categories/nope/", "/tags/nope/"):
            self.assertEqual(self.client.get(url).status_code, 404, url)

    def test_pages_without_counting(self):
        source, category = self.haier.source, self.haier.category
        add_stories(25, source=source, category=category)
        url = source.get_absolute_url()
        first = self.client.get(url)
        self.assertEqual(len(first.context["articles"]), 20)
        self.assertContains(first, f'href="{url}?page=2"')
        second = self.client.get(url, {"page": 2})
        self.assertEqual(second.status_code, 200)
        self.assertNotContains(second, 'rel="next"')
        self.assertContains(second, 'rel="prev"')
        self.assertContains(second, f'<link rel="canonical" href="http://testserver{url}?page=2">',
                            html=False)
        shown = list(first.context["articles"]) + list(second.context["articles"])
        self.assertEqual(shown, list(Article.objects.published().filter(source=source)))
        for bad in ("3", "0", "-1", "abc", "２", "99999999999999999999"):
            self.assertEqual(self.client.get(url, {"page": bad}).status_code, 404, bad)

    def test_query_counts_do_not_grow_with_the_archive(self):
        urls = self.subject_urls()
        def expected(url):
            # The subject, the page, the section links; a stock page also its newest
            # stories' publishers and companies (articles/coverage.py: a bounded sample) and
            # its most-read stories of the week.
            return 7 if url.startswith("/stocks/") else 3

        for url in urls.values():
            with self.assertNumQueries(expected(url)):
                self.client.get(url)
        stocks = [self.stock, *Stock.objects.exclude(pk=self.stock.pk)[:4]]
        add_stories(45, source=self.haier.source, category=self.haier.category,
                    tags=["新能源", "甲", "乙"], stocks=stocks)
        for url in urls.values():
            with self.assertNumQueries(expected(url)):
                response = self.client.get(url)
            self.assertEqual(len(response.context["articles"]), 20)


@override_settings(PAGE_CACHE_SECONDS=0)
class ThumbnailTests(FreshCacheMixin, TestCase):
    """A list shows a story's first real picture (the corpus's eastmoney photos), never the
    stock charts that come before it in the source file."""

    PHOTO_STORY = "NW202206142412311033"  # corpus: a K-line chart, then two photos
    PHOTO = "https://dfscdn.dfcfw.com/download/D25755398094054198422_w1080h716.jpg"

    @classmethod
    def setUpTestData(cls):
        import_published()
        cls.story = Article.objects.get(external_id=cls.PHOTO_STORY)

    def test_the_first_photo_is_the_thumbnail_never_a_chart(self):
        self.assertEqual(self.story.image, self.PHOTO)
        html = self.client.get(self.story.source.get_absolute_url()).content.decode()
        self.assertIn(f'<img src="{self.PHOTO}" width="132" height="88" alt="" loading="lazy" decoding="async" '
                      'referrerpolicy="no-referrer">', html)
        for page in ("/", self.story.source.get_absolute_url(), self.story.category.get_absolute_url()):
            with self.subTest(page):
                self.assertNotIn("webquoteklinepic", self.client.get(page).content.decode())
        self.assertFalse(Article.objects.filter(image__contains="webquote").exists())

    def test_an_editors_body_change_changes_the_thumbnail(self):
        self.story.body = '<p>只留一张图：</p><p><img src="https://img.example.com/new.jpg"></p>'
        self.story.save(update_fields=["body"])
        self.story.refresh_from_db()
        self.assertEqual(self.story.image, "https://img.example.com/new.jpg")
        self.story.body = "<p>图都删了。</p>"
        self.story.save()
        self.story.refresh_from_db()
        self.assertEqual(self.story.image, "")
        html = self.client.get(self.story.source.get_absolute_url()).content.decode()
        item = html[html.rindex("<li", 0, html.index(f">{self.story.title}<")):html.index(f">{self.story.title}<")]
        self.assertEqual(item.split(">")[0], '<li class="item"')  # no thumbnail left in its list


class ArchiveTests(FreshCacheMixin, TestCase):
    @classmethod
    def setUpTestData(cls):
        import_published()
        cls.hidden = create_hidden_stories()
        cls.huawei = Article.objects.get(external_id=GOME_HUAWEI)  # 2022-05-12 22:33 Shanghai
        # 00:30 in Shanghai is still the previous day in UTC: it belongs to the 13th here.
        cls.midnight = Article.objects.create(
            title="凌晨发布的稿件", status="published", source=cls.huawei.source,
            published_at=datetime(2022, 5, 13, 0, 30, tzinfo=SHANGHAI),
        )

    def test_day_month_and_year_use_beijing_time(self):
        day12 = self.client.get("/archive/2022/05/12/")
        day13 = self.client.get("/archive/2022/05/13/")
        self.assertIn(self.huawei, day12.context["articles"])
        self.assertNotIn(self.midnight, day12.context["articles"])
        self.assertEqual(list(day13.context["articles"]), [self.midnight])
        month = self.client.get("/archive/2022/05/")
        self.assertIn(self.midnight, month.context["articles"])
        # Days with a story link to them (Beijing time: the midnight story is the 13th's);
        # the others are shown, not linked.
        self.assertContains(month, 'href="/archive/2022/05/12/"')
        self.assertContains(month, 'href="/archive/2022/05/13/"')
        shown = {timezone.localtime(a.published_at).day for a in month.context["articles"]}
        for d in set(range(1, 32)) - shown:
            self.assertNotContains(month, f'href="/archive/2022/05/{d:02d}/"')
        self.assertContains(month, '<span class="date-empty"', count=31 - len(shown))
        year = self.client.get("/archive/2022/")
        self.assertContains(year, 'href="/archive/2022/05/"')
        months = {timezone.localtime(a.published_at).month
                  for a in Article.objects.published().filter(published_at__year=2022)}
        for m in set(range(1, 13)) - months:  # (UTC year: near-enough for months inside 2022)
            self.assertNotContains(year, f'href="/archive/2022/{m:02d}/"')
        self.assertContains(year, "2022年")

    def test_archives_hide_unpublished_stories(self):
        today = timezone.localdate()
        for url in (f"/archive/{today:%Y}/", f"/archive/{today:%Y/%m}/", f"/archive/{today:%Y/%m/%d}/"):
            response = self.client.get(url)
            for marker in HIDDEN_MARKERS.values():
                self.assertNotContains(response, marker)
        future = timezone.localdate() + timedelta(days=2)
        response = self.client.get(f"/archive/{future:%Y/%m/%d}/")
        self.assertNotContains(response, HIDDEN_MARKERS["future"])

    def test_impossible_dates_are_not_found(self):
        for url in ("/archive/2022/02/30/", "/archive/2022/13/", "/archive/0999/", "/archive/2022/00/"):
            self.assertEqual(self.client.get(url).status_code, 404, url)

    def test_archive_index_lists_the_months_from_the_oldest_story_to_the_newest(self):
        response = self.client.get("/archive/")
        self.assertContains(response, 'href="/archive/2021/"')
        self.assertContains(response, 'href="/archive/2021/12/"')
        self.assertNotContains(response, 'href="/archive/2021/11/"')  # before the first story
        self.assertNotContains(response, 'href="/archive/2020/"')
        newest = timezone.localtime(Article.objects.published().first().published_at)
        self.assertContains(response, f'href="/archive/{newest:%Y/%m}/"')
        after = date(newest.year + newest.month // 12, newest.month % 12 + 1, 1)
        self.assertNotContains(response, f'href="/archive/{after:%Y/%m}/"')
        # The scheduled story does not stretch the archive to months nobody can read.
        future = timezone.localtime(self.hidden["future"].published_at)
        if (future.year, future.month) != (newest.year, newest.month):
            self.assertNotContains(response, f'href="/archive/{future:%Y/%m}/"')

    def test_archive_index_links_only_months_with_stories(self):
        response = self.client.get("/archive/")
        html = response.content.decode()
        with_stories = {(timezone.localtime(m).year, timezone.localtime(m).month)
                        for m in Article.objects.published().values_list("published_at", flat=True)}
        linked = {(int(y), int(m)) for y, m in re.findall(r'href="/archive/(\d{4})/(\d{2})/"', html)}
        self.assertEqual(linked, with_stories)
        # The months between without a story are printed, not linked.
        empty = re.findall(r'<span class="date-empty"[^>]*>(\d+)月</span>', html)
        first, last = min(with_stories), max(with_stories)
        months_between = (last[0] - first[0]) * 12 + last[1] - first[1] + 1
        self.assertEqual(len(empty) + len(linked), months_between)

    def test_archive_index_without_stories(self):
        Article.objects.all().delete()
        response = self.client.get("/archive/")
        self.assertContains(response, "还没有发布的新闻")

    def test_previous_and_next_lead_to_the_nearest_period_with_stories(self):
        """Days, months and years without a story are stepped over, whatever their number."""
        published = Article.objects.published()
        for path, (start, end), url_of in (
            ("/archive/2022/05/13/", day_bounds(2022, 5, 13), lambda t: f"/archive/{t:%Y/%m/%d}/"),
            ("/archive/2022/05/", day_bounds(2022, 5), lambda t: f"/archive/{t:%Y/%m}/"),
            ("/archive/2021/12/", day_bounds(2021, 12), lambda t: f"/archive/{t:%Y/%m}/"),
        ):
            with self.subTest(path):
                before = published.filter(published_at__lt=start).order_by("-published_at").first()
                after = published.filter(published_at__gte=end).order_by("published_at").first()
                expected = [(rel, url_of(timezone.localtime(story.published_at)))
                            for rel, story in (("prev", before), ("next", after)) if story]
                neighbours = self.client.get(path).context["neighbours"]
                self.assertEqual([(rel, url) for rel, _, url in neighbours], expected)
        # The 13th's next day with a story is the 26th, not the empty 14th.
        day13 = self.client.get("/archive/2022/05/13/")
        self.assertContains(day13, 'rel="next" href="/archive/2022/05/26/"', html=False)
        self.assertNotContains(day13, 'href="/archive/2022/05/14/"')

    def test_no_link_leads_to_an_empty_year(self):
        """A story in 2024 and none in 2023: 2022 and 2024 link to each other, nothing to 2023;
        the newest year offers no next year although a story is scheduled for later."""
        Article.objects.create(title="二〇二四年的稿件", status="published", source=self.huawei.source,
                               published_at=datetime(2024, 6, 15, 9, 0, tzinfo=SHANGHAI))
        newest_before = timezone.localtime(Article.objects.published().filter(
            published_at__lt=datetime(2024, 1, 1, tzinfo=SHANGHAI)).latest("published_at").published_at)
        self.assertEqual(newest_before.year, 2022)
        pages = {path: self.client.get(path) for path in
                 ("/archive/", "/archive/2021/", "/archive/2022/", "/archive/2023/", "/archive/2024/",
                  "/archive/2022/12/", "/archive/2024/06/", "/archive/2024/06/15/")}
        for path, response in pages.items():
            with self.subTest(path):
                self.assertNotContains(response, 'href="/archive/2023/')
                self.assertNotContains(response, 'href="/archive/2025/')
        self.assertContains(pages["/archive/2022/"], 'rel="next" href="/archive/2024/"', html=False)
        self.assertContains(pages["/archive/2024/"], 'rel="prev" href="/archive/2022/"', html=False)
        self.assertNotContains(pages["/archive/2024/"], 'rel="next"')
        self.assertNotContains(pages["/archive/2021/"], 'rel="prev"')
        # An empty year typed by hand still points both ways to years with stories.
        self.assertEqual([url for _, _, url in pages["/archive/2023/"].context["neighbours"]],
                         ["/archive/2022/", "/archive/2024/"])
        self.assertContains(pages["/archive/2024/06/"], 'rel="prev" href="/archive/'
                            f'{newest_before:%Y/%m}/"', html=False)
        rel, label, _ = pages["/archive/2024/06/15/"].context["neighbours"][0]
        self.assertEqual((rel, label),  # a day of another year is named with its year
                         ("prev", f"{newest_before.year}年{newest_before.month}月{newest_before.day}日"))
        # The index lists only years with a story, each linked.
        index = pages["/archive/"]
        self.assertEqual([year for year, _ in index.context["years"]], [2024, 2022, 2021])
        self.assertNotContains(index, "2023年")
        self.assertContains(index, 'href="/archive/2024/"')
        self.assertContains(index, 'href="/archive/2024/06/"')

    def test_archive_query_counts(self):
        # The nearest stories before and after, the days with stories, the section links (one
        # round trip on PostgreSQL), the page.
        self.client.get("/archive/2021/11/")  # the page cache reads when a story is next due once
        with self.assertNumQueries(4):
            self.client.get("/archive/2021/12/")
        add_stories(30, source=Source.objects.first(), category=Category.objects.first())
        self.client.get("/archive/2021/10/")  # and again after a change
        with self.assertNumQueries(4):
            self.client.get(f"/archive/{timezone.localdate():%Y/%m}/")
        with self.assertNumQueries(4):  # a year: its months with stories
            self.client.get(f"/archive/{timezone.localdate():%Y}/")
        with self.assertNumQueries(3):  # a day: no links below it
            self.client.get(f"/archive/{timezone.localdate():%Y/%m/%d}/")
        with self.assertNumQueries(3):  # the newest and oldest stories, the sections, the months
            self.client.get("/archive/")


@override_settings(PAGE_CACHE_SECONDS=0)
class OwnLinkTests(FreshCacheMixin, TestCase):
    @classmethod
    def setUpTestData(cls):
        import_published()
        cls.haier = Article.objects.get(external_id=SUNING_HAIER)

    def test_a_list_does_not_repeat_its_own_subject_on_every_item(self):
        source, category = self.haier.source, self.haier.category
        on_source = self.client.get(source.get_absolute_url()).content.decode()
        items = on_source.split('<ol class="item-list">')[1].split("</ol>")[0]
        self.assertNotIn(f'href="{source.get_absolute_url()}"', items)
        self.assertIn(f'href="{category.get_absolute_url()}"', items)
        on_category = self.client.get(category.get_absolute_url()).content.decode()
        items = on_category.split('<ol class="item-list">')[1].split("</ol>")[0]
        self.assertNotIn(f'href="{category.get_absolute_url()}"', items)
        self.assertIn(f'href="{source.get_absolute_url()}"', items)
