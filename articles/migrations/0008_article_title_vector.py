"""PostgreSQL: the title's tokens in a stored tsvector, sent by the application.

The title's GIN index was over an expression, articles_title_tokens(title) (0003), which the
server evaluated with three regular expressions for every new article: a tenth of its CPU
during an import. The application now sends the tokens (Article.title_tokens), as it does
for the body (0004), and the index covers the column. Rows written before are filled here;
triggers fill the column for any later writer that changes the title without it (raw SQL,
queryset.update()). The application's own writes never fire them.
SQLite keeps the column NULL: it finds title hits with its FTS5 table and strpos.
"""

from django.db import migrations

import articles.search.fields
from articles.migrations._postgresql import on_postgresql

FILL = """
CREATE OR REPLACE FUNCTION articles_fill_title_vector() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.title_vector := articles_title_tokens(coalesce(NEW.title, ''));
    RETURN NEW;
END
$$
"""

FORWARD = [
    "DROP INDEX IF EXISTS article_title_search_idx",
    "UPDATE articles_article SET title_vector = articles_title_tokens(title)",
    "CREATE INDEX article_title_search_idx ON articles_article USING gin (title_vector)",
    # articles.search.pages reads the lexeme frequencies ANALYZE keeps (see 0003).
    "ALTER TABLE articles_article ALTER COLUMN title_vector SET STATISTICS 400",
    FILL,
    "CREATE TRIGGER articles_article_fill_title_vector BEFORE INSERT ON articles_article"
    " FOR EACH ROW WHEN (NEW.title_vector IS NULL)"
    " EXECUTE FUNCTION articles_fill_title_vector()",
    "CREATE TRIGGER articles_article_refill_title_vector BEFORE UPDATE ON articles_article"
    " FOR EACH ROW WHEN (NEW.title_vector IS NULL OR ("
    "NEW.title IS DISTINCT FROM OLD.title"
    " AND NEW.title_vector IS NOT DISTINCT FROM OLD.title_vector))"
    " EXECUTE FUNCTION articles_fill_title_vector()",
]

BACKWARD = [
    "DROP TRIGGER IF EXISTS articles_article_fill_title_vector ON articles_article",
    "DROP TRIGGER IF EXISTS articles_article_refill_title_vector ON articles_article",
    "DROP FUNCTION IF EXISTS articles_fill_title_vector()",
    "DROP INDEX IF EXISTS article_title_search_idx",
    "CREATE INDEX article_title_search_idx ON articles_article "
    "USING gin (articles_title_tokens(title))",
    "ALTER INDEX article_title_search_idx ALTER COLUMN 1 SET STATISTICS 400",
]


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "0007_article_lz4_toast"),
    ]

    operations = [
        migrations.AddField(
            model_name="article",
            name="title_vector",
            field=articles.search.fields.TokenVectorField(
                blank=True, editable=False, null=True, tokens_from="title_tokens"
            ),
        ),
        migrations.RunPython(on_postgresql(FORWARD), on_postgresql(BACKWARD), elidable=False),
    ]
