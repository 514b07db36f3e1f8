"""Page-cache survival across an import (bench_site): how many story pages that were cached
before a cron-style import of new stories are still answered from the cache after it.

New stories change the lists (home, sources, categories, archives, feeds, search) but no story
already published, so the import moves only the lists' part of the page version
(`bump_cache_version(LISTS)`, articles/cache.py) and story pages should stay cached. Target:
at least 95 % of them. List pages are measured too, for contrast: they should all be
rendered again.

A page answered from the cache carries `X-Page-Cache: hit` (articles.cache.PageCacheMiddleware);
a rendered one does not. Figures for docs/benchmarks.md, not a pass/fail test.
"""

import json
import shutil
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from django.conf import settings

from articles.bench import serve
from articles.bench.corpus import generate_corpus
from articles.cache import HIT_HEADER, PageGeneration
from articles.models import Article, ArticleTag, Category, Source, Stock

TARGET = 0.95
REQUEST_THREADS = 4


def answered_from_cache(headers: dict[str, str]) -> bool:
    """Whether a response (its headers, names in any case) came out of the page cache."""
    return any(name.lower() == HIT_HEADER.lower() and value.strip().lower() == "hit"
               for name, value in headers.items())


@dataclass
class Survival:
    kind: str
    pages: int  # pages of the sample that answered 200
    cached_before: int  # of those, answered from the cache just before the import
    cached_after: int  # of those, still answered from the cache after it

    @property
    def share(self) -> float | None:
        """The fraction of the pages cached before the import still answered from it."""
        return self.cached_after / self.cached_before if self.cached_before else None


def survival(kind: str, before: dict[str, bool], after: dict[str, bool]) -> Survival:
    """Compare two passes over the same pages ({path: answered from the cache}): only pages
    cached before count, and a page missing from `after` counts as not cached."""
    cached = [path for path, hit in before.items() if hit]
    return Survival(kind, len(before), len(cached), sum(bool(after.get(path)) for path in cached))


