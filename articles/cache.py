"""Whole-page caching of the public site for anonymous readers, invalidated at once by edits.

Every cached page is stored under a site-wide version; any change to what readers see
(articles, sources, categories, stocks, tags) sets a new version, so the next request renders
afresh. Signals cover saves and deletes made through the ORM; code that writes in bulk
(the importer's bulk_create/update, queryset.update() in admin actions) calls
`bump_cache_version()` once when it is done.

The version has two parts. The authoritative one is the page generation, a row in the
database that every change moves once it is committed: Redis can be frozen, restarted,
flushed or restored from an old copy, a page stored under an older generation is never
served again once a process has read the new one, and each process reads it at most
GENERATION_SECONDS apart. The other is a key in the cache itself, changed at the same moments,
so that in the ordinary case every process sees an edit at once rather than within a second.

Each part has a narrower companion for lists. New stories (an import that only created
stories, a scheduled story coming due) change the lists that show them (home, subject lists,
archives, search, feeds, sitemaps) but no story already published: `bump_cache_version(LISTS)`
moves only the lists' part, and story pages stay cached. Their neighbour and related links
then name the newest stories only once they are rendered again (within PAGE_CACHE_SECONDS).
Anything else (an edit, a withdrawal, a deletion, an import that updated a story) moves both.

A story scheduled for later becomes visible without any write: each process remembers when
the next scheduled story is due under the current version, and pages cached under it expire
then.

Processes share the version through the database and the cache backend: with several
processes (gunicorn workers, the cron importer) the page store must be a shared cache
(REDIS_URL), not the local-memory default.
"""

import hashlib
import logging
import time
from dataclasses import dataclass
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, DatabaseError, models, router, transaction
from django.db.models import F
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.http import HttpResponse
from django.utils import timezone
from django.utils.cache import get_conditional_response
from django.utils.http import http_date, parse_http_date_safe

from newsroom import redis_cache
from newsroom.metrics import PAGE_CACHE

logger = logging.getLogger(__name__)

VERSION_KEY = "newsroom:pages:version"
# What a change can affect, and the two kinds of page: a story's own page, and every other.
EVERYTHING, LISTS = "everything", "lists"
STORY, LIST = "story", "list"
_NO_SCHEDULE = 0.0
# Set by PageCacheMiddleware on a request it could not answer: (version, page key).
_MISSED = "_newsroom_page_cache_missed"
# Set by a view's cache_public_page wrapper on a response the middleware may store.
_STORABLE = "_newsroom_page_cache_storable"
# Set by count_with_lookup(): the page cache's look-up for the request, made already.
_LOOKED_UP = "_newsroom_page_cache_looked_up"
# On a page answered from the cache (a hit looks otherwise exactly like the first render).
HIT_HEADER = "X-Page-Cache"


class PageGeneration(models.Model):
    """The one row whose `value` changes, after commit, with anything readers see.

    Declared beside the page cache, its only user (the table is articles_pagegeneration).
    """

    value = models.BigIntegerField()  # moved by every change
    listing = models.BigIntegerField(default=0)  # moved by changes that only add stories
    changed_at = models.DateTimeField()

    class Meta:
        app_label = "articles"
        verbose_name = "页面缓存代数"

    def __str__(self) -> str:
        return f"{self.value:x}"


_ROW = 1  # the primary key of the one row


@dataclass(frozen=True)
class Generation:
    value: int  # 0 before the first change ever recorded
    listing: int
    at: float  # epoch seconds of that change
    read: float  # time.monotonic() when this process read it
    # The database it was read from. With read replicas a reader's page comes from a replica,
    # which may be behind the primary: its version must be that replica's generation, or a page
    # rendered from older rows would be stored under the primary's newer one.
    db: str = DEFAULT_DB_ALIAS


_generation: Generation | None = None  # this process's copy
_due: tuple[str, float] = ("", _NO_SCHEDULE)  # (version id, next scheduled story) in this process


def generation() -> Generation:
    """Return the page generation, read from the database at most GENERATION_SECONDS ago.

    While the database cannot be read (down, or the table not migrated yet), the last value
    read stays in use, or 0 in a process that never read one: the cache's own key then decides
    alone, and no writer can move the generation meanwhile anyway. Tried again a second later.
    """
    global _generation
    known, now, db = _generation, time.monotonic(), router.db_for_read(PageGeneration)
    if known is not None and known.db == db and now - known.read < settings.PAGE_CACHE_GENERATION_SECONDS:
        return known
    try:
        row = (PageGeneration.objects.using(db).filter(pk=_ROW)
               .values_list("value", "listing", "changed_at").first())
    except DatabaseError as exc:
        logger.warning("page generation unreadable, the cache's key decides alone: %s", exc)
        row = (known.value, known.listing, None) if known else None
    value, listing, changed_at = row or (0, 0, None)
    at = changed_at.timestamp() if changed_at else (known.at if known else 0.0)
    _generation = Generation(value, listing, at, now, db)
    return _generation


