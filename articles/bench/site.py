"""Page benchmark: home, an article, a source list and a search against the same article saved
as a static file and served by the same gunicorn (the physical limit), cached and uncached, and
through nginx's micro-cache. Figures for docs/benchmarks.md, not a pass/fail test."""

import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from django.db.models import Max, Min

from articles.bench import serve
from articles.models import Article

STATIC_REFERENCE = "/static/bench/article.html"


@dataclass
class Row:
    setup: str
    page: str
    result: serve.WrkResult
    reference: serve.WrkResult

    @property
    def rps_ratio(self) -> float:
        """How many times slower than the static file (1.0 = as fast)."""
        return self.reference.rps / self.result.rps

    @property
    def p50_ratio(self) -> float:
        return self.result.p50_ms / self.reference.p50_ms


def middle_story() -> Article:
    """A published story from the middle of the archive's time span, found through the date
    index (an OFFSET of half the archive took 9.6 s at a million stories)."""
    published = Article.objects.published()
    ends = published.aggregate(first=Min("published_at"), last=Max("published_at"))
    if ends["first"] is None:
        raise RuntimeError("no published articles: fill the database first (docs/benchmarks.md)")
    middle = ends["first"] + (ends["last"] - ends["first"]) / 2
    return (published.filter(published_at__lte=middle).select_related("source")
            .order_by("-published_at", "-id").first())


def pick_pages(search: str) -> dict[str, str]:
    """Home, a mid-archive article, its source's list page, a search, and the API's list and
    the same article through it."""
    article = middle_story()
    return {
        "home": "/",
        "article": article.get_absolute_url(),
        "source list": article.source.get_absolute_url(),
        "search": f"/search/?q={quote(search)}",
        "api list": "/api/v1/articles/",
        "api detail": f"/api/v1/articles/{article.pk}/",
    }


def _measure(base: str, pages: dict[str, str], *, setup: str, opts: dict, log) -> list[Row]:
    """Each page right after the static file, so both see the same machine (it is shared)."""
    for path in [STATIC_REFERENCE, *pages.values()]:
        status, _ = serve.get(base + path)
        if status != 200:
            raise RuntimeError(f"{setup}: {path} answered {status}")
        # Warm every worker (its connection, prepared statements, the search's statistics): a
        # worker's first page is not what readers get, and with one reader it would be the p99.
        serve.wrk(base + path, **{**opts, "seconds": 2})
    rows = []
    for name, path in pages.items():
        reference = serve.wrk(base + STATIC_REFERENCE, **opts)
        result = serve.wrk(base + path, **opts)
        if result.errors or reference.errors:
            raise RuntimeError(f"{setup}: {path}: errors\n{result.raw}\n{reference.raw}")
        rows.append(Row(setup, name, result, reference))
        log(f"  {setup:<30} {name:<12} {result.rps:8.0f} req/s  p50 {result.p50_ms:7.2f} ms  "
            f"p99 {result.p99_ms:7.2f} ms | static {reference.rps:8.0f} req/s  "
            f"p50 {reference.p50_ms:6.2f} ms")
    return rows


def run(*, database_url: str, redis_url: str, work: Path, seconds: int, connections: int,
        threads: int, search: str, with_nginx: bool, log=print) -> tuple[dict, list[Row]]:
    """Measure every page in every setup; return (context, rows)."""
    pages = pick_pages(search)
    static_root = work / "static"
    shutil.rmtree(static_root, ignore_errors=True)
    base_env = serve.production_env(database_url=database_url, static_root=static_root)
    serve.collectstatic(base_env)

    # The reference: the article page exactly as readers get it, written where WhiteNoise
    # (and nginx) serve static files from.
    with serve.gunicorn(base_env) as server:
        status, html = serve.get(server.base + pages["article"])
    if status != 200:
        raise RuntimeError(f"article page answered {status}")
    (static_root / "bench").mkdir(exist_ok=True)
    (static_root / "bench" / "article.html").write_bytes(html)

    opts = {"seconds": seconds, "connections": connections, "threads": threads}
    context = {
        "machine": serve.machine(),
        "articles": Article.objects.published().count(),
        "pages": pages,
        "article_bytes": len(html),
        "wrk": f"wrk -t{threads} -c{connections} -d{seconds}s --latency",
        "workers": os.environ.get("WEB_CONCURRENCY") or f"{os.cpu_count()} + 1",
    }
    rows: list[Row] = []
    setups = [
        ("gunicorn, page cache (Redis)", {"REDIS_URL": redis_url}),
        ("gunicorn, no page cache", {"NEWSROOM_PAGE_CACHE_SECONDS": "0"}),
    ]
    for setup, extra in setups:
        with serve.gunicorn(base_env | extra) as server:
            rows += _measure(server.base, pages, setup=setup, opts=opts, log=log)
            if not extra.get("REDIS_URL"):  # a search as one reader makes it, nothing cached
                one = {**opts, "connections": 1, "threads": 1}
                rows += _measure(server.base, {"search": pages["search"]}, setup=f"{setup}, one reader",
                                 opts=one, log=log)
            if with_nginx and extra.get("REDIS_URL"):
                with serve.nginx(server.base, static_root, work / "nginx") as proxy:
                    rows += _measure(proxy, pages, setup="nginx micro-cache + gunicorn",
                                     opts=opts, log=log)
    return context, rows


def markdown(context: dict, rows: list[Row]) -> str:
    lines = [
        f"- Machine: {context['machine']}",
        f"- Data: {context['articles']:,} published articles in PostgreSQL; article page "
        f"{context['article_bytes']:,} bytes",
        f"- Load: `{context['wrk']}` on loopback, one URL at a time, each page right after the "
        f"static file (the reference column); gunicorn "
        f"{context['workers']} workers (gunicorn.conf.py)",
        f"- Pages: {', '.join(f'{k} `{v}`' for k, v in context['pages'].items())}",
        "",
        "| setup | page | req/s | p50 ms | p99 ms | static file req/s | × static (req/s) "
        "| × static (p50) |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        lines.append(
            f"| {row.setup} | {row.page} | {row.result.rps:,.0f} | {row.result.p50_ms:.2f} | "
            f"{row.result.p99_ms:.2f} | {row.reference.rps:,.0f} | {row.rps_ratio:.2f} | "
            f"{row.p50_ratio:.2f} |"
        )
    return "\n".join(lines)