def pick_story_pages(count: int) -> list[str]:
    """`count` published stories spread evenly over the archive, oldest to newest."""
    ids = list(Article.objects.published().order_by("published_at", "id")
               .values_list("id", flat=True))
    if not ids:
        raise RuntimeError("no published articles: fill the database first (docs/benchmarks.md)")
    count = min(count, len(ids))
    picked = [ids[i * len(ids) // count] for i in range(count)]
    stories = Article.objects.in_bulk(picked)
    return [stories[pk].get_absolute_url() for pk in picked]


def pick_list_pages(limit: int = 100) -> list[str]:
    """The lists new stories change: home, archives, feeds, search, every source and category
    (first and second page), and some tags and stocks."""
    pages = ["/", "/?page=2", "/archive/", "/feed/", "/sitemap.xml", "/search/?q=%E6%B5%B7%E5%B0%94"]
    newest = Article.objects.published().order_by("-published_at").first()
    if newest:
        day = newest.published_at.astimezone(ZoneInfo(settings.TIME_ZONE))
        pages += [f"/archive/{day:%Y}/", f"/archive/{day:%Y}/{day:%m}/"]
    for model in (Source, Category):
        for item in model.objects.order_by("pk")[:limit]:
            url = item.get_absolute_url()
            pages += [url, f"{url}?page=2", f"{url}feed/"]
    for model in (ArticleTag, Stock):
        pages += [item.get_absolute_url() for item in model.objects.order_by("pk")[:10]]
    return list(dict.fromkeys(pages))[:limit]


def _pass(base: str, paths: list[str]) -> dict[str, tuple[int, bool]]:
    def one(path):
        status, headers, _ = serve.fetch(base + path)
        return path, (status, answered_from_cache(headers))

    with ThreadPoolExecutor(REQUEST_THREADS) as pool:
        return dict(pool.map(one, paths))


def _generation() -> tuple[int, int]:
    row = PageGeneration.objects.filter(pk=1).values_list("value", "listing").first()
    return row or (0, 0)


def import_new_stories(*, count: int, env: dict[str, str], work: Path) -> dict:
    """Write `count` stories no database holds yet (numbered from the clock, dated the last
    hours) and import them with import_articles in a process of its own, as cron does."""
    folder = work / f"survival-{time.time_ns():x}"
    now = datetime.now(ZoneInfo("Asia/Shanghai")).replace(tzinfo=None, microsecond=0)
    generate_corpus(folder, count, seed=int(time.time()), first_number=int(time.time()) * 1000,
                    start=now - timedelta(minutes=7 * count + 10))
    started = time.monotonic()
    try:
        done = subprocess.run(
            [serve.PYTHON, "manage.py", "import_articles", "--json", "--status", "published",
             "--trust-inferred", str(folder)],
            cwd=serve.ROOT, env=env, capture_output=True, text=True, check=False,
        )
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    if done.returncode:
        raise RuntimeError(f"import_articles failed ({done.returncode}):\n{done.stderr[-3000:]}")
    report = json.loads(done.stdout.strip().splitlines()[-1])
    report["seconds"] = time.monotonic() - started
    return report


def run(*, database_url: str, redis_url: str, work: Path, stories: int, sample: int,
        keep: bool = False, log=print) -> tuple[dict, list[Survival]]:
    """Warm a sample of story and list pages, import `stories` new stories, ask again."""
    story_pages = pick_story_pages(sample)
    list_pages = pick_list_pages()
    static_root = work / "static"
    env = serve.production_env(database_url=database_url, static_root=static_root,
                               redis_url=redis_url)
    if not (static_root / "staticfiles.json").exists():
        serve.collectstatic(env)
    last_id = Article.objects.order_by("-id").values_list("id", flat=True).first() or 0
    paths = story_pages + list_pages
    try:
        with serve.gunicorn(env) as server:
            started = time.monotonic()
            warm = _pass(server.base, paths)
            paths = [path for path in paths if warm[path][0] == 200]
            if len(paths) < len(warm):
                log(f"  survival: {len(warm) - len(paths)} sampled pages did not answer 200: "
                    f"{[p for p in warm if p not in paths][:5]}")
            before = _pass(server.base, paths)
            log(f"  survival: {len(paths)} pages warmed in {time.monotonic() - started:.1f} s "
                f"({sum(warm[path][1] for path in paths)} already cached); asked again, "
                f"{sum(hit for _, hit in before.values())} answered from the cache")
            generation = _generation()
            report = import_new_stories(count=stories, env=env, work=work)
            moved = _generation()
            log(f"  survival: import_articles created {report['created']}, updated "
                f"{report['updated']}, failed {report['failed']} in {report['seconds']:.1f} s")
            # Each worker reads the database's page generation at most this often: ask after.
            time.sleep(settings.PAGE_CACHE_GENERATION_SECONDS + 0.5)
            after = _pass(server.base, paths)
            elapsed = time.monotonic() - started
        published = Article.objects.published().filter(pk__gt=last_id).count()
    finally:
        if not keep:  # the database holds what it did (the stories leave tombstones behind)
            Article.objects.filter(pk__gt=last_id).delete()

    def flags(result, pages):
        return {path: result[path][1] for path in pages if path in result}

    rows = [
        survival("story pages", flags(before, story_pages), flags(after, story_pages)),
        survival("list pages", flags(before, list_pages), flags(after, list_pages)),
    ]
    scope = ("none" if moved == generation else
             "lists only" if moved[0] == generation[0] else "everything")
    context = {
        "stories": stories, "created": report["created"], "published": published,
        "updated": report["updated"], "failed": report["failed"],
        "import_seconds": report["seconds"], "scope": scope, "elapsed": elapsed,
        "cache_seconds": settings.PAGE_CACHE_SECONDS, "kept": keep,
    }
    for row in rows:
        log(f"  survival: {row.kind}: {row.cached_after}/{row.cached_before} still cached")
    return context, rows


def markdown(context: dict, rows: list[Survival]) -> str:
    story = rows[0].share
    verdict = ("no story page was cached before the import" if story is None else
               f"{'met' if story >= TARGET else 'not met'} ({story:.1%} ≥ {TARGET:.0%} asked)")
    lines = [
        f"Page cache across an import: {context['stories']} new story files imported by "
        f"`import_articles --status published --trust-inferred` in a process of its own "
        f"({context['created']} created, {context['published']} published, "
        f"{context['updated']} updated, {context['failed']} failed, "
        f"{context['import_seconds']:.1f} s; page generation moved: {context['scope']}). "
        f"Each page asked twice before the import and once after, on the same gunicorn; "
        f"answered from the cache = `{HIT_HEADER}: hit`. First request to last "
        f"{context['elapsed']:.0f} s (pages kept {context['cache_seconds']} s)."
        + ("" if context["kept"] else " The imported stories were deleted afterwards."),
        "",
        "| pages | sampled | cached before the import | still from the cache after | share |",
        "|---|---:|---:|---:|---:|",
    ]
    for row in rows:
        share = "–" if row.share is None else f"{row.share:.1%}"
        lines.append(f"| {row.kind} | {row.pages:,} | {row.cached_before:,} | "
                     f"{row.cached_after:,} | {share} |")
    lines += ["", f"Story pages still cached (target ≥ {TARGET:.0%}): {verdict}."]
    if context["elapsed"] >= context["cache_seconds"]:
        lines.append(f"**The pass took longer than the page cache keeps a page "
                     f"({context['cache_seconds']} s): some pages may have expired rather than "
                     f"been invalidated; take a smaller sample.**")
    return "\n".join(lines)
