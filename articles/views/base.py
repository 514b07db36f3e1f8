"""What every public page shares: its metadata, the navigation, count-free pagination."""

from dataclasses import dataclass

from django.http import Http404
from django.views.generic import ListView

from articles.models import Category

# Lists page by offset; deeper than this, readers go by date (archives) and robots by sitemap.
MAX_LIST_PAGES = 500


@dataclass
class PageMeta:
    """Title, description and canonical path of a page (made absolute in the template)."""

    title: str = ""
    description: str = ""
    path: str = ""
    type: str = "website"
    image: str = ""
    noindex: bool = False


class PublicPageMixin:
    """Adds `meta` (from get_meta()) and `nav_categories` to the context."""

    def get_meta(self) -> PageMeta:
        return PageMeta(path=self.request.path)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.setdefault("nav_categories", list(Category.objects.all()))
        context["meta"] = self.get_meta()
        return context


@dataclass
class WindowPage:
    """A page of a list whose length is never counted: one row more says "there is more"."""

    object_list: list
    number: int
    per_page: int
    has_next: bool

    def has_previous(self) -> bool:
        return self.number > 1

    def has_other_pages(self) -> bool:
        return self.has_next or self.has_previous()

    def next_page_number(self) -> int:
        return self.number + 1

    def previous_page_number(self) -> int:
        return self.number - 1

    def start_index(self) -> int:
        return (self.number - 1) * self.per_page + 1


def page_number(request, *, max_pages: int) -> int:
    """Return the ?page= number, or raise Http404 for anything but 1..max_pages."""
    raw = request.GET.get("page", "1")
    if not raw.isascii() or not raw.isdigit() or not 1 <= int(raw) <= max_pages:
        raise Http404("没有这一页")
    return int(raw)


def window_page(queryset, *, number: int, per_page: int) -> WindowPage:
    offset = (number - 1) * per_page
    rows = list(queryset[offset : offset + per_page + 1])
    if number > 1 and not rows:
        raise Http404("没有这一页")
    return WindowPage(rows[:per_page], number, per_page, len(rows) > per_page)


class ArticleListView(PublicPageMixin, ListView):
    """A list of stories, newest first, paged without counting them (one query per page)."""

    template_name = "articles/article_list.html"
    context_object_name = "articles"
    paginate_by = 20

    def paginate_queryset(self, queryset, page_size):
        number = page_number(self.request, max_pages=MAX_LIST_PAGES)
        page = window_page(queryset, number=number, per_page=page_size)
        return None, page, page.object_list, page.has_other_pages()

    def page_path(self) -> str:
        """The canonical path of this page: ?page=N kept, everything else dropped."""
        number = self.request.GET.get("page", "1")
        return self.request.path + (f"?page={number}" if number != "1" else "")
