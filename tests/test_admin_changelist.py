"""articles/admin/changelist.py through the article desk: the date drill-down that costs one
MIN/MAX query, and the paginator that takes PostgreSQL's estimate instead of a COUNT(*)."""

import re
from datetime import datetime
from unittest import mock
from zoneinfo import ZoneInfo

from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from articles.admin.changelist import EstimatedCountPaginator, plan_estimate, table_estimate
from articles.models import Article, Source
from tests.admin_support import SEEDS, import_files, make_editor

CHANGELIST = reverse("admin:articles_article_changelist")
BEIJING = ZoneInfo("Asia/Shanghai")
ON_POSTGRES = connection.vendor == "postgresql"

# The five seeds, in Beijing time (the desk's time zone):
#   003 京东家电专卖店召开2022星火计划合作伙伴大会   2022-02-21 08:00 (a page dump: date inferred)
#   000 苏宁易购海尔召开…                           2022-02-21 09:33
#   004 京东与美的签署战略合作协议…                   2022-03-12 18:08
#   002 国美与华为战略签约…                         2022-05-12 22:33
#   001 2022京东家电合作伙伴大会在京召开             2022-09-21 00:00 (UTC: 09-20 16:00)
SEPTEMBER_DUMP = "2022京东家电合作伙伴大会在京召开"


def date_nav(response) -> tuple[tuple[str, str] | None, list[tuple[str, str | None]]]:
    """The rendered date drill-down, as an editor sees it above the list: the back link as
    (title, address) or None, and the choices as [(title, address or None)]. Raises if the
    page shows none."""
    html = response.content.decode()
    nav = re.search(r'<nav class="toplinks">(.*?)</nav>', html, re.S)
    if nav is None:
        raise AssertionError("no date drill-down on the page")
    inner = nav.group(1)
    back = re.search(r'<a href="([^"]*)" class="date-back">&lsaquo; ([^<]*)</a>', inner)
    rest = inner[back.end():] if back else inner
    choices = []
    for match in re.finditer(r'<a href="([^"]*)">([^<]*)</a>|(\S[^<\n]*)', rest):
        if match.group(2) is not None:
            choices.append((match.group(2), match.group(1).replace("&amp;", "&")))
        else:
            choices.append((match.group(3).strip(), None))
    return ((back.group(2), back.group(1).replace("&amp;", "&")) if back else None), choices


def has_date_nav(response) -> bool:
    return '<nav class="toplinks">' in response.content.decode()


def listed_titles(response) -> list[str]:
    cells = re.findall(r'<th class="field-title_cell"><a [^>]*>(.*?)</a>', response.content.decode())
    return [re.sub(r"\s*<span.*", "", cell) for cell in cells]


def story(title: str, when: datetime, **fields) -> Article:
    return Article.objects.create(title=title, published_at=when.replace(tzinfo=BEIJING), **fields)


class SeededDeskTestCase(TestCase):
    @classmethod
    def setUpTestData(cls):
        report = import_files(SEEDS)
        assert report.created == 5 and not report.failed, report
        cls.editor = make_editor()

    def setUp(self):
        self.client.force_login(self.editor)


