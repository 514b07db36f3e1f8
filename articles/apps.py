from django.apps import AppConfig
from django.db import connections
from django.db.models.signals import post_migrate


def _checkpoint_sqlite(using="default", **kwargs) -> None:
    """Fold SQLite's write-ahead log into the database file after migrating, so that a copy of
    the file alone holds everything (manage.py test --parallel copies the test database)."""
    connection = connections[using]
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")


class ArticlesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "articles"
    verbose_name = "新闻稿件"

    def ready(self) -> None:
        # Importing registers the receivers: the importer's tombstones, the page cache, the
        # API's change feed.
        from articles import cache, changes, signals  # noqa: F401

        # Connected last of every app's receivers, so it runs after theirs have written.
        post_migrate.connect(_checkpoint_sqlite, dispatch_uid="articles-sqlite-checkpoint")
