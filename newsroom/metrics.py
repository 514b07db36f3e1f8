"""Prometheus metrics for operators (issue 20; docs/operations.md, "Metrics and alerts"), with the
official client library (prometheus_client: the exposition format, and gunicorn's several worker
processes added up through its multiprocess mode, which gunicorn.conf.py sets up).

Counted as requests are answered, in every app server process:
- newsroom_request_duration_seconds{view, method, status}: the time to answer, by view name
  ("page cache" for a page the page cache answered, "static", "read beacon", "unresolved");
- newsroom_page_cache_requests_total{result="hit"|"miss"}: the page cache's look-ups;
- newsroom_reader_requests_total{database}: where readers' requests read (read replicas).
Read from the database and the cache when scraped (the import runs from cron, elsewhere):
- newsroom_import_runs_total{status}, newsroom_import_files_total{outcome},
  newsroom_import_last_finished_timestamp_seconds, newsroom_import_last_duration_seconds,
  newsroom_import_running_seconds (the oldest run still running: the lock's holder),
  newsroom_import_lock_busy_total and newsroom_import_lock_wait_seconds_total;
- newsroom_replica_lag_seconds{replica} and newsroom_replica_usable{replica}.

`/metrics` answers only the addresses in NEWSROOM_METRICS_ALLOW (everyone else: 404).
"""

import ipaddress
import os
import time
from functools import cache as once

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError
from django.db.models import Count, Min, Sum
from django.http import Http404, HttpResponse
from django.utils import timezone
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector

from newsroom import redis_cache
from newsroom.health import client_ip

# No `_created` series beside every counter: Prometheus does not need them, scrapes are smaller.
disable_created_metrics()

REQUESTS = Histogram(
    "newsroom_request_duration_seconds", "Time to answer a request, by view",
    ["view", "method", "status"],
    buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
PAGE_CACHE = Counter("newsroom_page_cache_requests", "Page cache look-ups by result", ["result"])
READER_REQUESTS = Counter("newsroom_reader_requests", "Readers' requests by the database they read", ["database"])

METHODS = {"GET", "HEAD", "POST", "OPTIONS", "PUT", "PATCH", "DELETE"}
# Lock waits are counted by the import (cron) in the shared cache, for whichever server is scraped.
LOCK_BUSY, LOCK_WAITED = "newsroom:metrics:import-lock-busy", "newsroom:metrics:import-lock-waited-ms"
_KEEP = 400 * 24 * 3600  # how long the lock counters live without a change


def view_of(request, response) -> str:
    match = getattr(request, "resolver_match", None)
    if match is not None:
        return match.view_name
    if response.get("X-Page-Cache") == "hit":
        return "page cache"
    path = request.path_info
    if path.startswith(settings.STATIC_URL):
        return "static"
    if path.startswith("/r/"):
        return "read beacon"
    return "unresolved"


class MetricsMiddleware:
    """First in MIDDLEWARE: times every answer, whoever below gives it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        method = request.method if request.method in METHODS else "other"
        REQUESTS.labels(view_of(request, response), method, f"{response.status_code // 100}xx").observe(
            time.perf_counter() - started)
        return response


def count_lock_wait(seconds: float, *, busy: bool) -> None:
    """Record an import's wait for the import lock (and whether it gave up), in the shared cache."""
    try:
        if busy:
            redis_cache.count(cache, LOCK_BUSY, _KEEP)
        if seconds >= 0.001:
            redis_cache.count(cache, LOCK_WAITED, _KEEP, by=round(seconds * 1000))
    except ValueError:  # the cache is unreachable: the import goes on uncounted
        pass


@once
def _allowed() -> list:
    return [ipaddress.ip_network(part.strip(), strict=False)
            for part in settings.NEWSROOM_METRICS_ALLOW.split(",") if part.strip()]


def may_read(request) -> bool:
    try:
        address = ipaddress.ip_address(client_ip(request) or "")
    except ValueError:
        return False
    return any(address in network for network in _allowed())


def metrics_view(request):
    """The metrics in Prometheus's text format, for the monitoring addresses only."""
    if not may_read(request):
        raise Http404
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):  # under gunicorn: every worker's counts
        registry = CollectorRegistry()
        MultiProcessCollector(registry)
        body = generate_latest(registry)
    else:
        body = generate_latest(REGISTRY)
    scraped = CollectorRegistry()
    scraped.register(StoredMetrics())
    response = HttpResponse(body + generate_latest(scraped), content_type=CONTENT_TYPE_LATEST)
    response["Cache-Control"] = "no-store"
    return response


class StoredMetrics:
    """What the import runs and the replicas' checks left, read when scraped."""

    def collect(self):
        yield from _imports()
        yield from _lock_waits()
        yield from _replicas()

    def describe(self):
        return []


def _imports():
    from articles.models import ImportRun

    outcomes = ("created", "updated", "unchanged", "skipped", "conflicts", "duplicates", "suppressed",
                "ignored", "failed")
    try:
        by_status = dict(ImportRun.objects.order_by().values_list("status").annotate(n=Count("pk")))
        files = ImportRun.objects.aggregate(**{outcome: Sum(outcome) for outcome in outcomes})
        last = (ImportRun.objects.exclude(finished_at=None).order_by("-finished_at")
                .values_list("started_at", "finished_at").first())
        running = ImportRun.objects.filter(status=ImportRun.Status.RUNNING, finished_at=None).aggregate(
            oldest=Min("started_at"))["oldest"]
    except DatabaseError:
        return
    runs = CounterMetricFamily("newsroom_import_runs", "Import runs by status", labels=["status"])
    for status in ImportRun.Status.values:
        runs.add_metric([status], by_status.get(status, 0))
    yield runs
    counted = CounterMetricFamily("newsroom_import_files", "Files the imports handled, by outcome", labels=["outcome"])
    for outcome in outcomes:
        counted.add_metric([outcome], files[outcome] or 0)
    yield counted
    if last:
        yield GaugeMetricFamily("newsroom_import_last_finished_timestamp_seconds",
                                "When the last import run finished", value=last[1].timestamp())
        yield GaugeMetricFamily("newsroom_import_last_duration_seconds", "How long the last import run took",
                                value=(last[1] - last[0]).total_seconds())
    yield GaugeMetricFamily("newsroom_import_running_seconds",
                            "How long the oldest import still running has held the lock (0: none)",
                            value=(timezone.now() - running).total_seconds() if running else 0.0)


def _lock_waits():
    found = cache.get_many([LOCK_BUSY, LOCK_WAITED])
    yield CounterMetricFamily("newsroom_import_lock_busy", "Imports that gave up waiting for the import lock",
                              value=int(found.get(LOCK_BUSY) or 0))
    yield CounterMetricFamily("newsroom_import_lock_wait_seconds", "Time imports spent waiting for the lock",
                              value=int(found.get(LOCK_WAITED) or 0) / 1000)


def _replicas():
    from newsroom import replicas

    if not settings.DATABASE_REPLICAS:
        return
    lag = GaugeMetricFamily("newsroom_replica_lag_seconds", "How far each replica is behind the primary",
                            labels=["replica"])
    usable = GaugeMetricFamily("newsroom_replica_usable", "1 while readers may be sent to the replica",
                               labels=["replica"])
    for alias, verdict in replicas.verdicts().items():
        if verdict.lag is not None:
            lag.add_metric([alias], verdict.lag)
        usable.add_metric([alias], 1.0 if verdict.fit else 0.0)
    yield lag
    yield usable
