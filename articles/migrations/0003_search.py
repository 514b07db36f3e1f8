"""The full-text index over Article.search_text (CJK bigram tokens, see articles/search/tokens.py).

SQLite: an external-content FTS5 table kept in sync by triggers. The `ascii` tokenizer splits
on ASCII spaces and punctuation only and keeps every non-ASCII character as part of a token,
so a bigram such as 海尔 stays one token (search_text holds only CJK and [a-z0-9] tokens).
Triggers, not signals, so bulk writes by the importer are indexed too.

Caution: when a later migration alters articles_article on SQLite, Django rebuilds the table
and the triggers are dropped with the old one; tests/test_search_filters.py checks that they exist.
Re-create them with `install_sqlite_index` below if that ever happens.

PostgreSQL: a GIN expression index over to_tsvector('simple', search_text). The default
parser keeps each space-separated CJK bigram as one word in a UTF-8 database whatever its
locale (non-ASCII characters count as letters under C), and 'simple' neither stems nor drops
anything. A second GIN index over the title's tokens (computed in SQL) finds title hits
without touching every body match. articles.search.filters repeats both expressions exactly.
"""

from django.db import migrations

FTS_TABLE = "articles_article_fts"

SQLITE_INSTALL = [
    f"""CREATE VIRTUAL TABLE IF NOT EXISTS {FTS_TABLE} USING fts5(
        search_text, content='articles_article', content_rowid='id', tokenize='ascii'
    )""",
    f"""CREATE TRIGGER IF NOT EXISTS articles_article_fts_insert
        AFTER INSERT ON articles_article BEGIN
            INSERT INTO {FTS_TABLE}(rowid, search_text) VALUES (new.id, new.search_text);
        END""",
    f"""CREATE TRIGGER IF NOT EXISTS articles_article_fts_delete
        AFTER DELETE ON articles_article BEGIN
            INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, search_text)
                VALUES ('delete', old.id, old.search_text);
        END""",
    # Saving an article rewrites every column: re-index only when the tokens changed.
    f"""CREATE TRIGGER IF NOT EXISTS articles_article_fts_update
        AFTER UPDATE OF search_text ON articles_article
        WHEN old.search_text IS NOT new.search_text BEGIN
            INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, search_text)
                VALUES ('delete', old.id, old.search_text);
            INSERT INTO {FTS_TABLE}(rowid, search_text) VALUES (new.id, new.search_text);
        END""",
    f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('rebuild')",
]
SQLITE_UNINSTALL = [
    "DROP TRIGGER IF EXISTS articles_article_fts_insert",
    "DROP TRIGGER IF EXISTS articles_article_fts_delete",
    "DROP TRIGGER IF EXISTS articles_article_fts_update",
    f"DROP TABLE IF EXISTS {FTS_TABLE}",
]
# The title's tokens, computed in SQL exactly as articles.search.tokens.search_document() does for
# one part (ASCII words lower-cased, CJK bigrams, a lone character as itself, plus the
# characters that end a run): ranking title hits first must not touch every body match.
POSTGRES_TITLE_TOKENS = r"""
CREATE OR REPLACE FUNCTION articles_title_tokens(title text) RETURNS tsvector
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
SELECT coalesce(array_to_tsvector(array_agg(DISTINCT token)), ''::tsvector)
FROM (
    SELECT lower(m[1]) AS token FROM regexp_matches(title, '[A-Za-z0-9]+', 'g') AS m
    UNION ALL
    SELECT substr(m[1], i, 2)
    FROM regexp_matches(title, '[\u3400-\u9fff\uf900-\ufaff]+', 'g') AS m,
         generate_series(1, greatest(length(m[1]) - 1, 1)) AS i
    UNION ALL
    SELECT right(m[1], 1) FROM regexp_matches(title, '[\u3400-\u9fff\uf900-\ufaff]+', 'g') AS m
) AS tokens
$$
"""
POSTGRES_INSTALL = [
    "CREATE INDEX IF NOT EXISTS article_search_idx ON articles_article "
    "USING gin (to_tsvector('simple'::regconfig, search_text))",
    POSTGRES_TITLE_TOKENS,
    "CREATE INDEX IF NOT EXISTS article_title_search_idx ON articles_article "
    "USING gin (articles_title_tokens(title))",
    # articles.search.pages routes a query by the frequencies ANALYZE keeps for the 10 x
    # target most common lexemes, and a news archive has many common bigrams. ANALYZE re-parses each sampled row (300 per unit of target): about a
    # minute at 100,000 articles, in autovacuum's background.
    "ALTER INDEX article_search_idx ALTER COLUMN 1 SET STATISTICS 400",
    "ALTER INDEX article_title_search_idx ALTER COLUMN 1 SET STATISTICS 400",
]
POSTGRES_UNINSTALL = [
    "DROP INDEX IF EXISTS article_title_search_idx",
    "DROP FUNCTION IF EXISTS articles_title_tokens(text)",
    "DROP INDEX IF EXISTS article_search_idx",
]


def _run(schema_editor, statements):
    for sql in statements:
        schema_editor.execute(sql)


def install_sqlite_index(schema_editor):
    _run(schema_editor, SQLITE_INSTALL)


def refresh_search_text(apps):
    # search_document() gained a tail of run-final characters (one-character queries): bring
    # rows stored before that up to date. The historical model has no save() logic.
    from articles.search.tokens import html_to_text, search_document

    Article = apps.get_model("articles", "Article")
    batch = []
    fields = ("id", "title", "summary", "body", "search_text")
    for article in Article.objects.only(*fields).iterator(chunk_size=500):
        text = search_document(article.title, article.summary, html_to_text(article.body))
        if text != article.search_text:
            article.search_text = text
            batch.append(article)
        if len(batch) >= 500:
            Article.objects.bulk_update(batch, ["search_text"])
            batch = []
    if batch:
        Article.objects.bulk_update(batch, ["search_text"])


def install(apps, schema_editor):
    refresh_search_text(apps)
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        install_sqlite_index(schema_editor)
    elif vendor == "postgresql":
        _run(schema_editor, POSTGRES_INSTALL)


def uninstall(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        _run(schema_editor, SQLITE_UNINSTALL)
    elif vendor == "postgresql":
        _run(schema_editor, POSTGRES_UNINSTALL)


class Migration(migrations.Migration):
    dependencies = [("articles", "0002_default_categories")]

    operations = [migrations.RunPython(install, uninstall, elidable=False)]
