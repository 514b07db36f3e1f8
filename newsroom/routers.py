"""Where each query goes when there are read replicas (DATABASE_REPLICA_URLS; docs/operations.md).

- Readers' pages and the API read from a fit replica (newsroom/replicas.py), the same one for
  the whole request, or from the primary when none is fit. A reader's request is a GET, HEAD
  or OPTIONS outside the admin from a browser with no session (the page cache's test) and no
  write of its own in the last NEWSROOM_READ_YOUR_WRITES_SECONDS.
- Everything else reads the primary: the admin, signed-in editors anywhere on the site, the
  import and every other command, and a request from the moment it writes.
- Every write goes to the primary. A response to a request that wrote carries a signed cookie
  that keeps that browser on the primary for NEWSROOM_READ_YOUR_WRITES_SECONDS, longer than
  any fit replica can lag (settings.py refuses a shorter time): the desk sees its own saves.
- A replica that fails while a reader's page is being made is taken out until its next check
  and the page is made again from the primary: a reader gets the page, not a 500.

Without replicas neither the router nor the middleware is installed (settings.py).
"""

import logging
import math
import os
import sys
from contextvars import ContextVar
from dataclasses import dataclass

from django.conf import settings
from django.core.signals import got_request_exception
from django.db import DEFAULT_DB_ALIAS, InterfaceError, OperationalError, connections

from newsroom import replicas
from newsroom.metrics import READER_REQUESTS

logger = logging.getLogger(__name__)

# The browser wrote at most NEWSROOM_READ_YOUR_WRITES_SECONDS ago (signed with its time).
WROTE_COOKIE = "newsroom_wrote"
_SALT = "newsroom.routers.wrote"
READER_METHODS = ("GET", "HEAD", "OPTIONS")


@dataclass
class _Reads:
    """Where one request's reads go."""

    replicas: bool  # it is a reader's: it may read a replica
    alias: str | None = None  # the database its reads go to, once the first read chose it
    wrote: bool = False
    failure: BaseException | None = None  # what a replica raised while it was served


# Per request (and per thread under gthread): None outside requests, so commands read the primary.
_request: ContextVar[_Reads | None] = ContextVar("newsroom_reads", default=None)


class ReplicaRouter:
    """Readers' reads to a fit replica, all else to the primary (`default`)."""

    def db_for_read(self, model, **hints):
        reads = _request.get()
        if reads is None or not reads.replicas or reads.wrote:
            return DEFAULT_DB_ALIAS
        if reads.alias is None:
            reads.alias = _choose()
        return reads.alias

    def db_for_write(self, model, **hints):
        reads = _request.get()
        if reads is not None:
            reads.wrote = True
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        return True  # every database holds the same rows

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == DEFAULT_DB_ALIAS  # replicas get the schema by replication


def _choose() -> str:
    """A fit replica whose connection answers, else the primary. Each process starts from its
    own replica (by process id), so a server's workers spread over the replicas."""
    aliases = settings.DATABASE_REPLICAS
    if not aliases:
        return DEFAULT_DB_ALIAS
    first = os.getpid() % len(aliases)
    for alias in [*aliases[first:], *aliases[:first]]:
        if replicas.usable(alias):
            return alias
    return DEFAULT_DB_ALIAS


def wrote_recently(request) -> bool:
    """Whether the request carries a valid cookie of a write made within the last
    NEWSROOM_READ_YOUR_WRITES_SECONDS."""
    return WROTE_COOKIE in request.COOKIES and request.get_signed_cookie(
        WROTE_COOKIE, default=None, salt=_SALT, max_age=settings.NEWSROOM_READ_YOUR_WRITES_SECONDS
    ) is not None


def _note_failure(sender, request=None, **kwargs) -> None:
    # Sent while Django handles an exception that escaped a view or a middleware below ours.
    reads = _request.get()
    error = sys.exc_info()[1]
    if (reads is not None and reads.alias in settings.DATABASE_REPLICAS
            and isinstance(error, OperationalError | InterfaceError)):
        reads.failure = error


def _lost_replica(reads: _Reads, response) -> BaseException | None:
    """An error page made while the request's replica connection broke, the exception itself
    handled where got_request_exception is not sent (django-ninja's handler under DEBUG)."""
    if response.status_code < 500 or reads.alias not in settings.DATABASE_REPLICAS:
        return None
    return None if connections[reads.alias].is_usable() else InterfaceError("the connection was lost")


class ReplicaReadsMiddleware:
    """Decides where each request's reads go (see the module's docstring); sits below the read
    beacon, above the API's rate limits and the page cache, whose look-up reads the version
    from the same database as the page."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.desk = f"/{settings.ADMIN_URL}"
        got_request_exception.connect(_note_failure, dispatch_uid="newsroom.routers.failure")

    def __call__(self, request):
        reads = _Reads(replicas=self.readers(request))
        token = _request.set(reads)
        try:
            response = self.get_response(request)
            # Made again only if it wrote nothing: a reader's page, safe to repeat.
            failure = None if reads.wrote else reads.failure or _lost_replica(reads, response)
            if failure is not None:
                logger.warning("replica %s failed serving %s, served from the primary: %s",
                               reads.alias, request.path, failure)
                replicas.failed(reads.alias, failure)
                reads.replicas, reads.alias, reads.failure = False, None, None
                response = self.get_response(request)
            if reads.replicas:  # a reader's: where it read (the page cache's answers read nothing)
                READER_REQUESTS.labels(reads.alias or "no query").inc()
        finally:
            _request.reset(token)
        if reads.wrote:
            response.set_signed_cookie(
                WROTE_COOKIE, "1", salt=_SALT, max_age=math.ceil(settings.NEWSROOM_READ_YOUR_WRITES_SECONDS),
                secure=settings.SESSION_COOKIE_SECURE, httponly=True, samesite="Lax",
            )
        return response

    def readers(self, request) -> bool:
        """Whether the request is a reader's, which may read a replica."""
        return (
            request.method in READER_METHODS
            and not request.path_info.startswith(self.desk)
            and settings.SESSION_COOKIE_NAME not in request.COOKIES
            and not wrote_recently(request)
        )
