"""The read beacon: the story page's script (static/js/read.js) posts to /r/<story id>/ once the
page is shown, so reads are counted however the page was served (Django's page cache, nginx's
micro-cache, the browser's). Answered by ReadBeaconMiddleware, first in the stack."""

import logging
import re
import time

from django.db import DatabaseError
from django.http import HttpResponse

from articles.models import Article
from articles.reading.counting import count_read
from articles.reading.readers import is_robot, reader_of

logger = logging.getLogger(__name__)

PREFIX = "/r/"
PATH = re.compile(r"/r/([0-9]{1,18})/")  # a story's id, bounded as the URLconf's ids are
# How long this process takes a story it found published to still be: a withdrawn story may be
# counted this much longer, and the hot lists leave it out anyway.
KNOWN_SECONDS = 60
KNOWN_MOST = 10_000

_published: dict[int, float] = {}  # story id -> until when it is taken as published


def beacon_path(article_id: int) -> str:
    """Where the page of story `article_id` sends its read."""
    return f"{PREFIX}{article_id}/"


def forget_published() -> None:
    """Forget which stories this process found published (tests start afresh)."""
    _published.clear()


def is_published(article_id: int) -> bool:
    """Whether story `article_id` is published: one primary-key look-up, remembered for
    KNOWN_SECONDS when it is (most reads are of a few stories)."""
    now = time.monotonic()
    if _published.get(article_id, 0.0) > now:
        return True
    if not Article.objects.published().filter(pk=article_id).exists():
        return False
    if len(_published) >= KNOWN_MOST:
        _published.clear()
    _published[article_id] = now + KNOWN_SECONDS
    return True


def counts(request) -> bool:
    """Whether a beacon request may count: a browser's (not a robot's or a tool's), sent by a
    page of this site (browsers say so in Sec-Fetch-Site; older ones send nothing)."""
    # META, not request.headers: that builds a dict of every header, a tenth of the beacon's time.
    return (not is_robot(request.META.get("HTTP_USER_AGENT", ""))
            and request.META.get("HTTP_SEC_FETCH_SITE", "same-origin") == "same-origin")


def read_beacon(request, article_id: int) -> HttpResponse:
    """Count a read of story `article_id` for a POST; 204 with no body, never cached, no cookie,
    whatever happens to the count (a database or Redis outage loses reads, not the page)."""
    if request.method != "POST":
        response = HttpResponse(status=405, headers={"Allow": "POST"})
    else:
        if counts(request):
            try:
                if is_published(article_id):
                    count_read(article_id, reader=reader_of(request))
            except DatabaseError as exc:  # Redis's outages are handled below count_read()
                logger.warning("read of story %s not counted: %s", article_id, exc)
        response = HttpResponse(status=204)
    del response["Content-Type"]
    response["Cache-Control"] = "no-store"
    return response


class ReadBeaconMiddleware:
    """Answer read beacons before the rest of the stack: the security headers, static files, the
    page cache, CSRF, sessions, authentication, messages and login throttling have nothing to add
    to an empty 204, and a beacon comes with every page view, also with those nginx answers from
    its micro-cache (0.15 ms a beacon in a process here, 0.36 ms through the whole stack).

    Not a URL pattern: readers' pages answer GET and HEAD only, as the walks of every public
    address hold them to (tests/test_views_methods.py). Every other path costs one startswith()."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info.startswith(PREFIX):
            match = PATH.fullmatch(request.path_info)
            if match:
                return read_beacon(request, int(match[1]))
        return self.get_response(request)
