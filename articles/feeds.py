"""Atom feeds: the whole site at /feed/, and one per source, category, tag and stock."""

import re

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.utils.feedgenerator import Atom1Feed

from articles.models import NOT_SHOWN, Article, ArticleTag, Category, Source
from articles.search.tokens import plain_text
from articles.views.lists import stock_for_symbol

# Characters XML 1.0 forbids; Django's feed writer refuses them with an exception (a 500).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")


def xml_safe(text) -> str:
    return _NOT_XML.sub("", str(text or ""))


def standfirst(article: Article) -> str:
    """Return the summary to print above the body, or "" when it is the body's own opening.

    Imported summaries are mostly the first paragraph cut short ("…"): printed above the
    full text, feed readers show the same sentences twice.
    """
    lead = (article.summary or "").rstrip("…. ").strip()
    if not lead or lead in plain_text(article.body):
        return ""
    return article.summary


class LatestFeed(Feed):
    feed_type = Atom1Feed
    item_template = "articles/feed_item.html"
    limit = 30

    def title(self, obj=None):
        return xml_safe(settings.NEWSROOM_SITE_NAME)

    def subtitle(self, obj=None):
        return "最新财经新闻"

    description = subtitle

    def link(self, obj=None):
        return "/"

    def articles(self, obj):
        return Article.objects.published().one_per_story()

    def items(self, obj=None):
        return (
            self.articles(obj)
            .with_publishers()
            .select_related("source", "category")
            .prefetch_related("tags")
            .defer(*NOT_SHOWN)
            .order_by("-published_at", "-id")[: self.limit]
        )

    def item_title(self, item):
        return xml_safe(item.title)

    def item_description(self, item):
        context = {"article": item, "standfirst": standfirst(item)}
        return xml_safe(render_to_string(self.item_template, context))

    def item_link(self, item):
        return item.get_absolute_url()

    def item_pubdate(self, item):
        return item.published_at

    def item_updateddate(self, item):
        return item.updated_at

    def item_author_name(self, item):
        return xml_safe(item.source.name) if item.source else None

    def item_categories(self, item):
        names = [item.category.name] if item.category else []
        return [xml_safe(name) for name in names + [tag.name for tag in item.tags.all()]]


class SubjectFeed(LatestFeed):
    """The newest stories of one subject (`relation` is the Article field pointing at it)."""

    relation = ""

    def title(self, obj):
        return xml_safe(f"{obj} - {settings.NEWSROOM_SITE_NAME}")

    def subtitle(self, obj):
        return xml_safe(f"{obj}的最新财经新闻")

    description = subtitle

    def link(self, obj):
        return obj.get_absolute_url()

    def articles(self, obj):
        return Article.objects.published().one_per_story().filter(**{self.relation: obj})


class SourceFeed(SubjectFeed):
    relation = "source"

    def articles(self, obj):  # the publisher's own feed carries all its stories
        return Article.objects.published().filter(source=obj)

    def get_object(self, request, slug):
        return get_object_or_404(Source, slug=slug)


class CategoryFeed(SubjectFeed):
    relation = "category"

    def get_object(self, request, slug):
        return get_object_or_404(Category, slug=slug)


class TagFeed(SubjectFeed):
    relation = "tags"

    def get_object(self, request, slug):
        return get_object_or_404(ArticleTag, slug=slug)


class StockFeed(SubjectFeed):
    relation = "stocks"

    def get_object(self, request, symbol):
        return stock_for_symbol(symbol)
