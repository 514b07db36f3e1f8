"""At a size where it matters, no page reads the articles table from end to end.

The real samples, cloned to 60,000 published stories (articles/bench/fill.py) and analysed: a
table on which PostgreSQL's planner picks a sequential scan when no index serves a statement
(the last test drops the date indexes to show it). Each readers' page and each of the desk's
list pages is asked once with the page cache empty, every SELECT it ran is EXPLAINed (its
values spelled in, as Django logs it), and no plan may hold `Seq Scan on articles_article`.
The statements the pages prepare (articles/sql.py) run with the generic plan the session
keeps (settings: plan_cache_mode=force_generic_plan): those are EXPLAINed prepared as well.

PostgreSQL only (SQLite has no such planner); tagged slow (about 30 s, most of it the fill).
"""

import re
from datetime import timedelta
from types import SimpleNamespace
from unittest import skipUnless
from unittest.mock import patch
from urllib.parse import quote

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import Count
from django.test import SimpleTestCase, TestCase, tag
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from articles import reads
from articles import sql as article_sql
from articles.bench import fill as fill_module
from articles.bench.fill import FillError, fill
from articles.models import Article, ArticleTag, Category, Source, Stock
from tests.admin_support import make_superuser
from tests.site_support import import_published

STORIES = 60_000
SEQ_SCAN = "Seq Scan on articles_article "
SELECTS = ("SELECT", "WITH", "(")


def plan_of(sql: str, params=None) -> str:
    """EXPLAIN's plan of `sql` (its values spelled in, or bound from `params`), as text."""
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN {sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())


def generic_plan_of(sql: str, params: list) -> str:
    """The generic plan PostgreSQL keeps for the prepared statement `sql` (%s placeholders)."""
    numbers = iter(range(1, len(params) + 1))
    numbered = re.sub(r"%%|%s", lambda m: "%" if m[0] == "%%" else f"${next(numbers)}", sql)
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL plan_cache_mode = force_generic_plan")
        cursor.execute(f"PREPARE nr_explain AS {numbered}")
        try:
            values = f"({', '.join(['%s'] * len(params))})" if params else ""
            cursor.execute(f"EXPLAIN EXECUTE nr_explain{values}", params or None)
            return "\n".join(row[0] for row in cursor.fetchall())
        finally:
            cursor.execute("DEALLOCATE nr_explain")


def is_select(sql: str) -> bool:
    return sql.lstrip().upper().startswith(SELECTS)


class Prepared:
    """Records the statements articles/sql.py prepares (with their parameters) while active."""

    def __init__(self):
        self.statements: list[tuple[str, list]] = []

    def __enter__(self):
        original = article_sql._PreparedCursor.execute
        statements = self.statements

        def execute(cursor, query, params=None, **kwargs):
            statements.append((str(query), list(params or [])))
            return original(cursor, query, params, **kwargs)

        self._patch = patch.object(article_sql._PreparedCursor, "execute", execute)
        self._patch.start()
        return self

    def __exit__(self, *exc):
        self._patch.stop()


