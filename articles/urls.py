from django.contrib.sitemaps import views as sitemap_views
from django.urls import path, register_converter
from django.views.generic import RedirectView

from articles import feeds, views
from articles.cache import cache_public_page as cached
from articles.sitemaps import SITEMAPS

app_name = "articles"


class YearConverter:
    regex = r"[0-9]{4}"

    def to_python(self, value):
        return int(value)

    def to_url(self, value):
        return f"{int(value):04d}"


class TwoDigitConverter:
    regex = r"[0-9]{1,2}"

    def to_python(self, value):
        return int(value)

    def to_url(self, value):
        return f"{int(value):02d}"


class IdConverter:
    """A primary key. Bounded so that it fits a 64-bit integer column: a longer number would
    overflow the database's parameter (a 500 on SQLite) instead of finding nothing."""

    regex = r"[0-9]{1,18}"

    def to_python(self, value):
        return int(value)

    def to_url(self, value):
        return str(int(value))


class TextConverter:
    """A path part taken as text, such as a stock symbol or an old story's file name. No
    control characters (PostgreSQL refuses NUL in a text parameter) and a bounded length:
    anything else is no address of this site."""

    regex = r"[^/\x00-\x1f\x7f]{1,300}"

    def to_python(self, value):
        return value

    def to_url(self, value):
        return value


register_converter(YearConverter, "yyyy")
register_converter(TwoDigitConverter, "mm")
register_converter(IdConverter, "id")
register_converter(TextConverter, "text")

urlpatterns = [
    path("", cached(views.HomeView.as_view()), name="home"),
    path("articles/<id:pk>/<text:slug>/", cached(views.ArticleDetailView.as_view()),
         name="detail"),
    path("sources/<slug:slug>/", cached(views.SourceView.as_view()), name="source"),
    path("categories/<slug:slug>/", cached(views.CategoryView.as_view()), name="category"),
    path("tags/<slug:slug>/", cached(views.TagView.as_view()), name="tag"),
    path("stocks/<text:symbol>/", cached(views.StockView.as_view()), name="stock"),
    path("search/", cached(views.SearchView.as_view()), name="search"),
    path("archive/", cached(views.ArchiveIndexView.as_view()), name="archive"),
    path("archive/<yyyy:year>/", cached(views.ArchiveView.as_view()), name="archive_year"),
    path("archive/<yyyy:year>/<mm:month>/", cached(views.ArchiveView.as_view()),
         name="archive_month"),
    path("archive/<yyyy:year>/<mm:month>/<mm:day>/", cached(views.ArchiveView.as_view()),
         name="archive_day"),
    # Feeds
    path("feed/", cached(feeds.LatestFeed()), name="feed"),
    path("sources/<slug:slug>/feed/", cached(feeds.SourceFeed()), name="source_feed"),
    path("categories/<slug:slug>/feed/", cached(feeds.CategoryFeed()), name="category_feed"),
    path("tags/<slug:slug>/feed/", cached(feeds.TagFeed()), name="tag_feed"),
    path("stocks/<text:symbol>/feed/", cached(feeds.StockFeed()), name="stock_feed"),
    # The Jekyll site's feed (jekyll-feed) lived at /feed.xml.
    path("feed.xml", RedirectView.as_view(pattern_name="articles:feed", permanent=True)),
    # Discovery
    path("sitemap.xml", cached(sitemap_views.index),
         {"sitemaps": SITEMAPS, "sitemap_url_name": "articles:sitemap_section"},
         name="sitemap"),
    path("sitemap-<text:section>.xml", cached(sitemap_views.sitemap), {"sitemaps": SITEMAPS},
         name="sitemap_section"),
    path("robots.txt", cached(views.robots_txt), name="robots"),
    path("favicon.ico", views.favicon, name="favicon"),
    # The Jekyll site's story addresses: /<category>/<yyyy>/<mm>/<dd>/<id>.html
    path("<text:category>/<yyyy:year>/<mm:month>/<mm:day>/<text:ident>.html",
         views.legacy_article, name="legacy"),
]