def _bump_generation(scope: str = EVERYTHING) -> None:
    global _generation
    now = timezone.now()
    column = "listing" if scope == LISTS else "value"
    moved = PageGeneration.objects.filter(pk=_ROW).update(**{column: F(column) + 1}, changed_at=now)
    if not moved:
        # First change ever (or the table was emptied): start from the clock, so that a value
        # seen before the row was lost cannot come back.
        PageGeneration.objects.bulk_create(
            [PageGeneration(pk=_ROW, value=time.time_ns(), changed_at=now)], ignore_conflicts=True
        )
    _generation = None  # this process reads the new one on its next page


def _bump_cached_version(scope: str = EVERYTHING) -> None:
    stamp = f"{time.time_ns():x}"
    record = {"id": stamp, "list": stamp, "at": time.time()}
    if scope == LISTS:
        record["id"] = (cache.get(VERSION_KEY) or {}).get("id", stamp)
    cache.set(VERSION_KEY, record, timeout=None)


def bump_cache_version(scope: str = EVERYTHING) -> None:
    """Invalidate the cached public pages a change can affect (call once after writes that
    bypass signals): every page, or with LISTS (the change only added stories) every page
    but the stories' own."""
    # The cache's key now, so that nothing rendered from the old data is served past this
    # point; the generation (and the cache's key again) once the writes are committed, so that
    # a page rendered while the transaction was open is not kept. Outside a transaction both
    # happen now. A database error here reaches the writer as any other would (the import
    # stops, the desk shows the error): the change is committed but not yet announced.
    _bump_cached_version(scope)

    def after_commit():
        _bump_generation(scope)
        _bump_cached_version(scope)

    transaction.on_commit(after_commit)


def current_version() -> dict:
    """Return the version record: {STORY: a story page's version, LIST: every other page's,
    "at" (epoch seconds of the last change), "due"}."""
    return _version(cache.get(VERSION_KEY))


def _version(record: dict | None) -> dict:
    global _due
    if record is None:  # a new or flushed cache: a version of its own
        stamp = f"{time.time_ns():x}"
        cache.add(VERSION_KEY, {"id": stamp, "list": stamp, "at": time.time()}, timeout=None)
        record = cache.get(VERSION_KEY) or {"id": "0", "list": "0", "at": time.time()}
    current = generation()
    version_id = f"{current.value:x}.{record['id']}"
    list_id = f"{version_id}.{current.listing:x}.{record.get('list', '')}"
    due_for, due = _due
    if due_for != version_id:
        due = _next_scheduled()
        _due = (version_id, due)
    if due != _NO_SCHEDULE and due <= time.time():
        # A scheduled story is now public: a new key for the lists, as an import of it would.
        # Not the database's generation: readers do not write, and should the cache lose this
        # key, the pages stored under the old one expire at the due time anyway (_store).
        _bump_cached_version(LISTS)
        _due = ("", _NO_SCHEDULE)  # read afresh even if the cache did not take the key
        return current_version()
    return {STORY: version_id, LIST: list_id, "at": max(record["at"], current.at), "due": due}


def _next_scheduled() -> float:
    from articles.models import Article

    moment = (
        Article.objects.scheduled()
        .order_by("published_at")
        .values_list("published_at", flat=True)
        .first()
    )
    return moment.timestamp() if moment else _NO_SCHEDULE


def last_modified(version: dict) -> str:
    return http_date(version["at"])


def _page_key(request) -> str:
    location = f"{request.scheme}://{request.get_host()}{request.get_full_path()}"
    return f"newsroom:page:{hashlib.sha256(location.encode()).hexdigest()}"


def _lookup(request, counter: tuple[str, int] | None = None) -> tuple[dict, str, HttpResponse | None, int | None]:
    """One round trip to the cache: its part of the version and the page together, and, when
    `counter` (key, seconds) is given, that counter moved by one (the API's rate limit).

    A page is stored under its address alone and carries its kind and the version of that
    kind it was rendered under, so a page of an older version is a miss (and is overwritten by
    the next render).
    """
    key = _page_key(request)
    if counter is None:
        found, used = cache.get_many([VERSION_KEY, key]), None
    else:
        found, used = redis_cache.get_many_counting(cache, [VERSION_KEY, key], *counter)
    version = _version(found.get(VERSION_KEY))
    stored = found.get(key)
    if stored is None or stored.get("version") != version.get(stored.get("kind", LIST)):
        return version, key, None, used
    response = HttpResponse(stored["content"])
    for name, value in stored["headers"]:
        response[name] = value
    return version, key, response, used