class DateDrillDownTests(SeededDeskTestCase):
    def test_one_year_opens_at_its_months_from_first_to_last(self):
        """Every seed is from 2022: the desk skips the year level and lists the months from
        the first story (February) to the last (September), empty months included."""
        response = self.client.get(CHANGELIST)
        back, choices = date_nav(response)
        self.assertEqual(back, ("所有日期", "?"))
        self.assertEqual([title for title, _ in choices], [
            "2022年2月", "2022年3月", "2022年4月", "2022年5月",
            "2022年6月", "2022年7月", "2022年8月", "2022年9月",
        ])
        self.assertEqual(choices[0][1], "?published_at__month=2&published_at__year=2022")
        self.assertEqual(choices[-1][1], "?published_at__month=9&published_at__year=2022")
        # An empty month in the range is listed, and its page lists nothing.
        april = self.client.get(CHANGELIST + choices[2][1])
        self.assertEqual(listed_titles(april), [])
        self.assertFalse(has_date_nav(april))

    def test_days_are_beijing_days(self):
        """The last seed is 2022-09-20 16:00 UTC, which is the 21st in Beijing: the day list
        and the day's page agree with the desk's clock, not with UTC."""
        september = self.client.get(CHANGELIST, {"published_at__year": "2022",
                                                 "published_at__month": "9"})
        back, choices = date_nav(september)
        self.assertEqual(back, ("2022", "?published_at__year=2022"))
        self.assertEqual(choices, [
            ("09月21日", "?published_at__day=21&published_at__month=9&published_at__year=2022"),
        ])
        day = self.client.get(CHANGELIST + choices[0][1])
        self.assertEqual(listed_titles(day), [SEPTEMBER_DUMP])

    def test_a_month_lists_every_day_between_its_first_and_last_story(self):
        story("二月二十五日的手写稿", datetime(2022, 2, 25, 10, 0))
        response = self.client.get(CHANGELIST, {"published_at__year": "2022",
                                                "published_at__month": "2"})
        _, choices = date_nav(response)
        self.assertEqual([title for title, _ in choices],
                         ["02月21日", "02月22日", "02月23日", "02月24日", "02月25日"])
        by_title = dict(choices)
        self.assertEqual(len(listed_titles(self.client.get(CHANGELIST + by_title["02月21日"]))), 2)
        self.assertEqual(listed_titles(self.client.get(CHANGELIST + by_title["02月23日"])), [])
        self.assertEqual(listed_titles(self.client.get(CHANGELIST + by_title["02月25日"])),
                         ["二月二十五日的手写稿"])

    def test_a_day_shows_its_date_without_a_link_and_leads_back_to_its_month(self):
        response = self.client.get(CHANGELIST, {"published_at__year": "2022",
                                                "published_at__month": "2",
                                                "published_at__day": "21"})
        back, choices = date_nav(response)
        self.assertEqual(back, ("2022年2月", "?published_at__month=2&published_at__year=2022"))
        self.assertEqual(choices, [("02月21日", None)])
        self.assertEqual(len(listed_titles(response)), 2)

    def test_several_years_are_listed_newest_first_including_empty_ones(self):
        story("二〇一九年的旧闻", datetime(2019, 6, 3, 9, 0))
        back, choices = date_nav(self.client.get(CHANGELIST))
        self.assertIsNone(back)
        self.assertEqual(choices, [
            ("2022", "?published_at__year=2022"), ("2021", "?published_at__year=2021"),
            ("2020", "?published_at__year=2020"), ("2019", "?published_at__year=2019"),
        ])
        back, choices = date_nav(self.client.get(CHANGELIST, {"published_at__year": "2019"}))
        self.assertEqual(back, ("所有日期", "?"))
        self.assertEqual(choices, [("2019年6月", "?published_at__month=6&published_at__year=2019")])
        empty_year = self.client.get(CHANGELIST, {"published_at__year": "2020"})
        self.assertEqual(listed_titles(empty_year), [])
        self.assertFalse(has_date_nav(empty_year))

    def test_the_drill_down_follows_the_filters_and_the_search(self):
        """The range is that of the stories listed: one source, one search hit."""
        jd_dumps = Source.objects.get(name="中国网科技")
        _, choices = date_nav(self.client.get(CHANGELIST, {"source__id__exact": jd_dumps.pk}))
        self.assertEqual(choices[0][0], "2022年2月")
        self.assertEqual(choices[-1][0], "2022年9月")
        self.assertIn(f"source__id__exact={jd_dumps.pk}", choices[0][1])

        # One story (国美, 2022-05-12): the desk goes straight to its month's days, and its
        # links keep the search.
        back, choices = date_nav(self.client.get(CHANGELIST, {"q": "国美"}))
        self.assertEqual(back, ("2022", "?published_at__year=2022&q=%E5%9B%BD%E7%BE%8E"))
        self.assertEqual(choices, [(
            "05月12日",
            "?published_at__day=12&published_at__month=5&published_at__year=2022&q=%E5%9B%BD%E7%BE%8E",
        )])

    def test_stories_in_the_trash_are_left_out_of_the_range(self):
        """The drill-down spans the stories the desk lists, and the desk hides the trash: with
        September's only story trashed, the months end in May."""
        september = Article.objects.get(title=SEPTEMBER_DUMP)
        response = self.client.post(reverse("admin:articles_article_delete", args=[september.pk]),
                                    {"post": "yes"})
        self.assertEqual(response.status_code, 302)
        self.assertEqual(Article.objects.get(pk=september.pk).status, "trashed")
        _, choices = date_nav(self.client.get(CHANGELIST))
        self.assertEqual([title for title, _ in choices],
                         ["2022年2月", "2022年3月", "2022年4月", "2022年5月"])

    def test_no_drill_down_when_nothing_is_listed(self):
        cases = {
            "no published story yet": {"status__exact": "published"},
            "a search without hits": {"q": "不存在的公司"},
            "a search the desk refuses": {"q": "海" * 100},
        }
        for name, params in cases.items():
            with self.subTest(name):
                response = self.client.get(CHANGELIST, params)
                self.assertEqual(response.status_code, 200)
                self.assertEqual(listed_titles(response), [])
                self.assertFalse(has_date_nav(response))
        Article.objects.all().delete()
        response = self.client.get(CHANGELIST)
        self.assertEqual(response.status_code, 200)
        self.assertFalse(has_date_nav(response))

    def test_impossible_dates_send_the_editor_back_instead_of_failing(self):
        for params in (
            {"published_at__year": "2022", "published_at__month": "2", "published_at__day": "30"},
            {"published_at__year": "2022", "published_at__month": "13"},
            {"published_at__year": "<script>alert(1)</script>"},
        ):
            with self.subTest(params):
                response = self.client.get(CHANGELIST, params)
                self.assertEqual(response.status_code, 302)
                self.assertEqual(response["Location"], f"{CHANGELIST}?e=1")


