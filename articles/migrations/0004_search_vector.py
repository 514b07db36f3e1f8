"""PostgreSQL: the GIN search index over a stored tsvector instead of to_tsvector(search_text).

The expression index made the server run the text search parser over every new article's
~1,600 tokens on insert: about half of a PostgreSQL import's time. The application now sends
the distinct tokens (articles.search.tokens.vector_literal) and the index covers the column. Rows
written before are filled here; triggers fill the column for any later writer that leaves it
NULL or changes search_text without it (raw SQL, queryset.update(), a bulk write), so search
never silently misses a row. The application's own writes never fire them.
SQLite keeps the column NULL: its FTS5 table reads search_text.

On a large table the UPDATE rewrites every row once (3 minutes for 120,000 articles on the
2-core benchmark machine, with the old index still in place; it is now dropped first).
"""

from django.db import migrations

import articles.search.fields
from articles.migrations._postgresql import on_postgresql

FILL_NULL = """
CREATE OR REPLACE FUNCTION articles_fill_search_vector() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.search_vector := strip(to_tsvector('simple'::regconfig, coalesce(NEW.search_text, '')));
    RETURN NEW;
END
$$
"""

FORWARD = [
    # The old index goes first: the UPDATE would otherwise maintain it for every row.
    "DROP INDEX IF EXISTS article_search_idx",
    "UPDATE articles_article SET search_vector = "
    "strip(to_tsvector('simple'::regconfig, search_text)) WHERE search_vector IS NULL",
    "CREATE INDEX article_search_idx ON articles_article USING gin (search_vector)",
    # articles.search.pages reads the lexeme frequencies ANALYZE keeps (see 0003).
    "ALTER TABLE articles_article ALTER COLUMN search_vector SET STATISTICS 400",
    FILL_NULL,
    "CREATE TRIGGER articles_article_fill_search_vector BEFORE INSERT ON articles_article"
    " FOR EACH ROW WHEN (NEW.search_vector IS NULL)"
    " EXECUTE FUNCTION articles_fill_search_vector()",
    # queryset.update(search_text=...) changes the tokens without the vector.
    "CREATE TRIGGER articles_article_refill_search_vector BEFORE UPDATE ON articles_article"
    " FOR EACH ROW WHEN (NEW.search_vector IS NULL OR ("
    "NEW.search_text IS DISTINCT FROM OLD.search_text"
    " AND NEW.search_vector IS NOT DISTINCT FROM OLD.search_vector))"
    " EXECUTE FUNCTION articles_fill_search_vector()",
]

BACKWARD = [
    "DROP TRIGGER IF EXISTS articles_article_fill_search_vector ON articles_article",
    "DROP TRIGGER IF EXISTS articles_article_refill_search_vector ON articles_article",
    "DROP FUNCTION IF EXISTS articles_fill_search_vector()",
    "DROP INDEX IF EXISTS article_search_idx",
    "CREATE INDEX article_search_idx ON articles_article "
    "USING gin (to_tsvector('simple'::regconfig, search_text))",
    "ALTER INDEX article_search_idx ALTER COLUMN 1 SET STATISTICS 400",
]


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "0003_search"),
    ]

    operations = [
        migrations.AddField(
            model_name="article",
            name="search_vector",
            field=articles.search.fields.TokenVectorField(blank=True, editable=False, null=True),
        ),
        migrations.RunPython(on_postgresql(FORWARD), on_postgresql(BACKWARD), elidable=False),
    ]
