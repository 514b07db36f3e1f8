"""PostgreSQL: compress the article's long columns with lz4 instead of pglz.

Each imported story stores body, search text, search tokens and front matter out of line
(TOAST); pglz compression was a seventh of the database's CPU during an import. lz4 costs a
fraction of it (PostgreSQL 14+, built --with-lz4 as Debian's and the official images are).
Only new values are written with lz4; old ones stay readable as they are. Nothing on SQLite.
"""

from django.db import migrations

COLUMNS = ("body", "search_text", "search_vector", "front_matter")


def _set_compression(method):
    def run(apps, schema_editor):
        connection = schema_editor.connection
        if connection.vendor != "postgresql" or connection.pg_version < 140000:
            return
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT %s = ANY(enumvals) FROM pg_settings WHERE name = 'default_toast_compression'",
                [method],
            )
            row = cursor.fetchone()
            if not row or not row[0]:
                return  # a server built without lz4 keeps pglz
            table = schema_editor.quote_name("articles_article")
            clauses = ", ".join(
                f"ALTER COLUMN {schema_editor.quote_name(column)} SET COMPRESSION {method}"
                for column in COLUMNS
            )
            cursor.execute(f"ALTER TABLE {table} {clauses}")

    return run


class Migration(migrations.Migration):

    dependencies = [
        ("articles", "0006_article_body_sanitised"),
    ]

    operations = [
        migrations.RunPython(_set_compression("lz4"), _set_compression("pglz"), elidable=False),
    ]
