"""The public pages' hand-written reads give what the equivalent QuerySets give, on the real
seed and corpus stories, on SQLite and on PostgreSQL."""

from datetime import timedelta

from django.db import connection
from django.db.models import Q
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from articles import reads
from articles.models import Article, ArticleTag, Category, Cluster, Source, Stock
from tests.site_support import (
    SUNING_HAIER,
    add_stories,
    create_hidden_stories,
    import_published,
)


def listed(where="", params=(), *, limit=1000, offset=0, one_per_story=True):
    return reads.listing(where, params, limit=limit, offset=offset, one_per_story=one_per_story)


class ImportedTestCase(TestCase):
    """The seeds and the corpus, published, and a story in every state readers never see."""

    @classmethod
    def setUpTestData(cls):
        import_published()
        cls.hidden = create_hidden_stories()
        cls.haier = Article.objects.get(external_id=SUNING_HAIER)


class ListingTests(ImportedTestCase):
    def test_every_condition_matches_its_queryset(self):
        published = Article.objects.published()
        tag = ArticleTag.objects.get(name="新能源")
        stock = self.haier.stocks.first()
        start = self.haier.published_at - timedelta(days=40)
        cases = {
            "all": ("", (), published),
            "source": (reads.BY_SOURCE, (self.haier.source_id,),
                       published.filter(source=self.haier.source)),
            "category": (reads.BY_CATEGORY, (self.haier.category_id,),
                         published.filter(category=self.haier.category)),
            "tag": (reads.BY_TAG, (tag.pk,), published.filter(tags=tag)),
            "stock": (reads.BY_STOCK, (stock.pk,), published.filter(stocks=stock)),
            "period": (reads.IN_PERIOD, reads.period_params(start, self.haier.published_at),
                       published.in_period(start, self.haier.published_at)),
        }
        self.assertTrue(Article.objects.published().filter(cluster__isnull=False).exists())
        for name, (where, params, expected) in cases.items():
            for one_per_story in (True, False):
                with self.subTest(name, one_per_story=one_per_story):
                    rows = listed(where, params, one_per_story=one_per_story)
                    self.assertTrue(rows)
                    wanted = expected.one_per_story() if one_per_story else expected
                    self.assertEqual(rows, list(wanted.order_by("-published_at", "-id")))
                    for hidden in self.hidden.values():
                        self.assertNotIn(hidden, rows)

    def test_rows_carry_what_a_list_item_prints(self):
        for story in listed(limit=30):
            expected = Article.objects.select_related("source", "category").get(pk=story.pk)
            self.assertEqual(
                (story.title, story.slug, story.summary, story.published_at),
                (expected.title, expected.slug, expected.summary, expected.published_at),
            )
            self.assertTrue(timezone.is_aware(story.published_at))
            self.assertEqual(story.get_absolute_url(), expected.get_absolute_url())
            self.assertEqual(story.source, expected.source)
            self.assertEqual(story.source and story.source.name,
                             expected.source and expected.source.name)
            self.assertEqual(story.category and story.category.get_absolute_url(),
                             expected.category and expected.category.get_absolute_url())

    def test_stories_by_id_keep_the_order_asked_and_skip_hidden_ones(self):
        wanted = list(Article.objects.published().order_by("title").values_list("pk", flat=True)[:12])
        hidden = [story.pk for story in self.hidden.values()]
        with self.assertNumQueries(1):
            found = reads.stories(wanted[:6] + hidden + wanted[6:])
            bodies = [story.body for story in found]
        self.assertEqual([story.pk for story in found], wanted)
        self.assertEqual(bodies, [Article.objects.get(pk=pk).body for pk in wanted])
        self.assertEqual(reads.stories([]), [])

    def test_relations_are_read_without_further_queries(self):
        with self.assertNumQueries(1):
            rows = listed(limit=50)
            names = [(row.source.name if row.source else "", row.category.name
                      if row.category else "") for row in rows]
        self.assertEqual(len(names), 50)

    def test_limit_and_offset_page_through_the_same_order(self):
        everything = listed()
        self.assertEqual(listed(limit=7, offset=0) + listed(limit=7, offset=7), everything[:14])


