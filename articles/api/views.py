"""The read API's operations: published stories only, newest first, keyset-paged."""

from datetime import datetime, timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.db.models import Q
from django.http import Http404
from django.utils import timezone
from ninja import Query, Router, Schema
from ninja.errors import HttpError

from articles import reads
from articles.api import cursors
from articles.api.schemas import (
    ArticleDetail,
    ArticleOut,
    ArticlePage,
    ChangePage,
    Error,
    NamedPage,
    SourcePage,
    StockPage,
)
from articles.models import Article, ArticleChange, ArticleTag, Category, Source, Stock
from articles.search.filters import filter_matching
from articles.search.query import parse_query
from articles.views.lists import SYMBOL

router = Router()
# What every operation may answer besides its result (articles.api's handlers and edge.py).
ERRORS = {400: Error, 404: Error, 429: Error}

MAX_LIMIT = 100
LIST_FIELDS = frozenset(ArticleOut.model_fields)
DETAIL_FIELDS = frozenset(ArticleDetail.model_fields)
# The change feed serves what happened at least this long ago: a write still in an open
# transaction (an import batch) is then committed, and its changes never appear behind a
# cursor a client has already passed.
def settle() -> timedelta:
    return timedelta(seconds=settings.NEWSROOM_API_CHANGES_SETTLE)


class ArticleFilters(Schema):
    source: str | None = None
    category: str | None = None
    tag: str | None = None
    stock: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    q: str | None = None
    important: bool | None = None
    fields: str | None = None
    cursor: str | None = None
    limit: int = 20


def _limit(value: int) -> int:
    if not 1 <= value <= MAX_LIMIT:
        raise HttpError(400, f"limit must be between 1 and {MAX_LIMIT}")
    return value


def _cursor(value: str | None):
    if value is None:
        return None
    try:
        return cursors.decode(value)
    except cursors.BadCursor as exc:
        raise HttpError(400, str(exc)) from exc


def _aware(moment: datetime, name: str) -> datetime:
    if timezone.is_naive(moment):
        raise HttpError(400, f"{name} needs a time zone (e.g. 2022-02-21T09:00:00+08:00)")
    return moment


def _next_url(request, **params) -> str:
    query = request.GET.copy()
    for name, value in params.items():
        query[name] = value
    return request.build_absolute_uri(request.path + "?" + urlencode(sorted(query.items())))


def _fields(raw: str | None, allowed: frozenset) -> frozenset:
    if not raw:
        return allowed
    wanted = frozenset(name.strip() for name in raw.split(",") if name.strip())
    unknown = sorted(wanted - allowed)
    if unknown:
        raise HttpError(400, f"unknown fields: {', '.join(unknown)}; fields are {', '.join(sorted(allowed))}")
    return wanted | {"id"}


def _one(model, **lookup):
    found = model.objects.filter(**lookup).first()
    if found is None:
        name = next(iter(lookup.values()))
        raise HttpError(400, f"no {model._meta.model_name} {name!r}")
    return found


# Each filter of the list, as the list pages' SQL condition on published stories `a`
# (articles.reads) and, for searches, as the QuerySet lookup that means the same.
FILTERS = {
    "source": (reads.BY_SOURCE, "source_id"),
    "category": (reads.BY_CATEGORY, "category_id"),
    "tag": (reads.BY_TAG, "tags__id"),
    "stock": (reads.BY_STOCK, "stocks__id"),
    "since": (reads.SINCE, "published_at__gte"),
    "until": (reads.UNTIL, "published_at__lt"),
    "important": ("a.important = %s", "important"),
}