class DateDrillDownQueryTests(SeededDeskTestCase):
    """Django's own drill-down runs SELECT DISTINCT over every listed row at each level; this
    one asks for MIN and MAX once, and nothing at all at the day level."""

    def setUp(self):
        super().setUp()
        source = Source.objects.get(name="中国经济网")
        Article.objects.bulk_create(
            Article(title=f"跨年稿件{i}", slug=f"kuanian-{i}", source=source,
                    published_at=datetime(2019 + i % 4, 1 + i % 12, 1 + i % 28, 12, tzinfo=BEIJING))
            for i in range(120)
        )
        self.client.get(CHANGELIST)  # the content types and the session, read once

    def test_one_min_max_query_per_page_and_no_distinct(self):
        levels = {
            "all years": ({}, 1),
            "a year": ({"published_at__year": "2021"}, 1),
            "a month": ({"published_at__year": "2021", "published_at__month": "7"}, 1),
            "a day": ({"published_at__year": "2021", "published_at__month": "7",
                       "published_at__day": "7"}, 0),
        }
        for name, (params, min_max) in levels.items():
            with self.subTest(name), CaptureQueriesContext(connection) as captured:
                response = self.client.get(CHANGELIST, params)
                self.assertEqual(response.status_code, 200)
                self.assertTrue(has_date_nav(response))
            sql = [query["sql"].upper() for query in captured]
            self.assertEqual(sum("MIN(" in q and "MAX(" in q for q in sql), min_max, name)
            self.assertFalse([q for q in sql if "DISTINCT" in q], name)

    def test_the_page_costs_the_same_queries_at_every_level(self):
        """Session, user, the editor's permissions, three filters' options (sources,
        categories, import runs), the count, the rows, their stocks, and MIN/MAX: 11, and 10
        at a day. PostgreSQL adds the one estimate query that decides whether to count."""
        estimate = 1 if ON_POSTGRES else 0
        for params, expected in (
            ({}, 11),
            ({"published_at__year": "2021"}, 11),
            ({"published_at__year": "2021", "published_at__month": "7"}, 11),
            ({"published_at__year": "2021", "published_at__month": "7",
              "published_at__day": "7"}, 10),
        ):
            with self.subTest(params), self.assertNumQueries(expected + estimate):
                self.client.get(CHANGELIST, params)


class EstimatedCountTests(TestCase):
    """Above the threshold PostgreSQL's estimate is the list's size; SQLite always counts."""

    def setUp(self):
        self.client.force_login(make_editor())
        Article.objects.bulk_create(
            Article(title=f"已发稿{i}", slug=f"yifa-{i}", status=Article.Status.PUBLISHED)
            for i in range(120)
        )
        analyse()  # the planner now knows of 120 rows …
        Article.objects.bulk_create(  # … and not of these 30
            Article(title=f"新到稿{i}", slug=f"xindao-{i}", status=Article.Status.PUBLISHED)
            for i in range(30)
        )
        patcher = mock.patch.object(EstimatedCountPaginator, "estimate_threshold", 100)
        patcher.start()
        self.addCleanup(patcher.stop)

    def get(self, **params):
        with CaptureQueriesContext(connection) as captured:
            response = self.client.get(CHANGELIST, params)
        self.assertEqual(response.status_code, 200)
        return response, [query["sql"] for query in captured]

    def test_a_whole_table_takes_its_size_from_pg_class(self):
        paginator = EstimatedCountPaginator(Article.objects.all(), 50)
        with CaptureQueriesContext(connection) as captured:
            count = paginator.count
        sql = " ".join(query["sql"] for query in captured)
        if ON_POSTGRES:
            # The planner's figure, 30 stories behind the table: the price of not counting.
            self.assertEqual(count, 120)
            self.assertIn("reltuples", sql)
            self.assertNotIn("COUNT(", sql.upper())
            self.assertNotIn("EXPLAIN", sql)
        else:
            self.assertEqual(count, 150)
            self.assertIn("COUNT(", sql.upper())

    def test_the_desk_is_estimated_not_counted(self):
        """The desk's opening list (every story but the trash's) is not counted on PostgreSQL:
        one estimate, of the table or of the plan, gives the size it shows."""
        response, sql = self.get()
        counts = [q for q in sql if q.upper().startswith("SELECT COUNT(")]
        shown = response.context["cl"].result_count
        if ON_POSTGRES:
            self.assertEqual(counts, [])
            estimates = [q for q in sql if "reltuples" in q or q.startswith("EXPLAIN (FORMAT JSON)")]
            self.assertEqual(len(estimates), 1)
            self.assertGreaterEqual(shown, 100)
        else:
            self.assertEqual(shown, 150)
            self.assertEqual(len(counts), 1)
        self.assertContains(response, f"{shown} 稿件")
        self.assertEqual(len(listed_titles(response)), 50)

    def test_filtered_list_takes_the_plans_row_estimate(self):
        response, sql = self.get(status__exact="published")
        counts = [q for q in sql if q.upper().startswith("SELECT COUNT(")]
        if ON_POSTGRES:
            self.assertEqual(counts, [])
            self.assertEqual(len([q for q in sql if q.startswith("EXPLAIN (FORMAT JSON)")]), 1)
            self.assertGreaterEqual(response.context["cl"].result_count, 100)
        else:
            self.assertEqual(len(counts), 1)
            self.assertEqual(response.context["cl"].result_count, 150)

    def test_a_small_filtered_result_is_counted_exactly(self):
        Article.objects.create(title="唯一的草稿", status=Article.Status.DRAFT)
        response, sql = self.get(status__exact="draft")
        self.assertEqual(response.context["cl"].result_count, 1)
        self.assertEqual(listed_titles(response), ["唯一的草稿"])
        self.assertContains(response, "1 稿件")
        self.assertEqual(len([q for q in sql if q.upper().startswith("SELECT COUNT(")]), 1)

    def test_a_refused_search_matches_nothing_without_asking_the_planner(self):
        response, sql = self.get(q="海" * 100)
        self.assertEqual(response.context["cl"].result_count, 0)
        self.assertEqual(listed_titles(response), [])
        self.assertFalse([q for q in sql if "EXPLAIN" in q.upper()])


