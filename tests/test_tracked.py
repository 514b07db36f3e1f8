"""The tracked fields: one stored form per field, read from an article and written back."""

from datetime import datetime
from zoneinfo import ZoneInfo

from django.test import TestCase

from articles import columns, tracked
from articles.models import Article, Category, Source, Stock


class StoredFormTests(TestCase):
    def setUp(self):
        self.source = Source.objects.create(name="中国经济网", slug="zhongguojingjiwang")
        self.article = Article.objects.create(
            title="原标题", summary="摘要", body="<p>正文</p>", source=self.source,
            published_at=datetime(2022, 2, 21, 9, 33, 1, tzinfo=ZoneInfo("Asia/Shanghai")),
            category=Category.objects.get(slug="companies"),
        )
        self.article.tags.add("家电", "苏宁")
        self.article.stocks.add(Stock.objects.get(market="SZ", code="002024"))

    def test_an_articles_values_in_their_stored_form(self):
        self.assertEqual(tracked.read(self.article), {
            "title": "原标题", "summary": "摘要", "body": "<p>正文</p>",
            "published_at": "2022-02-21T01:33:01+00:00", "source": self.source.pk,
            "tags": ["家电", "苏宁"], "stocks": ["SZ002024"], "original_url": None,
        })
        self.assertEqual(tracked.read(self.article, ["category"]),
                         {"category": Category.objects.get(slug="companies").pk})

    def test_each_stored_value_written_back_reads_the_same(self):
        other = Article.objects.create(title="另一篇")
        values = tracked.read(self.article, [field.name for field in tracked.FIELDS])
        for field in tracked.FIELDS:
            with self.subTest(field.name):
                field.apply(other, values[field.name])
        other.save()
        other.refresh_from_db()
        self.assertEqual(tracked.read(other, [f.name for f in tracked.FIELDS]), values)

    def test_the_section_status_and_address_are_not_the_importers(self):
        self.assertEqual([f.name for f in tracked.FIELDS if not f.imported], ["category", "status", "slug"])
        self.assertEqual(set(tracked.LABELS), {f.name for f in tracked.FIELDS})

    def test_a_body_is_kept_as_its_digest_and_both_forms_agree(self):
        digest = tracked.kept("body", "<p>正文</p>")
        self.assertTrue(digest.startswith("sha256:"))
        self.assertEqual(tracked.kept("body", digest), digest)
        self.assertEqual(tracked.kept("title", "原标题"), "原标题")

    def test_a_long_title_is_stored_as_the_column_takes_it(self):
        long = "长" * (columns.TITLE + 10)
        self.assertEqual(len(tracked.encode({"title": long})["title"]), columns.TITLE)
        tracked.BY_NAME["title"].apply(self.article, long)
        self.assertEqual(len(self.article.title), columns.TITLE)

    def test_an_empty_original_address_is_none_and_a_missing_time_changes_nothing(self):
        tracked.BY_NAME["original_url"].apply(self.article, "")
        self.assertIsNone(self.article.original_url)
        before = self.article.published_at
        tracked.BY_NAME["published_at"].apply(self.article, None)
        self.assertEqual(self.article.published_at, before)
