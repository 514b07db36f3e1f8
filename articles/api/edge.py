"""What every /api/ answer gets before the page cache or the API itself: a rate limit per
client address (429 with Retry-After), and CORS for reading from any origin."""

import json
import math
import time

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse

from articles import cache as pages
from newsroom import redis_cache
from newsroom.health import client_ip

PREFIX = "/api/"
CORS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Expose-Headers": "ETag, Last-Modified, Retry-After",
}
PREFLIGHT = {
    **CORS,
    "Access-Control-Allow-Methods": "GET, HEAD, OPTIONS",
    "Access-Control-Allow-Headers": "If-None-Match, If-Modified-Since, Content-Type",
    "Access-Control-Max-Age": "86400",
}


class ApiEdgeMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path_info.startswith(PREFIX):
            return self.get_response(request)
        if request.method == "OPTIONS":
            response = HttpResponse(status=204, headers={**PREFLIGHT, "Allow": "GET, HEAD, OPTIONS"})
            return response
        if request.method not in ("GET", "HEAD"):
            response = _error(405, "method_not_allowed", "the API only reads: GET or HEAD")
            response["Allow"] = "GET, HEAD, OPTIONS"
        else:
            wait = over_limit(request)
            head = request.method == "HEAD"
            if head:  # answered as GET is, without the body (the operations are declared for GET)
                request.method = "GET"
            response = self.get_response(request) if wait is None else _limited(wait)
            if head:
                request.method = "HEAD"
                response.content = b""
            if response.status_code == 404 and not response.get("Content-Type", "").startswith("application/json"):
                response = _error(404, "not_found", "no such address in the API")  # not the site's HTML page
        for name, value in CORS.items():
            response[name] = value
        return response


def over_limit(request) -> float | None:
    """Count a request from its client's address; the seconds to wait when it is over the
    limit, else None. A fixed window in the shared cache, so several app servers count
    together; a request the page cache may answer is counted in the same round trip as its
    look-up in the page cache. Without the cache (Redis down) nobody is limited rather than
    everybody refused."""
    count, window = settings.NEWSROOM_API_RATE
    now = time.time()
    start = int(now // window) * window
    counter = f"newsroom:api-rate:{client_ip(request) or 'unknown'}:{start}"
    looked_up, used = pages.count_with_lookup(request, counter, window + 1)
    if not looked_up:
        try:
            used = redis_cache.count(cache, counter, window + 1)
        except Exception:  # the cache is down or lost the key: let the request through
            return None
    return start + window - now if used is not None and used > count else None


def _limited(wait: float) -> HttpResponse:
    response = _error(429, "rate_limited", "too many requests from this address; retry after the given seconds")
    response["Retry-After"] = str(max(1, math.ceil(wait)))
    return response


def _error(status: int, code: str, message: str) -> HttpResponse:
    return HttpResponse(json.dumps({"error": {"code": code, "message": message}}), status=status,
                        content_type="application/json")
