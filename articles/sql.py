"""Running the public pages' hand-written statements (articles/reads.py).

- `fetch(*reads)` runs independent statements together: on PostgreSQL in one round trip
  (psycopg's pipeline mode), each row list handed to its Read's `build`.
- Plan-stable statements are prepared on PostgreSQL (NEWSROOM_PREPARED_READS): parsed and
  planned once per connection; the session keeps their generic plan (settings.py).

Every statement goes through Django's cursor wrapper, so it is counted by assertNumQueries
and logged as the ORM's are. Statements run on the connection the database router picks for
reading stories: with read replicas (DATABASE_REPLICA_URLS), a replica's for readers' pages
(newsroom/routers.py), as the ORM's queries of the same request; otherwise the default one.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import psycopg
from django.conf import settings
from django.db import connections, router
from django.db.backends.utils import CursorDebugWrapper, CursorWrapper

from articles.models import Article


@dataclass(frozen=True)
class Read:
    """One statement and what to make of its rows."""

    sql: str
    params: list
    prepare: bool
    build: Callable[[list[tuple]], Any] = list


def fetch(*reads: Read) -> list:
    """Return each read's result; on PostgreSQL all statements share one round trip."""
    connection = _reading()
    if connection.vendor != "postgresql" or len(reads) == 1:
        return [read.build(_run(connection, read.sql, read.params, prepare=read.prepare)) for read in reads]
    # Before the pipeline: a health check inside it would be queued, not answered.
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    cursors = []
    try:
        with connection.wrap_database_errors, connection.connection.pipeline():
            for read in reads:
                cursor = _cursor(connection, read.prepare)
                cursors.append(cursor)
                cursor.execute(read.sql, read.params)
        return [read.build(cursor.fetchall()) for read, cursor in zip(reads, cursors, strict=True)]
    finally:
        for cursor in cursors:
            cursor.close()


def run(sql: str, params: list, *, prepare: bool) -> list[tuple]:
    """Return the rows of one statement."""
    return _run(_reading(), sql, params, prepare=prepare)


def _reading():
    """The connection of the database the router reads stories from in this request."""
    return connections[router.db_for_read(Article)]


def _run(connection, sql: str, params: list, *, prepare: bool) -> list[tuple]:
    with _cursor(connection, prepare) as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


class _PreparedCursor(psycopg.Cursor):
    """Binds parameters on the server and keeps the statement's plan for the connection."""

    def execute(self, query, params=None, *, prepare=None, binary=None):
        return super().execute(query, params, prepare=True, binary=binary)


class _LoggedCursor(CursorDebugWrapper):
    """Django's logging wrapper, logging the statement with its values spelled in (as Django
    logs statements when it binds on the server itself): psycopg keeps no client-side text of
    a prepared statement for Django to read back."""

    def execute(self, sql, params=None):
        with self.debug_sql(self.db.ops.compose_sql(sql, params), params):
            return CursorWrapper.execute(self, sql, params)


def _cursor(connection, prepare: bool):
    """A cursor of `connection` that prepares its statements on PostgreSQL when `prepare` (and
    prepared reads are on), else Django's usual one; either way counted and logged as Django's
    are."""
    if not (prepare and connection.vendor == "postgresql" and settings.NEWSROOM_PREPARED_READS):
        return connection.cursor()
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    connection.validate_thread_sharing()
    raw = connection.connection
    if raw.prepare_threshold is None:
        # Django opens connections with preparing off (None ignores even prepare=True). Its
        # own cursors bind parameters on the client and never prepare, so a threshold no
        # statement reaches turns on only this module's explicit preparing.
        raw.prepare_threshold = 2**31
    with connection.wrap_database_errors:
        cursor = _PreparedCursor(raw)
    # Wrapped as Django wraps its own cursors: counted, logged when queries are logged.
    return _LoggedCursor(cursor, connection) if connection.queries_logged else connection.make_cursor(cursor)
