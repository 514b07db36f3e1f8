"""The read API's operations: published stories only, newest first, keyset-paged."""

from datetime import datetime, timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.db.models import Q
from django.http import Http404
from django.utils import timezone
from ninja import Query, Router, Schema
from ninja.errors import HttpError

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


def published_articles(filters: ArticleFilters):
    """The stories the filters ask for, newest first (the QuerySet the pages read too)."""
    articles = Article.objects.published()
    if filters.source:
        articles = articles.filter(source=_one(Source, slug=filters.source))
    if filters.category:
        articles = articles.filter(category=_one(Category, slug=filters.category))
    if filters.tag:
        articles = articles.filter(tags=_one(ArticleTag, slug=filters.tag))
    if filters.stock:
        match = SYMBOL.match(filters.stock.upper())
        if not match:
            raise HttpError(400, f"stock must be a symbol such as SZ002024, not {filters.stock!r}")
        articles = articles.filter(stocks=_one(Stock, market=match[1], code=match[2]))
    if filters.since:
        articles = articles.filter(published_at__gte=_aware(filters.since, "since"))
    if filters.until:
        articles = articles.filter(published_at__lt=_aware(filters.until, "until"))
    if filters.important is not None:
        articles = articles.filter(important=filters.important)
    if filters.q:
        query = parse_query(filters.q)
        if query.problem:
            raise HttpError(400, query.problem)
        articles = filter_matching(articles, query)
    return articles.order_by("-published_at", "-id")


def serialise(request, article: Article, fields: frozenset) -> dict:
    """The story as the API gives it, with only `fields`."""
    out = {
        "id": article.pk,
        "url": request.build_absolute_uri(article.get_absolute_url()),
        "title": article.title,
        "summary": article.summary,
        "published_at": article.published_at,
        "updated_at": article.updated_at,
        "source": {"name": article.source.name, "slug": article.source.slug} if article.source_id else None,
        "category": {"name": article.category.name, "slug": article.category.slug} if article.category_id else None,
        "tags": [{"name": tag.name, "slug": tag.slug} for tag in article.tags.all()],
        "stocks": [{"symbol": stock.symbol, "name": stock.name} for stock in article.stocks.all()],
        "important": article.important,
        "publishers": max(1, getattr(article, "publishers", 1) or 1),
    }
    return {name: value for name, value in out.items() if name in fields}


def _with_relations(articles):
    return (articles.select_related("source", "category").prefetch_related("tags", "stocks")
            .with_publishers().defer("body", "front_matter", "imported_values", "pending_changes",
                                     "search_text", "search_vector", "title_vector"))


@router.get("/articles/", response={200: ArticlePage, **ERRORS}, exclude_unset=True, tags=["articles"],
            summary="Published stories, newest first")
def list_articles(request, filters: Query[ArticleFilters]):
    """Keyset-paged: `next` is the URL of the following page, or null after the last."""
    limit = _limit(filters.limit)
    fields = _fields(filters.fields, LIST_FIELDS)
    articles = published_articles(filters)
    position = _cursor(filters.cursor)
    if position:
        moment, pk = position
        articles = articles.filter(Q(published_at__lt=moment) | Q(published_at=moment, pk__lt=pk))
    page = list(_with_relations(articles)[: limit + 1])
    more = len(page) > limit
    page = page[:limit]
    return {
        "results": [serialise(request, article, fields) for article in page],
        "next": _next_url(request, cursor=cursors.encode(page[-1].published_at, page[-1].pk)) if more else None,
    }


@router.get("/articles/{article_id}/", response={200: ArticleDetail, **ERRORS}, exclude_unset=True, tags=["articles"],
            summary="One published story, with its body and the same story from other publishers")
def get_article(request, article_id: int, fields: str | None = None):
    wanted = _fields(fields, DETAIL_FIELDS)
    if not 0 < article_id < 2**63:
        raise Http404
    article = _with_relations(Article.objects.published()).defer(None).filter(pk=article_id).first()
    if article is None:
        raise Http404
    out = serialise(request, article, wanted)
    if "body" in wanted:
        out["body"] = article.body
    if "original_url" in wanted:
        out["original_url"] = article.original_url
    if "same_story" in wanted:
        out["same_story"] = [
            {"id": other.pk, "title": other.title, "url": request.build_absolute_uri(other.get_absolute_url()),
             "source": other.source.name if other.source_id else None}
            for other in article.same_story().select_related("source")[:50]]
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