def _values(filters: ArticleFilters) -> dict[str, object]:
    """The value of each filter given (a subject's id, an aware moment); 400 for a bad one."""
    values = {}
    if filters.source:
        values["source"] = _one(Source, slug=filters.source).pk
    if filters.category:
        values["category"] = _one(Category, slug=filters.category).pk
    if filters.tag:
        values["tag"] = _one(ArticleTag, slug=filters.tag).pk
    if filters.stock:
        match = SYMBOL.match(filters.stock.upper())
        if not match:
            raise HttpError(400, f"stock must be a symbol such as SZ002024, not {filters.stock!r}")
        values["stock"] = _one(Stock, market=match[1], code=match[2]).pk
    if filters.since:
        values["since"] = _aware(filters.since, "since")
    if filters.until:
        values["until"] = _aware(filters.until, "until")
    if filters.important is not None:
        values["important"] = filters.important
    return values


def _page_conditions(filters: ArticleFilters, position, limit: int) -> tuple[list[str], list]:
    """SQL conditions on `a` (and their parameters) for the page of `limit` stories after the
    cursor `position`: the filters' own, or, for a search (`q`), the ids its index finds."""
    values = _values(filters)
    if filters.q:
        ids = _search(filters.q, values, position, limit)
        return ([f"a.id IN ({reads.marks(ids)})"] if ids else ["1 = 0"]), ids
    where = [FILTERS[name][0] for name in values]
    params = [reads.db_datetime(value) if isinstance(value, datetime) else value for value in values.values()]
    if position:
        moment = reads.db_datetime(position[0])
        where, params = [*where, reads.AFTER], [*params, moment, moment, position[1]]
    return where, params


def _search(q: str, values: dict, position, limit: int) -> list[int]:
    """The ids of the next `limit` published stories (newest first) matching the search `q`
    and the filters' `values`, through the search index's QuerySet."""
    query = parse_query(q)
    if query.problem:
        raise HttpError(400, query.problem)
    articles = filter_matching(Article.objects.published(), query).filter(
        **{FILTERS[name][1]: value for name, value in values.items()})
    if position:
        moment, pk = position
        articles = articles.filter(Q(published_at__lt=moment) | Q(published_at=moment, pk__lt=pk))
    return list(articles.order_by("-published_at", "-id").values_list("pk", flat=True)[:limit])


def serialise(request, article: Article, labels: tuple, fields: frozenset) -> dict:
    """The story as the API gives it, with only `fields`; `labels` are its (tags, stocks)."""
    tags, stocks = labels
    out = {
        "id": article.pk,
        "url": request.build_absolute_uri(article.get_absolute_url()),
        "title": article.title,
        "summary": article.summary,
        "published_at": article.published_at,
        "updated_at": article.updated_at,
        "source": {"name": article.source.name, "slug": article.source.slug} if article.source_id else None,
        "category": {"name": article.category.name, "slug": article.category.slug} if article.category_id else None,
        "tags": [{"name": tag.name, "slug": tag.slug} for tag in tags],
        "stocks": [{"symbol": stock.symbol, "name": stock.name} for stock in stocks],
        "important": article.important,
        "publishers": max(1, getattr(article, "publishers", 1) or 1),
    }
    return {name: value for name, value in out.items() if name in fields}


# Beside what a list item prints (articles.reads), what the API gives of each story.
API_COLUMNS = ("updated_at", "important")


@router.get("/articles/", response={200: ArticlePage, **ERRORS}, exclude_unset=True, tags=["articles"],
            summary="Published stories, newest first")
def list_articles(request, filters: Query[ArticleFilters]):
    """Keyset-paged: `next` is the URL of the following page, or null after the last."""
    limit = _limit(filters.limit)
    fields = _fields(filters.fields, LIST_FIELDS)
    where, params = _page_conditions(filters, _cursor(filters.cursor), limit + 1)
    page = reads.fetch_one(reads.listing_read(" AND ".join(where), params, limit=limit + 1,
                                              extra=API_COLUMNS, one_per_story=False))
    more = len(page) > limit
    page = page[:limit]
    labels = reads.fetch_one(reads.labels_of_read([article.pk for article in page])) if page else {}
    return {
        "results": [serialise(request, article, labels.get(article.pk, ([], [])), fields) for article in page],
        "next": _next_url(request, cursor=cursors.encode(page[-1].published_at, page[-1].pk)) if more else None,
    }


