"""SQLite helpers for migrations."""

import importlib


def reinstall_search_triggers(apps, schema_editor):
    """Adding a NOT NULL column makes SQLite rebuild articles_article, which drops the FTS
    triggers 0003 made with raw SQL: make them again (the FTS rows keep their rowids)."""
    if schema_editor.connection.vendor == "sqlite":
        importlib.import_module("articles.migrations.0003_search").install_sqlite_index(schema_editor)