@skipUnless(connection.vendor == "postgresql", "the planner's choices are PostgreSQL's")
@tag("slow")
class ExplainTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        import_published()
        fill(STORIES, log=lambda line: None)  # ends with ANALYZE
        published = Article.objects.published().order_by("-published_at", "-id")
        cls.story = published.select_related("source", "category")[published.count() // 2]
        cls.category = Category.objects.annotate(n=Count("articles")).order_by("-n").first()
        cls.tag = ArticleTag.objects.annotate(n=Count("items")).order_by("-n").first()
        cls.stock = Stock.objects.annotate(n=Count("articles")).order_by("-n").first()
        cls.user = make_superuser()
        # The desk's source filter on a publisher with a tenth of the stories or less. (Where a
        # filter matches most of the table, the desk's paginator counts it exactly when it
        # estimates under its 50,000 rows (articles/admin), and a scan is then the planner's
        # right choice: work bounded by that threshold, not by the archive.)
        cls.small_source = (Source.objects.annotate(n=Count("articles")).filter(n__gt=0, n__lte=STORIES // 10)
                            .order_by("-n").first())

    def test_the_fill(self):
        """60,000 published stories, the clones with their companies and tags, spread over
        the years, in no same-story cluster; filling to the same size again adds none."""
        published = Article.objects.published()
        self.assertEqual(published.count(), STORIES)
        clones = published.filter(import_run=None)
        self.assertGreater(clones.count(), STORIES - 100)
        self.assertFalse(clones.exclude(cluster=None).exists())
        self.assertGreater(clones.filter(stocks__isnull=False).distinct().count(), STORIES // 10)
        self.assertGreater(clones.filter(tags__isnull=False).distinct().count(), STORIES // 100)
        dates = [clones.order_by(order).values_list("published_at", flat=True)[0]
                 for order in ("published_at", "-published_at")]
        self.assertGreater(dates[1] - dates[0], timedelta(days=4 * 365))
        self.assertEqual(fill(STORIES, log=lambda line: None), 0)

    def pages(self) -> dict[str, str]:
        """The readers' pages and the desk's list pages, by name."""
        at = timezone.localtime(self.story.published_at)
        source = self.story.source.get_absolute_url()
        admin = f"/{settings.ADMIN_URL}articles/article/"
        return {
            "home": "/",
            "story": self.story.get_absolute_url(),
            "source list": source,
            "source list, page 2": f"{source}?page=2",
            "category list": self.category.get_absolute_url(),
            "category list, page 2": f"{self.category.get_absolute_url()}?page=2",
            "tag list": self.tag.get_absolute_url(),
            "stock page": self.stock.get_absolute_url(),
            "stock index": "/stocks/",
            "archive index": "/archive/",
            "archive year": f"/archive/{at:%Y}/",
            "archive month": f"/archive/{at:%Y/%m}/",
            "archive day": f"/archive/{at:%Y/%m/%d}/",
            "search": f"/search/?q={quote('海尔')}",
            "search, page 2": f"/search/?q={quote('海尔')}&page=2",
            "live": "/live/",
            "hot": "/hot/",
            "feed": "/feed/",
            "api list": "/api/v1/articles/",
            "api list by source": f"/api/v1/articles/?source={self.story.source.slug}",
            "api detail": f"/api/v1/articles/{self.story.pk}/",
            "admin changelist": admin,
            "admin changelist, page 2": f"{admin}?p=2",
            "admin changelist, published": f"{admin}?status__exact=published",
            "admin changelist, review": f"{admin}?status__exact=review",
            "admin changelist, source": f"{admin}?source__id__exact={self.small_source.pk}",
            "admin changelist, search": f"{admin}?q={quote('海尔')}",
        }

    def statements(self, url: str, *, desk: bool) -> tuple[list[str], list[tuple[str, list]]]:
        """The SELECTs `url` runs (values spelled in), and those it prepares (with values)."""
        cache.clear()  # the page cache would answer without SQL
        if desk:
            self.client.force_login(self.user)
        else:
            self.client.logout()
        with CaptureQueriesContext(connection) as captured, Prepared() as prepared:
            response = self.client.get(url)
        self.assertEqual(response.status_code, 200, url)
        return ([q["sql"] for q in captured.captured_queries if is_select(q["sql"])],
                [(sql, params) for sql, params in prepared.statements if is_select(sql)])

    def test_no_page_scans_the_articles(self):
        prepared_seen = 0
        for name, url in self.pages().items():
            with self.subTest(name, url=url), transaction.atomic():  # an error spoils no other page
                spelled, prepared = self.statements(url, desk=url.startswith(f"/{settings.ADMIN_URL}"))
                prepared_seen += len(prepared)
                self.assertTrue(spelled, f"{name}: no SELECT captured")
                scans = [(sql, plan) for sql in spelled if SEQ_SCAN in (plan := plan_of(sql))]
                scans += [(f"(prepared, generic plan) {sql}", plan) for sql, params in prepared
                          if SEQ_SCAN in (plan := generic_plan_of(sql, params))]
                self.assertFalse(scans, f"{name} ({url}) scans the articles:\n\n" + "\n\n".join(
                    f"{sql}\n{plan}" for sql, plan in scans))
        if settings.NEWSROOM_PREPARED_READS:  # else every statement was checked as spelled
            self.assertTrue(prepared_seen, "no prepared statement seen: generic plans unchecked")

    def test_without_the_date_indexes_the_home_page_scans(self):
        """The table is big enough for the test to mean something: without the indexes that
        keep the stories in date order (each can stand in for the other), the home page's
        latest stories are read by a sequential scan."""
        spelled, _ = self.statements("/", desk=False)
        main, = [sql for sql in spelled if f"{reads.NEWEST_FIRST} LIMIT" in sql
                 and "UNION ALL" not in sql and "a.id IN (" not in sql]
        self.assertRegex(plan_of(main), r"Index Scan using article_(pub|date)_idx on articles_article a ")
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("DROP INDEX article_pub_idx")
                cursor.execute("DROP INDEX article_date_idx")
            plan = plan_of(main)
            transaction.set_rollback(True)
        self.assertIn(SEQ_SCAN, plan, f"{main}\n{plan}")


class FillRefusalTests(SimpleTestCase):
    def test_only_postgresql(self):
        with patch.object(fill_module, "connection", SimpleNamespace(vendor="sqlite")), \
                self.assertRaisesMessage(FillError, "PostgreSQL"):
            fill(10)
