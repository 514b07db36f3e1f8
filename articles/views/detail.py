"""The story page (also rendered by the admin's preview, for stories not yet published)."""

from django.shortcuts import redirect
from django.views.generic import DetailView

from articles.models import NOT_SHOWN, Article
from articles.views.base import PageMeta, PublicPageMixin

RELATED_COUNT = 6


def article_meta(article: Article) -> PageMeta:
    from articles.templatetags.newsroom import first_image

    return PageMeta(
        title=article.title,
        description=article.summary or article.title,
        path=article.get_absolute_url() if article.pk else "",
        type="article",
        image=first_image(article.body),
    )


class ArticleDetailView(PublicPageMixin, DetailView):
    context_object_name = "article"

    def get_queryset(self):
        return (
            Article.objects.published()
            .select_related("source", "category")
            .prefetch_related("tags", "stocks")
            .defer(*NOT_SHOWN)
        )

    def get(self, request, *args, **kwargs):
        self.object = self.get_object()
        if kwargs.get("slug") != (self.object.slug or "a"):
            return redirect(self.object, permanent=True)
        return self.render_to_response(self.get_context_data(object=self.object))

    def get_meta(self) -> PageMeta:
        return article_meta(self.object)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        article = self.object
        others = Article.objects.published().for_listing()
        context.update(
            related=related_stories(article, others),
            previous_article=others.before(article).first(),
            next_article=others.after(article).first(),
        )
        return context


def related_stories(article: Article, others) -> list[Article]:
    """Up to RELATED_COUNT stories: same stocks first, then same tags, then same section.

    One query per kind, each only while the list is short: at most three.
    """
    others = others.exclude(pk=article.pk)
    found: list[Article] = []

    def add(stories):
        for story in stories:
            if story not in found and len(found) < RELATED_COUNT:
                found.append(story)

    stock_ids = [stock.pk for stock in article.stocks.all()]
    tag_ids = [tag.pk for tag in article.tags.all()]
    if stock_ids:
        add(others.with_stocks(stock_ids)[:RELATED_COUNT])
    if tag_ids and len(found) < RELATED_COUNT:
        add(others.with_tags(tag_ids).exclude(pk__in=[s.pk for s in found])[:RELATED_COUNT])
    if article.category_id and len(found) < RELATED_COUNT:
        add(others.filter(category_id=article.category_id)
            .exclude(pk__in=[s.pk for s in found])[: RELATED_COUNT - len(found)])
    return found
