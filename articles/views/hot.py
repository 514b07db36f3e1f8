"""热读 (/hot/): the stories readers read most in the last 24 hours and the last 7 days."""

from django.views.generic import TemplateView

from articles.reading.boards import hot_lists
from articles.views.base import PageMeta, PublicPageMixin

HOT_COUNT = 20  # stories per list


class HotView(PublicPageMixin, TemplateView):
    """Three queries: the sections, each list. flush_reads ranks the lists every minute; the page
    cache may serve this page up to PAGE_CACHE_SECONDS older (editors' pins and hides retire it
    at once)."""

    template_name = "articles/hot.html"

    def get_meta(self) -> PageMeta:
        return PageMeta(title="热读排行", path=self.request.path,
                        description="读者读得最多的财经新闻：24小时热读与本周热读。")

    def get_context_data(self, **kwargs):
        return super().get_context_data(hot_lists=hot_lists(count=HOT_COUNT), **kwargs)
