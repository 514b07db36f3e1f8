from django.apps import AppConfig


class ArticlesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "articles"
    verbose_name = "新闻稿件"

    def ready(self) -> None:
        # Importing registers the receivers: the importer's tombstones, the page cache.
        from articles import cache, signals  # noqa: F401
