"""What every public page shares: its metadata, the navigation, count-free pagination."""

from dataclasses import dataclass
from functools import wraps

from django.http import Http404, HttpResponse, HttpResponseNotAllowed
from django.views.decorators.csrf import csrf_exempt
from django.views.generic import ListView

from articles import reads, sql

# Lists page by offset; deeper than this, readers go by date (archives) and robots by sitemap.
MAX_LIST_PAGES = 500


# What a reader's page answers; OPTIONS is told so, anything else is refused.
READER_METHODS = ("GET", "HEAD")


def readers_page(view):
    """`view` as a public address: GET and HEAD reach it, OPTIONS gets the Allow header and no
    body, any other method a 405 (with Allow) before the view or its cache wrapper runs.

    Readers' pages take no forms, so CSRF has nothing to protect on them: exempt, so that a
    POST gets the 405 that says why rather than CSRF's 403.
    """
    allowed = [*READER_METHODS, "OPTIONS"]

    @csrf_exempt
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.method in READER_METHODS:
            return view(request, *args, **kwargs)
        if request.method == "OPTIONS":
            response = HttpResponse(headers={"Allow": ", ".join(allowed)})
            response["Content-Length"] = "0"
            return response
        return HttpResponseNotAllowed(allowed)

    return wrapper


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

    nav_categories: list | None = None

    def get_meta(self) -> PageMeta:
        return PageMeta(path=self.request.path)

    def fetch_with_sections(self, *wanted: sql.Read) -> list:
        """Return the results of the reads `wanted`, read with the section links in one
        round trip (one fewer for the page)."""
        *results, self.nav_categories = sql.fetch(*wanted, reads.sections_read())
        return results

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if self.nav_categories is None:
            self.nav_categories = reads.sections()
        context.setdefault("nav_categories", self.nav_categories)
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


def positive_number(raw: str) -> int | None:
    """Return `raw` as a number of at most 18 ASCII digits, else None. Longer ones would not
    fit a 64-bit column, and int() refuses more than 4,300 digits with a ValueError."""
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 18):
        return None
    return int(raw)


def page_number(request, *, max_pages: int) -> int:
    """Return the ?page= number, or raise Http404 for anything but 1..max_pages."""
    number = positive_number(request.GET.get("page", "1"))
    if number is None or not 1 <= number <= max_pages:
        raise Http404("没有这一页")
    return number


def window_page(fetch, *, number: int, per_page: int) -> WindowPage:
    """Page `number` of the rows `fetch(limit=, offset=)` returns: one row more than a page
    says whether there is a next one."""
    rows = fetch(limit=per_page + 1, offset=(number - 1) * per_page)
    if number > 1 and not rows:
        raise Http404("没有这一页")
    return WindowPage(rows[:per_page], number, per_page, len(rows) > per_page)


@dataclass(frozen=True)
class Listing:
    """Which published stories a list page shows: an SQL condition on `a` (articles/reads.py)."""

    where: str = ""
    params: tuple = ()
    one_per_story: bool = True  # a same-story cluster shown once (not on a publisher's own list)

    def fetch(self, *, limit: int, offset: int) -> list:
        return reads.listing(self.where, self.params, limit=limit, offset=offset,
                             one_per_story=self.one_per_story)


class ArticleListView(PublicPageMixin, ListView):
    """A list of stories, newest first, paged without counting them (one query per page).

    get_queryset() returns a Listing rather than a QuerySet: the page's rows are read by one
    hand-written statement (articles/reads.py).
    """

    template_name = "articles/article_list.html"
    context_object_name = "articles"
    paginate_by = 20

    def paginate_queryset(self, listing, page_size):
        number = page_number(self.request, max_pages=MAX_LIST_PAGES)
        page = window_page(listing.fetch, number=number, per_page=page_size)
        return None, page, page.object_list, page.has_other_pages()

    def page_path(self) -> str:
        """The canonical path of this page: ?page=N kept, everything else dropped."""
        number = self.request.GET.get("page", "1")
        return self.request.path + (f"?page={number}" if number != "1" else "")
