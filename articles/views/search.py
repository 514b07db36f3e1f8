"""Search: /search/?q=海尔. Parsing, ranking and paging live in articles.search."""

from django.views.generic import TemplateView

from articles.search.companies import companies
from articles.search.pages import MAX_PAGES, search_page
from articles.search.query import parse_query
from articles.views.base import PageMeta, PublicPageMixin, page_number

EXAMPLES = ["海尔", "京东", "美的", "华为", "新能源"]


class SearchView(PublicPageMixin, TemplateView):
    template_name = "articles/search.html"

    def get_meta(self) -> PageMeta:
        text = self.query.text
        return PageMeta(
            title=f"搜索：{text}" if text else "搜索",
            description="搜索财经新闻的标题与正文。",
            path=self.request.path,
            noindex=True,  # endless and thin: robots follow sitemaps, not searches
        )

    def get(self, request, *args, **kwargs):
        self.query = parse_query(request.GET.get("q", ""))  # full-width input included
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        results = None
        exact, partial = [], []
        if self.query:
            number = page_number(self.request, max_pages=MAX_PAGES)
            exact, partial = companies(self.query)
            results = search_page(self.query, page=number, stocks=[stock.pk for stock in exact])
        return super().get_context_data(
            query=self.query, results=results, companies=exact, stocks=exact + partial,
            examples=EXAMPLES, max_pages=MAX_PAGES, **kwargs
        )
