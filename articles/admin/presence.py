"""Who else has a story open in the desk: each open change form says so every PING seconds,
and the form shows the other editors seen within SEEN seconds.

Kept in the shared cache (Redis in production: every app server sees every editor); a cache
that is down only means nobody is shown, never an error.
"""

import time

from django.core.cache import cache
from django.http import JsonResponse

PING = 30  # seconds between an open form's heartbeats (static/admin/newsroom-edit.js)
SEEN = 75  # an editor whose form has not pinged for this long has left


def _key(article_id) -> str:
    return f"desk:editing:{article_id}"


def here(article_id, user) -> list[str]:
    """Note that `user` has the story open; return the other editors who have it open."""
    now = time.time()
    seen = {name: at for name, at in (cache.get(_key(article_id)) or {}).items() if now - at < SEEN}
    others = sorted(name for name in seen if name != user.get_username())
    seen[user.get_username()] = now
    cache.set(_key(article_id), seen, SEEN)
    return others


def left(article_id, user) -> None:
    seen = dict(cache.get(_key(article_id)) or {})
    if seen.pop(user.get_username(), None) is not None:
        cache.set(_key(article_id), seen, SEEN)


def ping_response(article_id, user) -> JsonResponse:
    return JsonResponse({"others": here(article_id, user), "ping": PING})
