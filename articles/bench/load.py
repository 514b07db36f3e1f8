"""Bounded load + soak run: gunicorn + PostgreSQL + Redis serving a mix of every kind of page
while `import_articles` runs alongside; then account for every request and every file.

Stops by itself after `seconds`. Figures for docs/benchmarks.md ("Load and soak").
"""

import json
import os
import random
import re
import statistics
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import psycopg
from django.db import connection

from articles.bench import serve
from articles.models import Article, ArticleTag, Category, ImportedFile, Source, Stock

SEARCHES = ["海尔", "京东", "美的", "华为", "苏宁易购", "国美", "家电", "银行", "证券", "新能源",
            "战略合作", "数字化", "消费", "市场", "京东家电 专卖店"]
LUA = """
math.randomseed(%(seed)d)
local paths = {%(paths)s}
request = function()
  return wrk.format("GET", paths[math.random(#paths)])
end
"""


@dataclass
class Sample:
    at: float
    rss_mib: list[float]
    pg_connections: int
    load: float


@dataclass
class Outcome:
    wrk: serve.WrkResult
    access: dict
    import_report: dict
    import_seconds: float
    import_started_at: float
    files: int
    before: int
    after: int
    unlinked_files: int
    new_pages_checked: int
    new_pages_failed: list[str]
    newest_on_home: bool
    samples: list[Sample] = field(default_factory=list)
    paths: int = 0


def url_mix(rng: random.Random, articles: int = 2000) -> list[str]:
    """What readers and crawlers ask for, weighted roughly as a news site sees it."""
    ids = list(Article.objects.published().values_list("pk", flat=True)[:200_000])
    sample = Article.objects.filter(pk__in=rng.sample(ids, min(articles, len(ids))))
    paths = [a.get_absolute_url() for a in sample.only("pk", "slug")]
    paths += ["/"] * 200 + [f"/?page={n}" for n in range(2, 6)] * 10
    paths += [s.get_absolute_url() for s in Source.objects.all()] * 10
    paths += [c.get_absolute_url() for c in Category.objects.all()] * 5
    paths += [t.get_absolute_url() for t in ArticleTag.objects.order_by("pk")[:50]]
    paths += [s.get_absolute_url() for s in Stock.objects.order_by("pk")[:50]]
    paths += [f"/search/?q={quote(term)}" for term in SEARCHES] * 20
    paths += [f"/search/?q={quote(term)}&page=2" for term in SEARCHES[:5]] * 5
    paths += ["/feed/"] * 20 + ["/sitemap.xml"] * 5
    rng.shuffle(paths)
    return paths


def parse_access_log(path: Path) -> dict:
    """Status counts and server-side latency (duration_ms) of every logged request."""
    durations: list[float] = []
    statuses: dict[str, int] = {}
    slowest: list[tuple[float, str]] = []
    for line in path.read_text().splitlines():
        if "logger=gunicorn.access" not in line:
            continue
        status = re.search(r" status=(\d+)", line).group(1)
        duration = float(re.search(r" duration_ms=([\d.]+)", line).group(1))
        statuses[status] = statuses.get(status, 0) + 1
        durations.append(duration)
        slowest.append((duration, re.search(r" path=(\S+)", line).group(1)))
    durations.sort()

    def pct(p: float) -> float:
        return durations[min(len(durations) - 1, int(len(durations) * p))] if durations else 0

    return {
        "requests": len(durations),
        "statuses": statuses,
        "errors": sum(n for s, n in statuses.items() if not s.startswith(("2", "3"))),
        "p50_ms": pct(0.50), "p99_ms": pct(0.99), "p999_ms": pct(0.999),
        "max_ms": durations[-1] if durations else 0,
        "mean_ms": statistics.fmean(durations) if durations else 0,
        "slowest": sorted(slowest, reverse=True)[:5],
    }


def _pg_connections(database_url: str) -> int:
    with psycopg.connect(database_url) as conn:
        name = conn.info.dbname
        return conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = %s", [name]
        ).fetchone()[0]


