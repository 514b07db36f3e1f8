"""The 7x24 live page (/live/): the latest stories as a time-stamped stream, newest on top.

The page is a plain list that works without JavaScript; static/js/live.js then asks the read
API (/api/v1/articles/) every few seconds for what is newer and adds it without reloading."""

from django.db.models import Prefetch
from django.views.generic import TemplateView

from articles.models import NOT_SHOWN, Article, Stock
from articles.views.base import PageMeta, PublicPageMixin

LIVE_COUNT = 60  # stories on the page when it is opened


class LiveView(PublicPageMixin, TemplateView):
    """Three queries: the sections, the stories with their sources, their stocks."""

    template_name = "articles/live.html"

    def get_meta(self) -> PageMeta:
        return PageMeta(title="7x24 快讯", description="7x24 小时滚动财经快讯：最新发布的新闻，每隔几秒自动更新。",
                        path=self.request.path)

    def get_context_data(self, **kwargs):
        important = self.request.GET.get("important") == "1"
        stories = Article.objects.published().select_related("source").defer(*NOT_SHOWN, "body").prefetch_related(
            Prefetch("stocks", queryset=Stock.objects.only("market", "code", "name")))
        if important:
            stories = stories.filter(important=True)
        return super().get_context_data(
            stories=list(stories.order_by("-published_at", "-id")[:LIVE_COUNT]), important=important, **kwargs)
