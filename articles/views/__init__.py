"""The public site's pages (URLs in articles/urls.py, feeds and sitemaps beside them)."""

from articles.views.base import readers_page
from articles.views.detail import ArticleDetailView
from articles.views.home import HomeView
from articles.views.hot import HotView
from articles.views.legacy import (
    favicon,
    legacy_article,
    legacy_feed,
    legacy_home_page,
    legacy_publisher,
    robots_txt,
)
from articles.views.lists import (
    ArchiveIndexView,
    ArchiveView,
    CategoryView,
    SourceView,
    StockIndexView,
    StockView,
    TagView,
)
from articles.views.live import LiveView
from articles.views.search import SearchView
from articles.views.share import story_qr

__all__ = [
    "ArchiveIndexView",
    "ArchiveView",
    "ArticleDetailView",
    "CategoryView",
    "HomeView",
    "HotView",
    "LiveView",
    "SearchView",
    "SourceView",
    "StockIndexView",
    "StockView",
    "TagView",
    "favicon",
    "legacy_article",
    "legacy_feed",
    "legacy_home_page",
    "legacy_publisher",
    "readers_page",
    "robots_txt",
    "story_qr",
]
