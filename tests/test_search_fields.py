"""The search tokens' column: a tsvector sent by the application on PostgreSQL, NULL
elsewhere (articles/search/fields.py)."""

from django.db import connection
from django.test import TestCase

from articles.models import Article
from articles.search.fields import TokenVectorField
from articles.search.filters import search_articles
from articles.search.pages import search_page
from articles.search.tokens import vector_literal
from tests.site_support import SUNING_HAIER, import_published


class TokenVectorFieldTests(TestCase):
    def test_migrations_see_where_the_tokens_come_from(self):
        name, path, args, kwargs = Article._meta.get_field("title_vector").deconstruct()
        self.assertEqual(path, "articles.search.fields.TokenVectorField")
        self.assertEqual(kwargs["tokens_from"], "title_tokens")
        self.assertNotIn("tokens_from", Article._meta.get_field("search_vector").deconstruct()[3])
        self.assertEqual(TokenVectorField(tokens_from="x").tokens_from, "x")

    def test_a_save_sends_the_vector_to_postgresql_only(self):
        story = Article.objects.create(title="海尔智家 TCL科技", status="published")
        column_type = Article._meta.get_field("search_vector").db_type(connection)
        with connection.cursor() as cursor:
            cursor.execute("SELECT search_vector, title_vector FROM articles_article WHERE id = %s",
                           [story.pk])
            body, title = cursor.fetchone()
        if connection.vendor == "postgresql":
            self.assertEqual(column_type, "tsvector")
            self.assertEqual(story.search_vector, vector_literal(story.search_text))
            self.assertEqual(set(body.replace("'", "").split()), set(story.search_text.split()))
            self.assertEqual(set(title.replace("'", "").split()), set(story.title_tokens.split()))
        else:
            self.assertEqual(column_type, "text")
            self.assertEqual((body, title), (None, None))

    def test_imported_vectors_come_from_the_application_and_equal_postgres_own_parse(self):
        if connection.vendor != "postgresql":
            self.skipTest("search_vector is PostgreSQL's (SQLite indexes search_text with FTS5)")
        with connection.cursor() as cursor:
            # Without the safety-net triggers (until the test's transaction rolls back), so
            # that every vector is the application's own.
            cursor.execute("ALTER TABLE articles_article DISABLE TRIGGER articles_article_fill_search_vector")
            cursor.execute("ALTER TABLE articles_article DISABLE TRIGGER articles_article_refill_search_vector")
            cursor.execute("ALTER TABLE articles_article DISABLE TRIGGER articles_article_fill_title_vector")
            cursor.execute("ALTER TABLE articles_article DISABLE TRIGGER articles_article_refill_title_vector")
            import_published()
            cursor.execute(
                "SELECT count(*), count(*) FILTER (WHERE search_vector IS NULL OR title_vector IS NULL),"
                " count(*) FILTER (WHERE search_vector <> strip(to_tsvector('simple', search_text))),"
                " count(*) FILTER (WHERE title_vector <> articles_title_tokens(title))"
                " FROM articles_article"
            )
            total, missing, different, titles_different = cursor.fetchone()
        self.assertGreater(total, 80)
        self.assertEqual((missing, different, titles_different), (0, 0, 0))
        story = Article.objects.get(external_id=SUNING_HAIER)
        self.assertEqual(list(search_articles("翼龙")), [])
        story.title = "改过标题的稿件翼龙"
        story.save()  # an editor's save sends its own vectors too
        self.assertEqual(list(search_articles("翼龙")), [story])
        self.assertEqual(search_page("翼龙").articles[0].pk, story.pk)  # a title hit, through title_vector
