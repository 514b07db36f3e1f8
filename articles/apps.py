from django.apps import AppConfig


class ArticlesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "articles"
    verbose_name = "新闻稿件"

    def ready(self) -> None:
        from articles import signals  # noqa: F401  (registers receivers)
        from articles import cache  # noqa: F401  (page cache invalidation receivers)
