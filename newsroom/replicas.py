"""Which read replicas (DATABASE_REPLICA_URLS) this process may send readers' queries to.

Each replica is judged at most every NEWSROOM_REPLICA_CHECK_SECONDS, one that could not be
reached every NEWSROOM_REPLICA_RETRY_SECONDS, by the request that first needs a new verdict:
every other request pays a dictionary look-up. A replica is fit while it answers, is still a
replica (not promoted) and lacks at most NEWSROOM_REPLICA_MAX_LAG seconds of the primary's
changes.

How far behind a replica is, PostgreSQL does not say. `now() - pg_last_xact_replay_timestamp()`
is the age of the last change it replayed, which grows without bound on a replica that misses
nothing while the primary is idle; a replica whose replay stopped looks current until the
primary writes. So each check reads the primary's WAL position too, and LagClock remembers the
positions: a replica that has replayed what the primary had written at an earlier check lacks
only what was written since, at most that check's age. The age of its last replayed change
bounds the lag as well (all it lacks was committed after that), and the smaller bound is taken.
Both are upper bounds: a verdict can keep a replica out a check longer than needed, never send
readers to one older than the bound (plus the verdict's own age, at most a check).
"""

import logging
import math
import threading
import time
from collections import deque
from dataclasses import dataclass

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections

logger = logging.getLogger(__name__)

FIT, LAGGING, DOWN = "ok", "lagging", "down"
UNCHECKED = "unchecked"  # before this process's first check
# Checks remembered while a replica stays behind (a week of checks would say no more).
SAMPLES_KEPT = 64

_PRIMARY_SQL = "SELECT pg_current_wal_flush_lsn() - '0/0'::pg_lsn"
_REPLICA_SQL = (
    "SELECT pg_is_in_recovery(), pg_last_wal_receive_lsn() - '0/0'::pg_lsn, "
    "pg_last_wal_replay_lsn() - '0/0'::pg_lsn, "
    "EXTRACT(EPOCH FROM clock_timestamp() - pg_last_xact_replay_timestamp())"
)


class LagClock:
    """How many seconds of the primary's changes one replica may lack, from what this process
    saw at its checks."""

    def __init__(self):
        self.samples: deque[tuple[float, int]] = deque()  # (when, the primary's WAL position)

    def lag(self, *, at: float, primary: int, replayed: int, replay_age: float | None) -> float:
        """Return the most the replica can lack at `at` (seconds, monotonic clock), given the
        primary's WAL position then, the replica's replay position and the age of the last
        transaction it replayed (None: none since it started)."""
        if replayed >= primary:
            self.samples.clear()
            self.samples.append((at, primary))
            return 0.0
        self.samples.append((at, primary))
        # Keep first the newest check whose position the replica has replayed.
        while len(self.samples) > 1 and self.samples[1][1] <= replayed:
            self.samples.popleft()
        if len(self.samples) > SAMPLES_KEPT:
            del self.samples[1]  # an older anchor later: a larger bound, never a smaller one
        since_replayed = math.inf if replay_age is None else max(float(replay_age), 0.0)
        when, position = self.samples[0]
        return min(at - when, since_replayed) if position <= replayed else since_replayed


@dataclass(frozen=True)
class Verdict:
    state: str  # FIT, LAGGING, DOWN (or UNCHECKED)
    lag: float | None = None  # seconds, when measured
    error: str = ""  # why it is down, in a word (what /healthz shows)
    detail: str = ""  # and in full, for the log

    @property
    def fit(self) -> bool:
        return self.state == FIT

    def as_dict(self) -> dict:
        found = {"status": self.state}
        if self.lag is not None:
            found["lag"] = round(self.lag, 3) if math.isfinite(self.lag) else None
        if self.error:
            found["error"] = self.error
        return found


class _Replica:
    def __init__(self, alias: str):
        self.alias = alias
        self.clock = LagClock()
        self.verdict = Verdict(UNCHECKED)
        self.due = 0.0  # time.monotonic() of the next check
        self.lock = threading.Lock()

    def record(self, verdict: Verdict) -> None:
        before, self.verdict = self.verdict, verdict
        wait = settings.NEWSROOM_REPLICA_RETRY_SECONDS if verdict.state == DOWN else \
            settings.NEWSROOM_REPLICA_CHECK_SECONDS
        self.due = time.monotonic() + wait
        if verdict.state != before.state and not (before.state == UNCHECKED and verdict.fit):
            log = logger.info if verdict.fit else logger.warning
            log("replica %s: %s -> %s%s", self.alias, before.state, verdict.state, _detail(verdict))


def _detail(verdict: Verdict) -> str:
    if verdict.error:
        return f": {verdict.detail or verdict.error}"
    return f" (lag {verdict.lag:.1f}s)" if verdict.lag is not None else ""


_replicas: dict[str, _Replica] = {}


def _replica(alias: str) -> _Replica:
    found = _replicas.get(alias)
    if found is None:
        found = _replicas.setdefault(alias, _Replica(alias))
    return found


def verdict(alias: str) -> Verdict:
    """Return the replica's verdict, judged afresh first if the last one is due."""
    replica = _replica(alias)
    # One thread checks; any other uses the verdict it finds meanwhile.
    if time.monotonic() >= replica.due and replica.lock.acquire(blocking=False):
        try:
            replica.record(_check(replica))
        finally:
            replica.lock.release()
    return replica.verdict


def verdicts() -> dict[str, Verdict]:
    """Return every configured replica's verdict (for /healthz)."""
    return {alias: verdict(alias) for alias in settings.DATABASE_REPLICAS}


def usable(alias: str) -> bool:
    """Whether the replica is fit and this process has a connection to it, or can make one.

    A kept connection is not queried here: a page answered from the page cache makes no query
    at all. Django's once-a-request health check tests it when the page first queries it, and
    reconnects; a replica that went down since its last check fails there, and the router's
    middleware makes the page again from the primary."""
    if not verdict(alias).fit:
        return False
    try:
        connections[alias].ensure_connection()
    except DatabaseError as exc:
        failed(alias, exc)
        return False
    return True


def failed(alias: str, error: BaseException) -> None:
    """Take the replica out of use until it is checked again (it failed a query)."""
    _replica(alias).record(_down(error))


def forget() -> None:
    """Forget every verdict and position seen (tests)."""
    _replicas.clear()


def _check(replica: _Replica) -> Verdict:
    at = time.monotonic()
    primary = _primary_position()
    try:
        with connections[replica.alias].cursor() as cursor:
            cursor.execute(_REPLICA_SQL)
            in_recovery, received, replayed, replay_age = cursor.fetchone()
    except DatabaseError as exc:
        return _down(exc)
    if not in_recovery:
        return Verdict(DOWN, error="promoted", detail="not in recovery: promoted, or the URL names a primary")
    replayed = int(replayed or 0)
    if primary is None:  # the primary cannot say: judge by what the replica has received
        primary = int(received) if received is not None else replayed
    lag = replica.clock.lag(at=at, primary=primary, replayed=replayed, replay_age=replay_age)
    return Verdict(FIT if lag <= settings.NEWSROOM_REPLICA_MAX_LAG else LAGGING, lag=lag)


def _primary_position() -> int | None:
    try:
        with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
            cursor.execute(_PRIMARY_SQL)
            return int(cursor.fetchone()[0])
    except DatabaseError as exc:
        logger.warning("primary's WAL position unreadable, replicas judged by what they received: %s", exc)
        return None


def _down(error: BaseException) -> Verdict:
    return Verdict(DOWN, error=type(error).__name__, detail=" ".join(str(error).split())[:300])
