"""articles/sql.py: statements read together give what each gives alone."""

from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext

from articles import reads, sql
from articles.models import Article, Source
from tests.site_support import SUNING_HAIER, import_published


class FetchTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        import_published()
        cls.haier = Article.objects.get(external_id=SUNING_HAIER)

    def test_reads_together_give_what_each_gives_alone(self):
        wanted = [reads.story_read(self.haier.pk), reads.labels_read(self.haier.pk),
                  reads.sections_read(), reads.listing_read(reads.BY_SOURCE, (self.haier.source_id,), limit=5),
                  reads.one_read(Source, ("id", "name"), slug=self.haier.source.slug)]
        alone = [sql.fetch(read)[0] for read in wanted]
        with CaptureQueriesContext(connection) as queries:
            together = sql.fetch(*wanted)
        self.assertEqual(len(queries), len(wanted))  # each statement still counted and logged
        self.assertTrue(all(query["sql"] for query in queries))
        story, labels, sections, listing, source = together
        self.assertEqual((story.pk, story.title), (alone[0].pk, alone[0].title))
        self.assertEqual(labels, alone[1])
        self.assertEqual(sections, alone[2])
        self.assertEqual(listing, alone[3])
        self.assertTrue(listing)
        self.assertEqual((source.pk, source.name), (self.haier.source_id, self.haier.source.name))

    def test_a_failing_statement_is_reported_and_the_connection_stays_usable(self):
        from django.db import DatabaseError, transaction

        broken = sql.Read("SELECT no_such_column FROM articles_article", [], prepare=False)
        with self.assertRaises(DatabaseError), transaction.atomic():
            sql.fetch(reads.sections_read(), broken)
        self.assertEqual(len(reads.sections()), len(sql.fetch(reads.sections_read())[0]))