@router.get("/articles/{article_id}/", response={200: ArticleDetail, **ERRORS}, exclude_unset=True, tags=["articles"],
            summary="One published story, with its body and the same story from other publishers")
def get_article(request, article_id: int, fields: str | None = None):
    wanted = _fields(fields, DETAIL_FIELDS)
    if not 0 < article_id < 2**63:
        raise Http404
    article, labels, same_story = reads.fetch(
        reads.story_read(article_id), reads.labels_read(article_id), reads.same_story_read(article_id))
    if article is None:
        raise Http404
    article.publishers = len({article.source_id, *(other.source_id for other in same_story)})
    out = serialise(request, article, labels, wanted)
    if "body" in wanted:
        out["body"] = article.body
    if "original_url" in wanted:
        out["original_url"] = article.original_url
    if "same_story" in wanted:
        out["same_story"] = [
            {"id": other.pk, "title": other.title, "url": request.build_absolute_uri(other.get_absolute_url()),
             "source": other.source.name if other.source_id else None}
            for other in same_story]
    return out


@router.get("/changes/", response={200: ChangePage, **ERRORS}, tags=["changes"],
            summary="What changed since a cursor: created, updated, unpublished, deleted")
def list_changes(request, since: str | None = None, limit: int = 100):
    """Oldest first. Follow `next` (it is always given) to get what happened after the last
    item; a page with no results means nothing new yet: poll `next` again later. Changes
    appear once they are NEWSROOM_API_CHANGES_SETTLE seconds old (10 by default)."""
    limit = _limit(limit)
    changes = ArticleChange.objects.filter(at__lte=timezone.now() - settle())
    position = _cursor(since)
    if position:
        moment, pk = position
        changes = changes.filter(Q(at__gt=moment) | Q(at=moment, pk__gt=pk))
    page = list(changes.order_by("at", "id").values("id", "article_id", "action", "at")[:limit])
    last = (page[-1]["at"], page[-1]["id"]) if page else position
    return {
        "results": [{"id": row["article_id"], "action": row["action"], "at": row["at"]} for row in page],
        "next": _next_url(request, since=cursors.encode(*last)) if last else _next_url(request),
    }


def _named_page(request, rows, cursor, limit, build):
    limit = _limit(limit)
    if cursor:
        position = _cursor(cursor)
        rows = rows.filter(pk__gt=position[1])
    page = list(rows.order_by("pk")[: limit + 1])
    more = len(page) > limit
    page = page[:limit]
    return {"results": [build(row) for row in page],
            "next": _next_url(request, cursor=cursors.encode(timezone.now(), page[-1].pk)) if more else None}


@router.get("/sources/", response={200: SourcePage, **ERRORS}, tags=["subjects"], summary="Publishers")
def list_sources(request, cursor: str | None = None, limit: int = 100):
    return _named_page(request, Source.objects.all(), cursor, limit, lambda source: {
        "name": source.name, "slug": source.slug, "url": request.build_absolute_uri(source.get_absolute_url())})


@router.get("/categories/", response={200: NamedPage, **ERRORS}, tags=["subjects"], summary="Sections")
def list_categories(request, cursor: str | None = None, limit: int = 100):
    return _named_page(request, Category.objects.all(), cursor, limit,
                       lambda category: {"name": category.name, "slug": category.slug})


@router.get("/tags/", response={200: NamedPage, **ERRORS}, tags=["subjects"], summary="Tags")
def list_tags(request, cursor: str | None = None, limit: int = 100):
    return _named_page(request, ArticleTag.objects.all(), cursor, limit,
                       lambda tag: {"name": tag.name, "slug": tag.slug})


@router.get("/stocks/", response={200: StockPage, **ERRORS}, tags=["subjects"], summary="Listed companies")
def list_stocks(request, cursor: str | None = None, limit: int = 100):
    return _named_page(request, Stock.objects.all(), cursor, limit, lambda stock: {
        "symbol": stock.symbol, "name": stock.name, "market": stock.market,
        "url": request.build_absolute_uri(stock.get_absolute_url())})
