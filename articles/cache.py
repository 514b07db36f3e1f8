"""Whole-page caching of the public site for anonymous readers, invalidated at once by edits.

Every cached page is stored under a site-wide version; any change to what readers see
(articles, sources, categories, stocks, tags) sets a new version, so the next request renders
afresh. Signals cover saves and deletes made through the ORM; code that writes in bulk
(the importer's bulk_create/update, queryset.update() in admin actions) calls
`bump_cache_version()` once when it is done.

A story scheduled for later becomes visible without any write: each version remembers when
the next scheduled story is due and pages cached under it expire then.

Processes share the version through the cache backend: with several processes (gunicorn
workers, the cron importer) it must be a shared cache (REDIS_URL), not the local-memory
default.
"""

import hashlib
import time
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.http import HttpResponse
from django.utils import timezone
from django.utils.cache import get_conditional_response
from django.utils.http import http_date, parse_http_date_safe

VERSION_KEY = "newsroom:pages:version"
# {"version": id, "due": epoch seconds of the next scheduled story under that version, or 0}
DUE_KEY = f"{VERSION_KEY}:due"
_NO_SCHEDULE = 0.0
# Set by PageCacheMiddleware on a request it could not answer: (version, page key).
_MISSED = "_newsroom_page_cache_missed"
# Set by a view's cache_public_page wrapper on a response the middleware may store.
_STORABLE = "_newsroom_page_cache_storable"


def bump_cache_version() -> None:
    """Invalidate every cached public page (call once after writes that bypass signals)."""
    cache.set(VERSION_KEY, {"id": f"{time.time_ns():x}", "at": time.time()}, timeout=None)


def current_version() -> dict:
    """Return the version record: {"id", "at" (epoch seconds of the last change), "due"}."""
    found = cache.get_many([VERSION_KEY, DUE_KEY])
    return _version(found.get(VERSION_KEY), found.get(DUE_KEY))


def _version(record: dict | None, due_record: dict | None) -> dict:
    if record is None:
        bump_cache_version()
        record = cache.get(VERSION_KEY) or {"id": "0", "at": time.time()}
    if due_record is not None and due_record.get("version") == record["id"]:
        due = due_record["due"]
    else:
        due = _next_scheduled()
        cache.set(DUE_KEY, {"version": record["id"], "due": due}, timeout=None)
    if due != _NO_SCHEDULE and due <= time.time():
        # A scheduled story is now public: it changes pages as an edit would.
        bump_cache_version()
        return current_version()
    return {**record, "due": due}


def _next_scheduled() -> float:
    from articles.models import Article

    moment = (
        Article.objects.filter(status=Article.Status.PUBLISHED, published_at__gt=timezone.now())
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


def _lookup(request) -> tuple[dict, str, HttpResponse | None]:
    """One round trip to the cache: the version, the next due time and the page together.

    A page is stored under its address alone and carries the version it was rendered under,
    so a page of an older version is a miss (and is overwritten by the next render).
    """
    key = _page_key(request)
    found = cache.get_many([VERSION_KEY, DUE_KEY, key])
    version = _version(found.get(VERSION_KEY), found.get(DUE_KEY))
    stored = found.get(key)
    if stored is None or stored.get("version") != version["id"]:
        return version, key, None
    response = HttpResponse(stored["content"])
    for name, value in stored["headers"]:
        response[name] = value
    return version, key, response


def _store(key: str, version: dict, response) -> None:
    timeout = settings.PAGE_CACHE_SECONDS
    if version["due"] != _NO_SCHEDULE:
        timeout = max(1, min(timeout, int(version["due"] - time.time())))
    record = {"version": version["id"], "content": response.content, "headers": list(response.items())}
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
    so a hit answers as the first visit did; conditional requests (ETag, Last-Modified) get
    their 304 here. Only pages the views' `cache_public_page` wrapper marked are stored: it
    alone knows what may be cached.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        # The desk and the probes are never cached pages: no cache round trip for them.
        self.skip = (f"/{settings.ADMIN_URL}", "/healthz")

    def __call__(self, request):
        if not _cacheable_request(request) or request.path_info.startswith(self.skip):
            return self.get_response(request)
        version, key, response = _lookup(request)
        if response is not None:
            return get_conditional_response(
                request, etag=response.get("ETag"),
                last_modified=parse_http_date_safe(response.get("Last-Modified", "")),
                response=response,
            )
        setattr(request, _MISSED, (version, key))
        response = self.get_response(request)
        if getattr(response, _STORABLE, False) and _cacheable_response(response):
            _store(key, version, response)
        return response


def cache_public_page(view):
    """Mark `view`'s pages for PageCacheMiddleware to store; add Last-Modified."""

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
            setattr(response, _STORABLE, True)
        return response

    return wrapper


def _content_changed(**kwargs) -> None:
    if kwargs.get("action", "post_").startswith("pre_"):
        return  # m2m_changed: the post_ signal follows
    # Now, so that nothing rendered from the old data is served past this point, and again
    # after commit, so that a page rendered while the transaction was open is not kept.
    bump_cache_version()
    transaction.on_commit(bump_cache_version)


def connect_signals() -> None:
    from articles.models import Article, ArticleTag, Category, Source, Stock, TaggedArticle

    for model in (Article, Source, Category, Stock, ArticleTag, TaggedArticle):
        label = model._meta.label_lower
        post_save.connect(_content_changed, sender=model, dispatch_uid=f"pages-save-{label}")
        post_delete.connect(_content_changed, sender=model, dispatch_uid=f"pages-delete-{label}")
    m2m_changed.connect(
        _content_changed, sender=Article.stocks.through, dispatch_uid="pages-article-stocks"
    )


connect_signals()
