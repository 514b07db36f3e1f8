"""The editors' desk: the Django admin, in Chinese, arranged for a news desk's day.

Modules register their ModelAdmins on import: articles (the desk itself), sources,
taxonomy (categories, stocks, tags), imports (the read-only import ledger) and hot (the hot
lists' pins and hides).
"""

from django.conf import settings
from django.contrib import admin
from taggit.models import Tag

from articles.admin import articles, hot, imports, sources, taxonomy  # noqa: F401 (registers)

admin.site.site_header = f"{settings.NEWSROOM_SITE_NAME} · 编辑部"
admin.site.site_title = f"{settings.NEWSROOM_SITE_NAME}编辑部"
admin.site.index_title = "编辑工作台"
admin.site.site_url = "/"
admin.site.empty_value_display = "—"  # the desk's own columns use the em dash too
# The model list in a left column took 300 px from every page: at 1280 px the story list's
# last column (股票) fell off the screen. The start page and the breadcrumbs lead everywhere.
admin.site.enable_nav_sidebar = False

# taggit's own Tag model is unused (stories are tagged with ArticleTag): one 标签 entry, not two.
if admin.site.is_registered(Tag):
    admin.site.unregister(Tag)
