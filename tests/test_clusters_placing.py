"""Same-story clusters through the real import: reprints join the story they copy, look-alikes
stay apart, re-imports change nothing, editors' splits and merges hold, and readers see one
entry per story with its other publishers."""

from django.core.management import call_command
from django.test import TestCase
from django.utils import timezone

from articles.clusters import editing
from articles.ingest.pipeline import import_paths
from articles.models import Article, Cluster, StoryLikeness
from tests.admin_support import temp_dir
from tests.clusters_support import ORIGINAL, next_days_edition, paragraphs, reprint, story_file
from tests.site_support import CORPUS, SUNING_HAIER, FreshCacheMixin, import_published
from tests.test_views import UNCACHED

TITLE = "苏宁易购与海尔集团签署战略合作 共推场景零售"


def run(*paths, force=False):
    return import_paths([str(p) for p in paths], status="published", workers=1, force=force)


def clusters() -> dict[int, int | None]:
    return dict(Article.objects.values_list("pk", "cluster_id"))


class ImportTests(FreshCacheMixin, TestCase):
    def setUp(self):
        super().setUp()
        self.folder = temp_dir(self)
        import_published()
        self.original = Article.objects.get(external_id=SUNING_HAIER)

    def test_real_reprints_in_the_corpus_are_clustered_and_flashes_are_not(self):
        def story(name):
            return Article.objects.get(source_file__endswith=name)
        onshore = story("2021-12-08-202112082206748961.md"), story("2021-12-08-202112082206749391.md")
        self.assertIsNotNone(onshore[0].cluster_id)
        self.assertEqual(onshore[0].cluster_id, onshore[1].cluster_id)
        northbound = story("2021-12-08-202112082206777086.md"), story("2021-12-08-202112082207020388.md")
        self.assertEqual([s.cluster_id for s in northbound], [None, None])  # 超50亿 / 达80亿: too short
        self.assertEqual(StoryLikeness.objects.count(), Article.objects.count())

    def test_a_rewrite_from_another_publisher_joins_the_story(self):
        self.assertEqual(run(reprint(self.folder)).created, 1)
        copy = Article.objects.get(title=TITLE)
        self.original.refresh_from_db()
        self.assertIsNotNone(copy.cluster_id)
        self.assertEqual(copy.cluster_id, self.original.cluster_id)
        self.assertEqual(list(self.original.same_story()), [copy])
        self.assertEqual(list(copy.same_story()), [self.original])

        # Readers: one entry, the earliest, with both publishers counted.
        home = self.client.get("/").content.decode()
        self.assertIn(self.original.title, home)
        self.assertNotIn(TITLE, home)
        section = self.client.get(self.original.category.get_absolute_url()).content.decode()
        self.assertIn(self.original.title, section)
        self.assertNotIn(TITLE, section)
        self.assertIn("2 家媒体报道", section)
        page = self.client.get(self.original.get_absolute_url())
        self.assertContains(page, "其他媒体报道")
        self.assertContains(page, TITLE)
        self.assertContains(page, "中证网")
        self.assertContains(self.client.get(copy.get_absolute_url()), self.original.title)
        feed = self.client.get("/feed/").content.decode()
        self.assertNotIn(TITLE, feed)
        self.assertIn("2 家媒体报道", feed)
        # The publisher's own page and feed carry its story.
        self.assertContains(self.client.get(copy.source.get_absolute_url()), TITLE)
        self.assertContains(self.client.get(f"/sources/{copy.source.slug}/feed/"), TITLE)

    def test_the_same_words_with_other_figures_stay_apart(self):
        run(next_days_edition(self.folder))
        other = Article.objects.get(title="苏宁易购海尔召开战略对接会（次日）")
        self.original.refresh_from_db()
        self.assertIsNone(other.cluster_id)
        self.assertIsNone(self.original.cluster_id)

    def test_a_copy_beyond_the_window_is_not_a_candidate(self):
        run(reprint(self.folder, date="2022-03-15 09:00:00"))
        self.assertIsNone(Article.objects.get(title=TITLE).cluster_id)

    def test_copies_within_one_batch_cluster_too(self):
        reprint(self.folder, "a.md", story_id="202202220000000001")
        story_file(self.folder, "b.md", title="海尔与苏宁易购明确2022年合作目标", date="2022-02-21 18:00:00",
                   publisher="上海证券报", key="shzqb", body=["上证报讯 ", *paragraphs()[1:]],
                   story_id="202202220000000002")
        run(self.folder)
        self.original.refresh_from_db()
        members = set(Article.objects.filter(cluster_id=self.original.cluster_id).values_list("title", flat=True))
        self.assertEqual(members, {self.original.title, TITLE, "海尔与苏宁易购明确2022年合作目标"})
        self.assertEqual(Cluster.objects.count(), len({c for c in clusters().values() if c}))

    def test_re_imports_change_no_cluster(self):
        run(reprint(self.folder))
        before = clusters()
        likenesses = StoryLikeness.objects.count()
        run(CORPUS, self.folder, ORIGINAL.parent, force=True)
        self.assertEqual(clusters(), before)
        self.assertEqual(StoryLikeness.objects.count(), likenesses)

    def test_a_split_holds_through_re_imports_and_new_copies(self):
        run(reprint(self.folder))
        copy = Article.objects.get(title=TITLE)
        self.assertEqual(editing.split([copy]), 1)
        copy.refresh_from_db()
        self.original.refresh_from_db()
        self.assertEqual((copy.cluster_id, copy.cluster_fixed), (None, True))
        self.assertIsNone(self.original.cluster_id)  # a cluster of one is no cluster
        # A third copy arrives, and everything is imported again.
        reprint(self.folder, "third.md", story_id="202202224444444444")
        run(self.folder, force=True)
        third = Article.objects.get(external_id__contains="202202224444444444")
        copy.refresh_from_db()
        self.original.refresh_from_db()
        self.assertIsNone(copy.cluster_id)
        self.assertIsNotNone(third.cluster_id)
        self.assertEqual(third.cluster_id, self.original.cluster_id)
        # Readers see the split story on its own again.
        self.assertContains(self.client.get("/"), TITLE)

    def test_merge_and_the_editors_pick_lead_the_list(self):
        other = Article.objects.exclude(pk=self.original.pk).filter(status="published").first()
        cluster = editing.merge([self.original, other])
        self.assertEqual(set(cluster.articles.all()), {self.original, other})
        earlier, later = sorted([self.original, other], key=lambda a: (a.published_at, a.pk))
        listed = [a.pk for a in Article.objects.published().one_per_story()]
        self.assertIn(earlier.pk, listed)
        self.assertNotIn(later.pk, listed)
        self.assertTrue(editing.make_lead(later))
        listed = [a.pk for a in Article.objects.published().one_per_story()]
        self.assertIn(later.pk, listed)
        self.assertNotIn(earlier.pk, listed)
        # A withdrawn lead gives way: a withdrawn story stays withdrawn, its copy is listed.
        Article.objects.filter(pk=later.pk).update(status="draft")
        listed = [a.pk for a in Article.objects.published().one_per_story()]
        self.assertIn(earlier.pk, listed)
        self.assertNotIn(later.pk, listed)