def count_with_lookup(request, counter: str, timeout: int) -> tuple[bool, int | None]:
    """Move the counter `counter` (created for `timeout` seconds) in the same round trip as the
    page cache's look-up for `request`, which PageCacheMiddleware then uses instead of its own:
    (whether the request is one the page cache answers, the count or None when the cache is
    unreachable). A request the page cache does not answer moves nothing: (False, None)."""
    if not _cacheable_request(request) or request.path_info.startswith(_skipped()):
        return False, None
    version, key, response, used = _lookup(request, (counter, timeout))
    setattr(request, _LOOKED_UP, (version, key, response))
    return True, used


def _skipped() -> tuple[str, ...]:
    # The desk, the probe and the metrics are never cached pages: no cache round trip for them.
    return (f"/{settings.ADMIN_URL}", "/healthz", "/metrics")


def _store(key: str, version: dict, response, kind: str) -> None:
    timeout = settings.PAGE_CACHE_SECONDS
    if version["due"] != _NO_SCHEDULE and kind == LIST:  # a story coming due changes lists only
        timeout = max(1, min(timeout, int(version["due"] - time.time())))
    record = {"version": version[kind], "kind": kind, "content": response.content,
              "headers": list(response.items())}
    cache.set(key, record, timeout)


def _cacheable_request(request) -> bool:
    return (
        settings.PAGE_CACHE_SECONDS > 0
        and request.method in ("GET", "HEAD")
        # Signed-in editors get fresh pages; the cookie test needs no session lookup.
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
    )


def _cacheable_response(response) -> bool:
    return (
        response.status_code == 200
        and not response.streaming
        and not response.cookies
        and "private" not in response.get("Cache-Control", "")
        and "no-store" not in response.get("Cache-Control", "")
    )


class PageCacheMiddleware:
    """Answer anonymous readers' repeat visits from the page cache, right below the security
    headers and static files: none of the rest (CSP and X-Frame-Options headers, ETags,
    sessions, CSRF, authentication, messages, login throttling) has anything to add to a
    page it already produced.

    A page is stored whole on its way out, with the headers the middleware below it added,
    so a hit answers as the first visit did, plus `X-Page-Cache: hit`; conditional requests
    (ETag, Last-Modified) get their 304 here. Only pages the views' `cache_public_page`
    wrapper marked are stored: it alone knows what may be cached.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.skip = _skipped()

    def __call__(self, request):
        if not _cacheable_request(request) or request.path_info.startswith(self.skip):
            return self.get_response(request)
        looked_up = getattr(request, _LOOKED_UP, None)
        version, key, response = looked_up or _lookup(request)[:3]
        PAGE_CACHE.labels("miss" if response is None else "hit").inc()
        if response is not None:
            response[HIT_HEADER] = "hit"
            return get_conditional_response(
                request, etag=response.get("ETag"),
                last_modified=parse_http_date_safe(response.get("Last-Modified", "")),
                response=response,
            )
        setattr(request, _MISSED, (version, key))
        response = self.get_response(request)
        kind = getattr(response, _STORABLE, None)
        if kind and _cacheable_response(response):
            _store(key, version, response, kind)
        return response


def cache_public_page(view, kind: str = LIST):
    """Mark `view`'s pages for PageCacheMiddleware to store, as pages of `kind` (STORY: a
    story's own page, which new stories elsewhere leave as it is); add Last-Modified."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        missed = getattr(request, _MISSED, None)
        if missed is None:  # not a request the page cache answers
            return response
        if hasattr(response, "render") and callable(response.render):
            response.render()
        if _cacheable_response(response):
            response.setdefault("Last-Modified", last_modified(missed[0]))
            setattr(response, _STORABLE, kind)
        return response

    return wrapper


def _content_changed(**kwargs) -> None:
    if kwargs.get("action", "post_").startswith("pre_"):
        return  # m2m_changed: the post_ signal follows
    bump_cache_version()


def connect_signals() -> None:
    from articles.models import Article, ArticleTag, Category, Correction, Source, Stock, TaggedArticle

    for model in (Article, Source, Category, Stock, ArticleTag, TaggedArticle, Correction):
        label = model._meta.label_lower
        post_save.connect(_content_changed, sender=model, dispatch_uid=f"pages-save-{label}")
        post_delete.connect(_content_changed, sender=model, dispatch_uid=f"pages-delete-{label}")
    m2m_changed.connect(
        _content_changed, sender=Article.stocks.through, dispatch_uid="pages-article-stocks"
    )


connect_signals()