def analyse() -> None:
    if ON_POSTGRES:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE articles_article")


class EstimateFunctionTests(TestCase):
    def setUp(self):
        Article.objects.bulk_create(Article(title=f"稿{i}", slug=f"gao-{i}") for i in range(40))
        analyse()

    def test_table_estimate_is_postgresqls_alone(self):
        if ON_POSTGRES:
            self.assertEqual(table_estimate(Article.objects.all()), 40)
        else:
            with self.assertNumQueries(0):
                self.assertIsNone(table_estimate(Article.objects.all()))

    def test_plan_estimate_of_an_empty_queryset_is_none(self):
        if not ON_POSTGRES:
            self.skipTest("EXPLAIN (FORMAT JSON) is PostgreSQL's")
        with self.assertNumQueries(0):
            self.assertIsNone(plan_estimate(Article.objects.none()))
            self.assertIsNone(plan_estimate(Article.objects.filter(pk__in=[])))
        self.assertEqual(plan_estimate(Article.objects.all()), 40)

    def test_a_distinct_queryset_is_estimated_by_its_plan_not_the_table(self):
        paginator = EstimatedCountPaginator(Article.objects.distinct(), 10)
        paginator.estimate_threshold = 1
        with CaptureQueriesContext(connection) as captured:
            count = paginator.count
        sql = " ".join(query["sql"] for query in captured)
        self.assertEqual(count, 40)
        if ON_POSTGRES:
            self.assertIn("EXPLAIN", sql)
            self.assertNotIn("reltuples", sql)
        else:
            self.assertIn("COUNT(", sql.upper())

    def test_lists_and_small_querysets_are_counted_as_they_are(self):
        self.assertEqual(EstimatedCountPaginator(list("甲乙丙丁"), 2).count, 4)
        with CaptureQueriesContext(connection) as captured:
            count = EstimatedCountPaginator(Article.objects.all(), 10).count  # 40 < 50,000
        self.assertEqual(count, 40)
        self.assertEqual(len([q for q in captured if q["sql"].upper().startswith("SELECT COUNT(")]), 1)


class UnanalysedTableTests(TestCase):
    def test_a_table_never_analysed_has_no_estimate_and_is_counted(self):
        if not ON_POSTGRES:
            self.skipTest("pg_class.reltuples is PostgreSQL's")
        with connection.cursor() as cursor:
            # A new, never-analysed file for the table (until the test rolls back): reltuples -1.
            # First in the test: rows written before it would leave constraint checks pending.
            cursor.execute("TRUNCATE articles_article CASCADE")
        Article.objects.bulk_create(Article(title=f"新稿{i}", slug=f"xin-{i}") for i in range(3))
        self.assertIsNone(table_estimate(Article.objects.all()))
        paginator = EstimatedCountPaginator(Article.objects.all(), 10)
        paginator.estimate_threshold = 0
        self.assertEqual(paginator.count, 3)