def run(*, database_url: str, redis_url: str, import_paths: list[Path], work: Path, seconds: int,
        connections: int, import_delay: int, max_requests: int | None = None, seed: int = 7,
        log=print) -> Outcome:
    work.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    files = sum(1 for p in import_paths for f in p.rglob("*") if f.is_file())
    before = Article.objects.published().count()
    paths = url_mix(rng)
    script = work / "mix.lua"
    script.write_text(LUA % {"seed": seed,
                             "paths": ",".join(json.dumps(p) for p in paths)})
    access_log = work / "access.log"
    access_log.unlink(missing_ok=True)
    static_root = work / "static"
    env = serve.production_env(database_url=database_url, static_root=static_root,
                               redis_url=redis_url)
    if max_requests is not None:  # 0: workers are never recycled, so a leak would show
        env["GUNICORN_MAX_REQUESTS"] = str(max_requests)
    serve.collectstatic(env)
    samples: list[Sample] = []
    with serve.gunicorn(env, access_log=access_log) as server:
        started = time.monotonic()
        results: dict = {}
        load = threading.Thread(target=lambda: results.update(result=serve.wrk(
            server.base + "/", seconds=seconds, connections=connections, threads=1,
            script=script)))
        load.start()
        log(f"load: {len(paths)} paths, {connections} connections, {seconds} s")
        time.sleep(import_delay)
        import_started = time.monotonic() - started
        log(f"import of {files:,} files starting at t={import_started:.0f}s")
        importer = subprocess.Popen(
            [serve.PYTHON, "manage.py", "import_articles", *map(str, import_paths), "--status",
             "published", "--json"],
            cwd=serve.ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        import_seconds = None
        while load.is_alive():
            samples.append(Sample(round(time.monotonic() - started), serve.worker_rss_mib(
                server.pid), _pg_connections(database_url), round(os.getloadavg()[0], 2)))
            if import_seconds is None and importer.poll() is not None:
                import_seconds = time.monotonic() - started - import_started
                log(f"import finished after {import_seconds:.0f}s (exit {importer.returncode})")
            load.join(timeout=10)
        out, err = importer.communicate()
        if import_seconds is None:
            import_seconds = time.monotonic() - started - import_started
        if importer.returncode != 0:
            raise RuntimeError(f"import failed (exit {importer.returncode}):\n{err[-3000:]}")
        report = json.loads(out)

        # Nothing lost: every file is linked to an article, every new article is served.
        connection.close()
        after = Article.objects.published().count()
        prefixes = [str(p) for p in import_paths]
        imported = ImportedFile.objects.filter(path__regex=r"^(" + "|".join(
            re.escape(p) for p in prefixes) + ")")
        unlinked = imported.filter(article__isnull=True).count() + (files - imported.count())
        fresh = Article.objects.filter(import_run_id=report["run"]).order_by("-published_at")
        checked, failed = 0, []
        for article in fresh.only("pk", "slug")[:300]:
            status, _ = serve.get(server.base + article.get_absolute_url())
            checked += 1
            if status != 200:
                failed.append(f"{article.get_absolute_url()} {status}")
        newest = Article.objects.published().order_by("-published_at", "-id").first()
        home = serve.get(server.base + "/")[1].decode()
        newest_on_home = newest.get_absolute_url() in home
    return Outcome(
        wrk=results["result"], access=parse_access_log(access_log), import_report=report,
        import_seconds=import_seconds, import_started_at=import_started, files=files,
        before=before, after=after, unlinked_files=unlinked, new_pages_checked=checked,
        new_pages_failed=failed, newest_on_home=newest_on_home, samples=samples,
        paths=len(paths),
    )


def rss_timeline(samples: list[Sample], points: int = 6) -> str:
    """Total worker RSS at a few moments of the run: the soak's memory trend."""
    if not samples:
        return "-"
    step = max(1, (len(samples) - 1) // (points - 1))
    chosen = samples[1::step] if len(samples) > 1 else samples
    return ", ".join(f"t={s.at}s {sum(s.rss_mib):.0f}" for s in chosen)


def markdown(outcome: Outcome, *, seconds: int, connections: int, max_latency_ms: float,
             max_requests: int | None = None) -> str:
    w, a, r = outcome.wrk, outcome.access, outcome.import_report
    rss_start = outcome.samples[1].rss_mib if len(outcome.samples) > 1 else []
    rss_end = outcome.samples[-1].rss_mib if outcome.samples else []
    recycling = ("workers never recycled (GUNICORN_MAX_REQUESTS=0)" if max_requests == 0
                 else "workers recycled every ~5,000 requests (gunicorn.conf.py)")
    verdict = [
        ("errors (wrk socket errors + non-2xx/3xx)", w.errors, w.errors == 0),
        ("errors in gunicorn's access log", a["errors"], a["errors"] == 0),
        (f"slowest request (server side) under {max_latency_ms:.0f} ms", f"{a['max_ms']:.0f} ms",
         a["max_ms"] < max_latency_ms),
        (f"slowest request (wrk, client side) under {max_latency_ms:.0f} ms",
         f"{w.max_ms:.0f} ms", w.max_ms < max_latency_ms),
        ("import: files failed", r["failed"], r["failed"] == 0),
        ("import: files without an article", outcome.unlinked_files,
         outcome.unlinked_files == 0),
        ("published articles before → after (+created)",
         f"{outcome.before:,} → {outcome.after:,} (+{r['created']:,})",
         outcome.after == outcome.before + r["created"]),
        ("new article pages answering 200", f"{outcome.new_pages_checked - len(outcome.new_pages_failed)}"
         f"/{outcome.new_pages_checked}", not outcome.new_pages_failed),
        ("newest article on the home page right after the import", outcome.newest_on_home,
         outcome.newest_on_home),
    ]
    lines = [
        f"- Run: {seconds} s, `wrk -t1 -c{connections}` with a Lua mix of {outcome.paths:,} "
        "paths (home and its pages 2–5, 2,000 random articles, every source and category, 50 "
        "tags, 50 stocks, 15 searches and their page 2, the feed, the sitemap)",
        f"- Import alongside: {outcome.files:,} new files, started at t={outcome.import_started_at:.0f} s, "
        f"took {outcome.import_seconds:.0f} s ({outcome.files / outcome.import_seconds:.0f} files/s); "
        f"report: created {r['created']:,}, updated {r['updated']}, duplicates {r.get('duplicates', 0)}, "
        f"failed {r['failed']}",
        f"- Throughput: {w.requests:,} requests, {w.rps:.0f} req/s; wrk latency p50 {w.p50_ms:.1f} ms, "
        f"p90 {w.p90_ms:.1f} ms, p99 {w.p99_ms:.1f} ms, max {w.max_ms:.0f} ms",
        f"- Server side (access log, {a['requests']:,} requests): p50 {a['p50_ms']:.1f} ms, "
        f"p99 {a['p99_ms']:.1f} ms, p99.9 {a['p999_ms']:.1f} ms, max {a['max_ms']:.0f} ms; "
        f"statuses {a['statuses']}",
        f"- Slowest requests: {', '.join(f'{p} {d:.0f} ms' for d, p in a['slowest'])}",
        f"- gunicorn worker RSS (MiB, {recycling}) at start {rss_start} → end {rss_end}; "
        f"all workers: {rss_timeline(outcome.samples)}; PostgreSQL "
        f"connections max {max((s.pg_connections for s in outcome.samples), default=0)}; "
        f"load average max {max((s.load for s in outcome.samples), default=0)}",
        "",
        "| check | value | ok |",
        "|---|---|---|",
    ]
    lines += [f"| {name} | {value} | {'yes' if ok else '**NO**'} |" for name, value, ok in verdict]
    return "\n".join(lines)
