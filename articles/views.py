"""Public pages. (Minimal first cut; the readers' site is built out in issue 5.)"""

from django.shortcuts import get_object_or_404
from django.views.generic import DetailView, ListView

from articles.models import Article, ArticleTag, Category, Source, Stock


class HomeView(ListView):
    template_name = "articles/article_list.html"
    paginate_by = 20

    def get_queryset(self):
        return Article.objects.published().for_listing()


class ArticleDetailView(DetailView):
    def get_queryset(self):
        return Article.objects.published().select_related("source", "category")


class _FilteredList(ListView):
    template_name = "articles/article_list.html"
    paginate_by = 20
    model_class = None
    lookup = "slug"
    relation = ""

    def get_object(self):
        return get_object_or_404(self.model_class, **{self.lookup: self.kwargs[self.lookup]})

    def get_queryset(self):
        self.object = self.get_object()
        return Article.objects.published().for_listing().filter(**{self.relation: self.object})


class SourceView(_FilteredList):
    model_class, relation = Source, "source"


class CategoryView(_FilteredList):
    model_class, relation = Category, "category"


class TagView(_FilteredList):
    model_class, relation = ArticleTag, "tags"


class StockView(_FilteredList):
    relation = "stocks"

    def get_object(self):
        symbol = self.kwargs["symbol"].upper()
        return get_object_or_404(Stock, market=symbol[:2], code=symbol[2:])
