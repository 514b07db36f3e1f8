"""articles.ingest.bulk: rows written by COPY / executemany read back as the ORM wrote them."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.db import IntegrityError, transaction
from django.test import TestCase

from articles.ingest import bulk
from articles.models import Article, ImportedFile, Source

SHANGHAI = ZoneInfo("Asia/Shanghai")


class BulkInsertTests(TestCase):
    def setUp(self):
        self.source = Source.objects.create(name="批量来源", slug="piliang")

    def _article(self, n: int) -> Article:
        return Article(
            title=f"批量写入的稿件{n}", slug=f"piliang-{n}", body="<p>正文 'quote' \\ back\ttab</p>",
            published_at=datetime(2022, 2, 21, 9, n, tzinfo=SHANGHAI), source=self.source,
            status="published", front_matter={"title": f"标题{n}", "tags": ["苏宁", "新闻"]},
            inferred_fields=["published_at"], needs_review=True, search_text="批量 量写",
        )

    def _numbered(self, count: int) -> list[Article]:
        articles = [self._article(n) for n in range(count)]
        for article, new_id in zip(articles, bulk.allocate_ids(Article, count), strict=True):
            article.pk = new_id
        return articles

    def test_values_read_back_equal_and_ids_are_set(self):
        articles = self._numbered(3)
        with transaction.atomic():
            self.assertEqual(bulk.insert(Article, (a for a in articles)), articles)
        self.assertEqual(len({a.pk for a in articles}), 3)
        for article in articles:
            stored = Article.objects.get(pk=article.pk)
            self.assertEqual(stored.title, article.title)
            self.assertEqual(stored.body, "<p>正文 'quote' \\ back\ttab</p>")
            self.assertEqual(stored.published_at, article.published_at)
            self.assertEqual(stored.front_matter, article.front_matter)
            self.assertEqual(stored.inferred_fields, ["published_at"])
            self.assertTrue(stored.needs_review)
            self.assertEqual(stored.source_id, self.source.pk)
            self.assertIsNone(stored.original_url)
            # auto_now_add / auto_now filled as save() would
            self.assertLess(abs(stored.created_at - datetime.now(SHANGHAI)), timedelta(minutes=1))
            self.assertIsNotNone(stored.updated_at)
            self.assertFalse(article._state.adding)

    def test_ids_never_reuse_a_deleted_article_and_the_orm_continues_after_them(self):
        newest = Article.objects.create(title="最新的稿件", source=self.source)
        gone = newest.pk
        newest.delete()
        with transaction.atomic():
            articles = bulk.insert(Article, self._numbered(2))
        self.assertGreater(min(a.pk for a in articles), gone)
        after = Article.objects.create(title="之后保存的稿件", source=self.source)
        self.assertGreater(after.pk, max(a.pk for a in articles))

    def test_rows_without_ids_get_them_from_the_database(self):
        rows = [ImportedFile(path=f"/tmp/bulk/{n}.md", size=n, mtime_ns=n, content_hash="x" * 64)
                for n in range(3)]
        bulk.insert(ImportedFile, rows)
        stored = ImportedFile.objects.filter(path__startswith="/tmp/bulk/").order_by("size")
        self.assertEqual([r.size for r in stored], [0, 1, 2])
        self.assertEqual(len({r.pk for r in stored}), 3)

    def test_a_refused_row_raises_djangos_own_error_so_callers_can_retry_row_by_row(self):
        ImportedFile.objects.create(path="/tmp/bulk/taken.md", size=1, mtime_ns=1, content_hash="x" * 64)
        rows = [ImportedFile(path=p, size=2, mtime_ns=2, content_hash="y" * 64)
                for p in ("/tmp/bulk/new.md", "/tmp/bulk/taken.md")]
        with self.assertRaises(IntegrityError), transaction.atomic():  # not psycopg's or sqlite3's
            bulk.insert(ImportedFile, rows)
        self.assertFalse(ImportedFile.objects.filter(path="/tmp/bulk/new.md").exists())