class StoryTests(ImportedTestCase):
    def test_story_is_read_with_source_and_category_in_one_query(self):
        with self.assertNumQueries(1):
            story = reads.fetch_one(reads.story_read(self.haier.pk))
            printed = (story.title, story.body, story.source.name, story.source.url,
                       story.category.name, story.original_url)
        self.assertEqual(printed, (self.haier.title, self.haier.body, self.haier.source.name,
                                   self.haier.source.url, self.haier.category.name,
                                   self.haier.original_url))
        self.assertEqual(story.updated_at, self.haier.updated_at)

    def test_unpublished_and_future_stories_are_not_read(self):
        for state, story in self.hidden.items():
            with self.subTest(state):
                self.assertIsNone(reads.fetch_one(reads.story_read(story.pk)))
        self.assertIsNone(reads.fetch_one(reads.story_read(10**9)))

    def test_labels_are_the_story_tags_and_stocks(self):
        with self.assertNumQueries(1):
            tags, stocks = reads.labels(self.haier)
        self.assertEqual(tags, list(self.haier.tags.order_by("name")))
        self.assertEqual(stocks, list(self.haier.stocks.order_by("market", "code")))
        self.assertTrue(stocks)
        self.assertEqual([s.symbol for s in stocks], [s.symbol for s in self.haier.stocks.all()])

    def test_sections_in_navigation_order(self):
        self.assertEqual(reads.sections(), list(Category.objects.all()))

    def test_one_reads_a_row_by_unique_key(self):
        stock = self.haier.stocks.first()
        found = reads.fetch_one(reads.one_read(Stock, ("id", "market", "code", "name"),
                                               market=stock.market, code=stock.code))
        self.assertEqual((found.pk, found.symbol), (stock.pk, stock.symbol))
        self.assertIsNone(reads.fetch_one(reads.one_read(Source, ("id", "name"), slug="no-such-source")))


class PeriodTests(ImportedTestCase):
    def test_nearest_stories_before_and_after_a_period(self):
        published = Article.objects.published()
        moment = self.haier.published_at
        cases = [(moment, moment + timedelta(days=1)),  # around the Haier story's day
                 (moment - timedelta(days=400), moment - timedelta(days=399)),  # before the first
                 (timezone.now() - timedelta(days=1), timezone.now())]  # after the last published
        for start, end in cases:
            with self.subTest(start=start):
                before = published.filter(published_at__lt=start).order_by("-published_at").first()
                after = published.filter(published_at__gte=end).order_by("published_at").first()
                found = reads.fetch_one(reads.nearest_read(start, end))
                self.assertEqual(found, (before and before.published_at, after and after.published_at))
        # The scheduled story is not after anything yet; unpublished ones never are.
        self.assertEqual(reads.fetch_one(reads.nearest_read(timezone.now(), timezone.now()))[1], None)

    def test_periods_with_stories_probe_each_period(self):
        day = timedelta(days=1)
        start = self.haier.published_at
        periods = [(start, start + day), (start - 3000 * day, start - 2999 * day)]
        self.assertEqual(reads.periods_with_stories(periods), {0})
        with self.assertNumQueries(0):
            self.assertEqual(reads.periods_with_stories([]), set())


