"""The story page (also rendered by the admin's preview, for stories not yet published)."""

from django.http import Http404
from django.shortcuts import redirect
from django.views.generic import DetailView

from articles import reads
from articles.models import Article
from articles.rendering import first_image
from articles.views.base import PageMeta, PublicPageMixin

RELATED_COUNT = 6


def article_meta(article: Article) -> PageMeta:
    return PageMeta(
        title=article.title,
        description=article.summary or article.title,
        path=article.get_absolute_url() if article.pk else "",
        type="article",
        image=first_image(article.body),
    )


class ArticleDetailView(PublicPageMixin, DetailView):
    """A published story: six queries in two round trips (the story, its tags and stocks, its
    corrections, its other publishers' stories and the section links together; then its
    neighbours and related stories), whatever the size of the archive."""

    context_object_name = "article"
    model = Article

    labels: tuple | None = None  # (tags, stocks), read with the story
    corrections: list | None = None  # its correction notes, read with it
    same_story: list | None = None  # the same story from other publishers, read with it

    def get_object(self, queryset=None):
        pk = self.kwargs["pk"]
        article, self.labels, self.corrections, self.same_story = self.fetch_with_sections(
            reads.story_read(pk), reads.labels_read(pk), reads.corrections_read(pk),
            reads.same_story_read(pk))
        if article is None:
            raise Http404("稿件不存在")
        return article

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
        tags, stocks = self.labels if self.labels is not None else reads.labels(article)
        around = reads.around(article, stocks=stocks, tags=tags, related_count=RELATED_COUNT)
        corrections = self.corrections if self.corrections is not None else \
            reads.fetch_one(reads.corrections_read(article.pk))
        same_story = self.same_story if self.same_story is not None else \
            reads.fetch_one(reads.same_story_read(article.pk))
        # A related story that is the same story told elsewhere is listed once, as that.
        told = {story.pk for story in same_story}
        context.update(
            same_story=same_story,
            corrections=corrections,
            tags=tags,
            stocks=stocks,
            related=[story for story in around.related if story.pk not in told],
            previous_article=around.previous,
            next_article=around.next,
        )
        return context
