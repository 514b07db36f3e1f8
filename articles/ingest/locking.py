"""One import at a time: a PostgreSQL advisory lock (works across app servers) or, on SQLite,
an exclusive lock on a file beside the database. Both vanish with the process, so a run killed
with -9 never leaves a stale lock behind."""

import contextlib
import fcntl
import time
from collections.abc import Iterator
from pathlib import Path

from django.conf import settings
from django.db import connection

from newsroom.metrics import count_lock_wait

# An arbitrary constant naming "the newsroom import" among advisory locks.
ADVISORY_KEY = 0x4E455753  # "NEWS"


class LockBusy(Exception):
    """Another import run holds the lock."""


def _sqlite_lock_path() -> Path:
    name = str(settings.DATABASES["default"]["NAME"])
    base = Path(name) if name and name != ":memory:" else Path(settings.VAR_DIR) / "memory"
    return base.with_name(base.name + ".import.lock")


@contextlib.contextmanager
def import_lock(*, wait: float = 5.0, poll: float = 0.2) -> Iterator[None]:
    """Hold the import lock for the duration of the block; raise LockBusy after `wait` s. The
    wait, and giving up, are counted for the operators' metrics (newsroom/metrics.py)."""
    started = time.monotonic()
    try:
        with _lock(started + wait, poll):
            count_lock_wait(time.monotonic() - started, busy=False)
            yield
    except LockBusy:
        count_lock_wait(time.monotonic() - started, busy=True)
        raise


@contextlib.contextmanager
def _lock(deadline: float, poll: float) -> Iterator[None]:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            while True:
                cursor.execute("SELECT pg_try_advisory_lock(%s)", [ADVISORY_KEY])
                if cursor.fetchone()[0]:
                    break
                if time.monotonic() >= deadline:
                    raise LockBusy("another import is running (PostgreSQL advisory lock held)")
                time.sleep(poll)
        try:
            yield
        finally:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [ADVISORY_KEY])
        return

    path = _sqlite_lock_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+") as handle:
        while True:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise LockBusy(f"another import is running (lock file {path} held)") from None
                time.sleep(poll)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