class BackfillTests(TestCase):
    def test_stored_stories_are_clustered_resumably(self):
        folder = temp_dir(self)
        import_published()
        run(reprint(folder))
        expected = clusters()
        self.assertTrue(any(expected.values()))
        # As if stored before clustering existed.
        Article.objects.update(cluster=None)
        Cluster.objects.all().delete()
        StoryLikeness.objects.all().delete()

        class Stop(Exception):
            pass

        from articles.clusters.backfill import cluster_stored

        def stop_after_first(done):
            raise Stop

        with self.assertRaises(Stop):
            cluster_stored(batch=5, progress=stop_after_first)
        self.assertEqual(StoryLikeness.objects.count(), 5)  # the first batch is kept
        call_command("cluster_articles", "--batch", "7", stdout=open("/dev/null", "w"))  # noqa: SIM115
        self.assertEqual(StoryLikeness.objects.count(), Article.objects.count())
        copy = Article.objects.get(title=TITLE)
        original = Article.objects.get(external_id=SUNING_HAIER)
        self.assertIsNotNone(copy.cluster_id)
        self.assertEqual(copy.cluster_id, original.cluster_id)
        grouped = {frozenset(pk for pk, c in clusters().items() if c == cid) for cid in set(clusters().values()) if cid}
        wanted = {frozenset(pk for pk, c in expected.items() if c == cid) for cid in set(expected.values()) if cid}
        self.assertEqual(grouped, wanted)
        self.assertEqual(cluster_stored(), 0)  # nothing left to do


@UNCACHED
class QueryCountTests(FreshCacheMixin, TestCase):
    def test_pages_read_as_many_times_with_clusters_as_without(self):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        import_published()
        original = Article.objects.get(external_id=SUNING_HAIER)
        urls = ["/", original.category.get_absolute_url(), "/feed/", original.get_absolute_url(),
                original.stocks.first().get_absolute_url()]

        def counts():
            # A first round after a change also asks the page cache when the next scheduled
            # story comes due: the second round is the steady state.
            for url in urls:
                self.client.get(url)
            found = []
            for url in urls:
                with CaptureQueriesContext(connection) as queries:
                    self.assertEqual(self.client.get(url).status_code, 200)
                found.append(len(queries))
            return found

        before = counts()
        folder = temp_dir(self)
        for n in range(12):
            reprint(folder, f"copy{n}.md", story_id=f"2022022255555555{n:02d}", date=f"2022-02-21 1{n % 10}:00:00")
        self.assertEqual(run(folder).created, 12)
        self.assertEqual(Article.objects.filter(cluster_id=original.__class__.objects.get(pk=original.pk).cluster_id)
                         .count(), 13)
        self.assertEqual(counts(), before)
        self.assertEqual(before[3], 6)  # the story page: see tests/test_views.py


