"""`/healthz` for load balancers and monitoring, and the client address behind a proxy."""

import time

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from newsroom import replicas


def _elapsed_ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 2)


def _check_database() -> dict:
    started = time.perf_counter()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any failure means "take this server out of rotation"
        return {"status": "error", "error": exc.__class__.__name__, "ms": _elapsed_ms(started)}
    return {"status": "ok", "vendor": connection.vendor, "ms": _elapsed_ms(started)}


def _check_cache() -> dict:
    started = time.perf_counter()
    backend = settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[-1]
    try:
        cache.set("healthz", "ok", 10)
        ok = cache.get("healthz") == "ok"
    except Exception as exc:
        return {"status": "error", "backend": backend, "error": exc.__class__.__name__}
    return {"status": "ok" if ok else "error", "backend": backend, "ms": _elapsed_ms(started)}


@never_cache
@require_safe
def healthz(request):
    """200 with JSON when the database answers, 503 when it does not.

    The cache is reported but does not decide: every app server shares the same Redis, so
    taking them all out of rotation for it would turn a slow site into no site. Nor do read
    replicas (DATABASE_REPLICA_URLS), reported as this process judges them: without them,
    readers' pages come from the primary.
    """
    database = _check_database()
    body = {
        "status": database["status"],
        "database": database,
        "cache": _check_cache(),
    }
    if settings.DATABASE_REPLICAS:
        body["replicas"] = {alias: verdict.as_dict() for alias, verdict in replicas.verdicts().items()}
    return JsonResponse(body, status=200 if database["status"] == "ok" else 503)


def client_ip(request) -> str | None:
    """The reader's address for login throttling (django-axes).

    Behind our reverse proxy REMOTE_ADDR is the proxy itself, which would lock every editor out
    together; the proxy appends the real peer as the last X-Forwarded-For entry (earlier
    entries are whatever the client claimed and are not trusted).
    """
    if settings.BEHIND_PROXY:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded.strip():
            return forwarded.split(",")[-1].strip()
    return request.META.get("REMOTE_ADDR")
