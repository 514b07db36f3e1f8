"""Sitemaps: an index at /sitemap.xml with one section per kind of page."""

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.sitemaps import Sitemap
from django.core.paginator import EmptyPage, PageNotAnInteger
from django.db.models import Exists, Max, OuterRef
from django.urls import reverse

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


class _IdRangePage:
    def __init__(self, object_list):
        self.object_list = object_list


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

    def page(self, number) -> _IdRangePage:
        # ?p= as the reader typed it: Django's sitemap view answers 404 for these two errors.
        number = positive_number(str(number))
        if number is None:
            raise PageNotAnInteger("页码不是整数")
        if number < 1 or number > self.num_pages:
            raise EmptyPage("没有这一页")
        low, high = (number - 1) * self.size, number * self.size
        return _IdRangePage(self.queryset.filter(pk__gt=low, pk__lte=high).order_by("pk"))


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
    "sources": SourceSitemap,
    "categories": CategorySitemap,
    "tags": TagSitemap,
    "stocks": StockSitemap,
}
