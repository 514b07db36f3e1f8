"""Sitemaps: an index at /sitemap.xml with one section per kind of page, and Google News's
(the last two days' stories) beside them."""

from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.sitemaps import Sitemap
from django.core.paginator import EmptyPage, PageNotAnInteger
from django.db.models import Exists, Max, OuterRef
from django.urls import reverse
from django.utils import timezone

from articles.models import Article, ArticleTag, Category, Source, Stock, TaggedArticle
from articles.views.base import positive_number


class SiteSitemap(Sitemap):
    """Addresses on NEWSROOM_SITE_URL when it is set, else on the request's host."""

    def get_protocol(self, protocol=None):
        base = settings.NEWSROOM_SITE_URL
        return urlsplit(base).scheme if base else super().get_protocol(protocol)

    def get_domain(self, site=None):
        base = settings.NEWSROOM_SITE_URL
        return urlsplit(base).netloc if base else super().get_domain(site)


class _Page:
    def __init__(self, object_list):
        self.object_list = object_list


def _page_number(number) -> int:
    """?p= as the reader typed it: Django's sitemap view answers 404 for these two errors."""
    number = positive_number(str(number))
    if number is None:
        raise PageNotAnInteger("页码不是整数")
    return number


class IdRangePaginator:
    """Pages of stories by id range: page n holds published ids in ((n-1)*size, n*size].

    Offset pages of a million rows make the last pages scan the whole table; a primary-key
    range costs the same on every page. Pages are not all full (ids of unpublished stories
    leave holes), which sitemaps allow.
    """

    def __init__(self, queryset, size: int):
        self.queryset, self.size = queryset, size

    @property
    def num_pages(self) -> int:
        top = Article.objects.aggregate(top=Max("id"))["top"] or 0
        return max(1, -(-top // self.size))

    def page(self, number) -> _Page:
        number = _page_number(number)
        if number < 1 or number > self.num_pages:
            raise EmptyPage("没有这一页")
        low, high = (number - 1) * self.size, number * self.size
        return _Page(self.queryset.filter(pk__gt=low, pk__lte=high).order_by("pk"))


class ArticleSitemap(SiteSitemap):
    limit = 2000  # a page renders in about a tenth of a second

    def items(self):
        return Article.objects.published().only("id", "slug", "updated_at")

    @property
    def paginator(self):
        return IdRangePaginator(self.items(), self.limit)

    def lastmod(self, item):
        return item.updated_at

    def get_latest_lastmod(self):
        return None  # the exact figure needs a scan of every story; each URL carries its own


class OnePagePaginator:
    """The one page of a section whose items are capped at a page: no count query."""

    num_pages = 1

    def __init__(self, object_list):
        self.object_list = object_list

    def page(self, number) -> _Page:
        if _page_number(number) != 1:
            raise EmptyPage("没有这一页")
        return _Page(self.object_list)


class NewsSitemap(SiteSitemap):
    """Google News: the stories published in the last two days, newest first, as many as it
    reads. templates/sitemap_news.xml adds each story's news:news (the publication, its
    language, the story's date and title); the URL sitemap-news.xml names that template."""

    limit = 1000
    hours = 48

    def items(self):
        since = timezone.now() - timedelta(hours=self.hours)
        return (Article.objects.published().filter(published_at__gte=since)
                .order_by("-published_at", "-id").only("id", "slug", "title", "published_at")[: self.limit])

    @property
    def paginator(self):
        return OnePagePaginator(self.items())


class _ListSitemap(SiteSitemap):
    def location(self, item):
        return item.get_absolute_url()

    def get_latest_lastmod(self):
        return None


class SourceSitemap(_ListSitemap):
    def items(self):
        return Source.objects.order_by("pk")


class CategorySitemap(_ListSitemap):
    def items(self):
        return Category.objects.order_by("pk")


class TagSitemap(_ListSitemap):
    limit = 5000

    def items(self):
        used = TaggedArticle.objects.filter(tag_id=OuterRef("pk"))
        return ArticleTag.objects.filter(Exists(used)).order_by("pk")


class StockSitemap(_ListSitemap):
    limit = 5000

    def items(self):
        used = Article.stocks.through.objects.filter(stock_id=OuterRef("pk"))
        return Stock.objects.filter(Exists(used)).order_by("pk")


class PagesSitemap(SiteSitemap):
    def items(self):
        return ["articles:home", "articles:archive"]

    def location(self, item):
        return reverse(item)


SITEMAPS = {
    "pages": PagesSitemap,
    "articles": ArticleSitemap,
    "news": NewsSitemap,
    "sources": SourceSitemap,
    "categories": CategorySitemap,
    "tags": TagSitemap,
    "stocks": StockSitemap,
}
