from django.contrib.sitemaps import views as sitemap_views
from django.urls import path, register_converter

from articles import feeds, views
from articles.cache import LIST, STORY, cache_public_page
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


def page(view, *, cached: bool = True, kind: str = LIST):
    """A readers' address: GET and HEAD only (views.readers_page), its pages stored by the page
    cache as pages of `kind` unless `cached` is False. Every pattern below is one."""
    return views.readers_page(cache_public_page(view, kind) if cached else view)


urlpatterns = [
    path("", page(views.HomeView.as_view()), name="home"),
    path("articles/<id:pk>/<text:slug>/", page(views.ArticleDetailView.as_view(), kind=STORY),
         name="detail"),
    path("articles/<id:pk>/qr.svg", page(views.story_qr, kind=STORY), name="story_qr"),
    path("sources/<slug:slug>/", page(views.SourceView.as_view()), name="source"),
    path("categories/<slug:slug>/", page(views.CategoryView.as_view()), name="category"),
    path("tags/<slug:slug>/", page(views.TagView.as_view()), name="tag"),
    path("stocks/", page(views.StockIndexView.as_view()), name="stocks"),
    path("stocks/<text:symbol>/", page(views.StockView.as_view()), name="stock"),
    path("search/", page(views.SearchView.as_view()), name="search"),
    path("live/", page(views.LiveView.as_view()), name="live"),
    path("hot/", page(views.HotView.as_view()), name="hot"),
    path("archive/", page(views.ArchiveIndexView.as_view()), name="archive"),
    path("archive/<yyyy:year>/", page(views.ArchiveView.as_view()), name="archive_year"),
    path("archive/<yyyy:year>/<mm:month>/", page(views.ArchiveView.as_view()),
         name="archive_month"),
    path("archive/<yyyy:year>/<mm:month>/<mm:day>/", page(views.ArchiveView.as_view()),
         name="archive_day"),
    # Feeds
    path("feed/", page(feeds.LatestFeed()), name="feed"),
    path("sources/<slug:slug>/feed/", page(feeds.SourceFeed()), name="source_feed"),
    path("categories/<slug:slug>/feed/", page(feeds.CategoryFeed()), name="category_feed"),
    path("tags/<slug:slug>/feed/", page(feeds.TagFeed()), name="tag_feed"),
    path("stocks/<text:symbol>/feed/", page(feeds.StockFeed()), name="stock_feed"),
    # Discovery
    path("sitemap.xml", page(sitemap_views.index),
         {"sitemaps": SITEMAPS, "sitemap_url_name": "articles:sitemap_section"},
         name="sitemap"),
    # Before the other sections: Google News's has a template of its own.
    path("sitemap-news.xml", page(sitemap_views.sitemap),
         {"sitemaps": SITEMAPS, "section": "news", "template_name": "sitemap_news.xml"},
         name="sitemap_news"),
    path("sitemap-<text:section>.xml", page(sitemap_views.sitemap), {"sitemaps": SITEMAPS},
         name="sitemap_section"),
    path("robots.txt", page(views.robots_txt), name="robots"),
    path("favicon.ico", page(views.favicon, cached=False), name="favicon"),
    # The Jekyll site's addresses, moved for good (articles/views/legacy.py): its feed, its
    # publishers' pages, its paged home and its stories (/<category>/<yyyy>/<mm>/<dd>/<id>.html).
    path("feed.xml", page(views.legacy_feed, cached=False)),
    path("category/<text:key>.html", page(views.legacy_publisher, cached=False)),
    path("page/<id:number>/", page(views.legacy_home_page, cached=False)),
    path("<text:category>/<yyyy:year>/<mm:month>/<mm:day>/<text:ident>.html",
         page(views.legacy_article, cached=False), name="legacy"),
]
