"""Search: /search/?q=海尔. Parsing, ranking and paging live in articles.search."""

import re

from django.db.models import Q
from django.views.generic import TemplateView

from articles.models import Stock
from articles.search.pages import MAX_PAGES, search_page
from articles.search.query import parse_query
from articles.views.base import PageMeta, PublicPageMixin, page_number
from articles.views.lists import SYMBOL

EXAMPLES = ["海尔", "京东", "美的", "华为", "新能源"]
# A bare A-share or Hong Kong code: 002024, 600690, 00700.
_CODE = re.compile(r"^[0-9]{5,6}$")
MAX_STOCKS = 5


def matching_stocks(terms) -> list[Stock]:
    """Return the stocks whose code or symbol (002024, SZ002024) is one of the terms.

    Stories name companies, rarely their codes: a reader searching a code is looking
    for the stock's page. No query unless a term looks like a code.
    """
    wanted = Q()
    for term in terms:
        term = term.upper()
        if match := SYMBOL.match(term):
            wanted |= Q(market=match[1], code=match[2])
        elif _CODE.match(term):
            wanted |= Q(code=term)
    if not wanted:
        return []
    return list(Stock.objects.filter(wanted).order_by("market", "code")[:MAX_STOCKS])


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
        stocks = []
        if self.query:
            number = page_number(self.request, max_pages=MAX_PAGES)
            results = search_page(self.query, page=number)
            if number == 1:
                stocks = matching_stocks(self.query.terms)
        return super().get_context_data(
            query=self.query, results=results, stocks=stocks, examples=EXAMPLES,
            max_pages=MAX_PAGES, **kwargs
        )