class CandidateIndexTests(TestCase):
    """The candidates come from the days around a story, read through the likeness table's
    (day) index: the planner is asked after the table is filled and analysed."""

    def test_the_days_around_a_story_are_read_through_the_day_index(self):
        import random
        from datetime import date, timedelta

        from django.db import connection

        from articles.ingest import bulk

        rng = random.Random(7)
        start = date(2022, 1, 1)
        ids = bulk.allocate_ids(Article, 50_000)
        bulk.insert_values(Article, ("id", "title", "slug", "summary", "body", "image", "published_at", "status",
                                     "search_text", "front_matter", "inferred_fields", "imported_values",
                                     "pending_changes", "needs_review", "cluster_fixed", "important", "source_file",
                                     "source_format", "content_hash", "created_at", "updated_at"), [
            (pk, "稿件", "a", "", "", "", connection.ops.adapt_datetimefield_value(timezone.now()), "draft", "",
             "{}", "[]", "{}", "{}", False, False, False, "", "", "",
             connection.ops.adapt_datetimefield_value(timezone.now()),
             connection.ops.adapt_datetimefield_value(timezone.now())) for pk in ids])
        day = StoryLikeness._meta.get_field("day")
        minhash = StoryLikeness._meta.get_field("minhash")
        bulk.insert_values(StoryLikeness, ("article_id", "day", "indexed", "minhash", "shingles", "figures",
                                           "companies"), [
            (pk, day.get_db_prep_save(start + timedelta(days=rng.randrange(1500)), connection), True,
             minhash.get_db_prep_save(rng.randbytes(240), connection), 100, "", "") for pk in ids])
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        query = StoryLikeness.objects.filter(day__in=[start + timedelta(days=n) for n in range(15)],
                                             shingles__gt=0, indexed=True)
        plan = query.values_list("article_id", "day", "article__cluster_id", "minhash").explain()
        self.assertRegex(plan, r"articles_storylikeness_day_\w+")
        self.assertNotIn("Seq Scan on articles_storylikeness", plan)


class FloodTests(TestCase):
    """A day flooded with stories that share wording (a site's boilerplate; a thousand undated
    page dumps dated by their files, which once made the benchmark's per-story work grow with
    the corpus): the work of finding a story's candidates stays bounded."""

    def test_a_key_keeps_its_newest_stories_and_a_day_far_behind_leaves(self):
        from datetime import date, timedelta

        from articles.clusters import placing
        from articles.clusters.likeness import Likeness

        index = placing.Index()
        flood = date(2022, 1, 1)
        index.load({flood})
        alike = Likeness(bytes(240), 100, ())
        for pk in range(1, 1001):
            index.add(placing._Known(pk, flood, None, False, alike))
        self.assertEqual({len(stories) for stories in index.keys.values()}, {placing.MAX_PER_KEY})
        found = index.candidates(placing._Known(5000, flood, None, False, alike))
        self.assertEqual(len(found), placing.MAX_CANDIDATES)
        self.assertTrue(all(k.pk > 1000 - placing.MAX_PER_KEY for k in found), [k.pk for k in found])
        # Batches move on, months later: the flooded day leaves the index, keys and all.
        for months in (3, 6, 9):
            index.load({flood + timedelta(days=30 * months)})
        self.assertNotIn(flood, index.days)
        # Nothing of it is left behind, not even its keys (a run's memory would grow with them).
        self.assertEqual(index.keys, {})


class OtherPublishersTests(FreshCacheMixin, TestCase):
    def test_the_box_names_other_publishers_once_each(self):
        folder = temp_dir(self)
        import_published()
        original = Article.objects.get(external_id=SUNING_HAIER)
        reprint(folder, "a.md", story_id="202202226666666661", date="2022-02-21 15:00:00")
        reprint(folder, "b.md", story_id="202202226666666662", date="2022-02-21 16:00:00")  # 中证网 again
        story_file(folder, "own.md", title="中国经济网再发：苏宁易购海尔战略对接", date="2022-02-21 17:00:00",
                   publisher=original.source.name, key="zhongguojingjiwang",
                   body=["（更新）", *paragraphs()], story_id="202202226666666663")
        run(folder)
        original.refresh_from_db()
        self.assertEqual(original.same_story().count(), 3)
        page = self.client.get(original.get_absolute_url())
        box = page.content.decode().split('id="same-story"')[1].split("</aside>")[0]
        self.assertEqual(box.count("<li>"), 1)
        self.assertIn("中证网", box)
        self.assertNotIn("中国经济网再发", box)