class AroundTests(ImportedTestCase):
    def around(self, article):
        tags, stocks = reads.labels(article)
        return reads.around(article, stocks=stocks, tags=tags, related_count=6)

    def test_neighbours_are_the_adjacent_published_stories(self):
        published = Article.objects.published()
        for article in list(published[:3]) + list(published.order_by("published_at", "id")[:3]):
            with self.subTest(article.pk):
                found = self.around(article)
                moment, pk = article.published_at, article.pk
                before = published.filter(Q(published_at__lt=moment)
                                          | Q(published_at=moment, pk__lt=pk))
                after = published.filter(Q(published_at__gt=moment)
                                         | Q(published_at=moment, pk__gt=pk))
                self.assertEqual(found.previous, before.order_by("-published_at", "-id").first())
                self.assertEqual(found.next, after.order_by("published_at", "id").first())

    def test_stories_published_in_the_same_second_are_still_neighbours(self):
        twin = Article.objects.create(title="同一秒的稿件", status="published",
                                      published_at=self.haier.published_at)
        self.assertEqual(self.around(twin).previous, self.haier)
        self.assertEqual(self.around(self.haier).next, twin)

    def test_related_stories_share_companies_or_tags_ranked_by_how_much(self):
        stocks = list(self.haier.stocks.all())
        self.assertGreaterEqual(len(stocks), 2)
        self.haier.tags.add("相关测试标签")
        add_stories(2, source=self.haier.source, category=self.haier.category, stocks=stocks[:1])
        by_stock = list(Article.objects.filter(title__startswith="批量稿件"))
        both = Article.objects.create(title="同两家公司的稿件", status="published",
                                      published_at=timezone.now() - timedelta(days=400))
        both.stocks.add(*stocks[:2])
        tagged = Article.objects.create(title="同标签稿件", status="published",
                                        published_at=timezone.now(), category=self.haier.category)
        tagged.tags.add("相关测试标签")
        section_only = Article.objects.create(title="只是同栏目的新稿", status="published",
                                              published_at=timezone.now(), category=self.haier.category)
        related = self.around(self.haier).related
        # Two companies shared outrank one, however old; companies outrank a tag.
        self.assertEqual(related[0], both)
        self.assertEqual(set(related[1:3]), set(by_stock))
        self.assertIn(tagged, related[3:])
        self.assertNotIn(section_only, related)  # sharing only the section is not related
        self.assertNotIn(self.haier, related)
        self.assertEqual(len({s.pk for s in related}), len(related))
        names = [stock.name or stock.symbol for stock in stocks[:2]]
        self.assertTrue(related[0].reason.startswith("同公司："))
        self.assertEqual(set(related[0].reason.removeprefix("同公司：").split("、")), set(names))
        self.assertEqual(related[related.index(tagged)].reason, "同标签：相关测试标签")
        for story in related:
            shares_stock = story.stocks.filter(pk__in=[s.pk for s in stocks]).exists()
            shares_tag = story.tags.filter(pk__in=self.haier.tags.all()).exists()
            self.assertTrue(shares_stock or shares_tag, story.title)
        for hidden in self.hidden.values():
            self.assertNotIn(hidden, related)

    def test_one_story_per_same_story_cluster(self):
        stocks = list(self.haier.stocks.all())[:1]
        add_stories(3, source=self.haier.source, category=None, stocks=stocks)
        copies = list(Article.objects.filter(title__startswith="批量稿件"))
        cluster = Cluster.objects.create()
        Article.objects.filter(pk__in=[copy.pk for copy in copies]).update(cluster=cluster)
        related = self.around(self.haier).related
        self.assertEqual(len([story for story in related if story in copies]), 1)

    def test_related_fills_up_when_stories_share_several_labels(self):
        # Ten stories share both a stock and a tag with the story: each is listed once.
        self.haier.tags.add("重复测试标签")
        add_stories(10, source=self.haier.source, category=None, tags=["重复测试标签"],
                    stocks=list(self.haier.stocks.all())[:1])
        related = self.around(self.haier).related
        self.assertEqual(len(related), 6)
        self.assertEqual(len({s.pk for s in related}), 6)

    def test_one_query_for_neighbours_and_related(self):
        tags, stocks = reads.labels(self.haier)
        with self.assertNumQueries(1):
            reads.around(self.haier, stocks=stocks, tags=tags, related_count=6)


class PreparedReadTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        import_published()

    def test_postgresql_keeps_the_plans_of_plan_stable_reads(self):
        if connection.vendor != "postgresql":
            self.skipTest("PostgreSQL only")
        haier = Article.objects.get(external_id=SUNING_HAIER)
        reads.fetch_one(reads.story_read(haier.pk))
        reads.listing(reads.BY_SOURCE, (haier.source_id,), limit=5)
        tag = ArticleTag.objects.filter(items__isnull=False).first()
        reads.listing(reads.BY_TAG, (tag.pk,), limit=5)
        with connection.cursor() as cursor:
            cursor.execute("SELECT statement FROM pg_prepared_statements")
            prepared = [row[0] for row in cursor.fetchall()]
        self.assertTrue(any("WHERE a.id = $1" in sql for sql in prepared), prepared)
        # The publisher count and the visibility rule take $1-$4.
        self.assertTrue(any("a.source_id = $5" in sql for sql in prepared), prepared)
        # A tag's stories are planned for that tag every time (rare or common).
        self.assertFalse(any("articles_taggedarticle" in sql for sql in prepared), prepared)

    def test_prepared_statements_are_logged_with_their_values(self):
        haier = Article.objects.get(external_id=SUNING_HAIER)
        with CaptureQueriesContext(connection) as queries:
            reads.fetch_one(reads.story_read(haier.pk))
            reads.sections()
        self.assertEqual(len(queries), 2)
        self.assertIn(f"a.id = {haier.pk}", queries[0]["sql"])
        self.assertIn("FROM articles_category", queries[1]["sql"])

    def test_postgresql_sessions_keep_the_generic_plan_of_prepared_reads(self):
        if connection.vendor != "postgresql":
            self.skipTest("PostgreSQL only")
        with connection.cursor() as cursor:
            cursor.execute("SHOW plan_cache_mode")
            self.assertEqual(cursor.fetchone()[0], "force_generic_plan")
            # ... and never JIT-compile one: a generic plan's cost (its LIMIT unknown) looks high
            # over a large archive, and compiling took 0.5 s for 0.4 ms of work at a million.
            cursor.execute("SHOW jit")
            self.assertEqual(cursor.fetchone()[0], "off")
