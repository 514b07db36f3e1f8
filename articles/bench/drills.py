"""Fault drills for the import, with real processes: kill -9 at random moments, and files
rewritten (write to a temporary file, then rename) while a run reads them.

Both drills run `manage.py import_articles` as cron does, against the database of the
calling process, and check the result from the database afterwards. The fault suite
(tests/faults/) runs them small; `manage.py drill_import` runs them at full size and prints
the figures docs/operations.md quotes.
"""

import contextlib
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from django.db import connection
from django.db.models import Count

from articles.bench.corpus import generate_corpus
from articles.ingest.locking import LockBusy, import_lock
from articles.models import Article, ImportedFile, ImportRun

ROOT = Path(__file__).resolve().parent.parent.parent
TITLE_LINE = re.compile(r'^title: "(?P<title>.*)"$', re.M)


def database_url() -> str:
    """The URL of the database this process uses, for the import processes to share it."""
    s = connection.settings_dict
    if connection.vendor == "postgresql":
        user = s["USER"] or "postgres"
        return f"postgres://{user}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"
    return f"sqlite:///{s['NAME']}"


def import_command(*args: str) -> list[str]:
    return [sys.executable, str(ROOT / "manage.py"), "import_articles", *args]


def import_env() -> dict:
    return {**os.environ, "DATABASE_URL": database_url(), "DJANGO_DEBUG": "1"}


def run_import(directory: Path, *extra: str, timeout: float = 1800) -> subprocess.CompletedProcess:
    return subprocess.run(import_command(str(directory), "--quiet", *extra), env=import_env(),
                          capture_output=True, text=True, timeout=timeout)


@dataclass
class KillReport:
    files: int
    rounds: list[dict] = field(default_factory=list)
    lost: int = 0
    duplicates: int = 0
    orphans: int = 0
    final_exit: int | None = None
    final_stderr: str = ""

    @property
    def longest_lock_wait(self) -> float:
        return max((r["lock_free_after"] for r in self.rounds), default=0.0)


def _processes_reading(directory: Path) -> list[int]:
    """Pids of processes whose command line names `directory` (import parents and workers)."""
    marker = os.fsencode(str(directory))
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as handle:
                if marker in handle.read():
                    found.append(int(entry))
        except OSError:
            continue
    return found


def _lock_free_after(limit: float = 30.0) -> float:
    """Seconds until this process can take the import lock (`limit` if it never could)."""
    started = time.monotonic()
    while True:
        try:
            with import_lock(wait=0):
                return time.monotonic() - started
        except LockBusy:
            if time.monotonic() - started > limit:
                return limit
            time.sleep(0.05)


def kill_rounds(directory: Path, *, files: int, rounds: int, seed: int = 1,
                latest_kill: float = 60.0, workers: int | None = None) -> KillReport:
    """Import `files` generated files, killing the import (-9) at a random moment `rounds`
    times, then once normally; return what the database holds afterwards."""
    rng = random.Random(seed)
    generate_corpus(directory, files, seed=seed)
    report = KillReport(files=files)
    extra = ["--workers", str(workers)] if workers else []
    for number in range(rounds):
        before = Article.objects.count()
        process = subprocess.Popen(import_command(str(directory), "--quiet", *extra), env=import_env(),
                                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        # A random moment: once a random share of this round's fair part of the remaining
        # files is written (or at a random time during start-up, before any is), plus a random
        # fraction of a second, so kills land while parsing, storing and committing alike.
        fair = max(1, (files - before) // (rounds - number))
        target = before + (0 if rng.random() < 0.2 else rng.randint(1, fair))
        deadline = time.monotonic() + latest_kill
        while (process.poll() is None and Article.objects.count() < target
               and time.monotonic() < deadline):
            time.sleep(0.02)
        delay = rng.uniform(0.0, 0.15)
        try:
            process.wait(timeout=delay)
            finished = True
        except subprocess.TimeoutExpired:
            os.kill(process.pid, signal.SIGKILL)
            process.wait()
            finished = False
        lock_free_after = _lock_free_after()
        time.sleep(0.5)  # the kernel's SIGKILL of orphaned workers is immediate; allow a little
        orphans = _processes_reading(directory)
        report.orphans += len(orphans)
        for pid in orphans:  # so the next round is not disturbed by them
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        report.rounds.append({
            "round": number + 1, "target": target, "finished_first": finished,
            "articles_before": before, "articles_after": Article.objects.count(),
            "lock_free_after": round(lock_free_after, 2), "orphans": len(orphans),
        })
    final = run_import(directory, *extra)
    report.final_exit, report.final_stderr = final.returncode, final.stderr[-2000:]
    recorded = ImportedFile.objects.filter(path__startswith=f"{directory}{os.sep}")
    report.lost = files - recorded.exclude(article=None).count()
    report.duplicates = (
        Article.objects.values("source_file").annotate(n=Count("id")).filter(n__gt=1).count()
        + max(0, Article.objects.count() - files)
    )
    return report


@dataclass
class RewriteReport:
    files: int
    rewritten: int = 0
    stale: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    articles: int = 0
    exits: list[int] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def _rewrite(path: Path, version: int, base_titles: dict[Path, str | None]) -> str | None:
    """Rewrite `path` as a scraper does (temporary file, then rename) as its `version`th
    edition; return the post's new title, or None for a page dump (rewritten as it was)."""
    content = path.read_text("utf-8")
    if path not in base_titles:
        match = TITLE_LINE.search(content)
        base_titles[path] = match["title"] if match else None
    title = None
    if base_titles[path] is not None:
        title = f"{base_titles[path]}（第{version}版）"
        content = TITLE_LINE.sub(lambda m: f'title: "{title}"', content, count=1)
    temporary = path.with_name(f".{path.name}.{version}.tmp")
    temporary.write_text(content, "utf-8")
    os.replace(temporary, path)
    return title


def rewrite_during_run(directory: Path, *, files: int, seed: int = 2, rounds: int = 2,
                       first_number: int = 0) -> RewriteReport:
    """Import `files` generated files, then run the import `rounds` times while files are
    rewritten (new titles) without pause until each run ends; then run twice more. Return
    which stories lack their newest title."""
    generate_corpus(directory, files, seed=seed, first_number=first_number)
    paths = sorted(p for p in directory.rglob("*") if p.is_file())
    newest: dict[str, str | None] = {}
    base_titles: dict[Path, str | None] = {}
    report = RewriteReport(files=files)
    first = run_import(directory)  # the stories exist; the rewrites below are updates
    report.exits.append(first.returncode)
    rng = random.Random(seed)
    version = 0
    for _ in range(rounds):
        with tempfile.TemporaryFile() as errors:
            process = subprocess.Popen(import_command(str(directory), "--quiet"), env=import_env(),
                                       stdout=subprocess.DEVNULL, stderr=errors)
            # Every file once at least, then on until the run ends.
            order = paths[:]
            rng.shuffle(order)
            while order or process.poll() is None:
                path = order.pop() if order else rng.choice(paths)
                version += 1
                newest[str(path)] = _rewrite(path, version, base_titles)
                report.rewritten += 1
            report.exits.append(process.wait(timeout=1800))
            errors.seek(0)
            report.errors.append(errors.read().decode("utf-8", "replace")[-4000:])
    for _ in range(2):
        done = run_import(directory)
        report.exits.append(done.returncode)
        report.errors.append(done.stderr[-4000:])
    by_path = dict(ImportedFile.objects.values_list("path", "article__title"))
    for path, title in newest.items():
        if path not in by_path or by_path[path] is None:
            report.missing.append(path)
        elif title is not None and by_path[path] != title:
            report.stale.append(path)
    report.articles = (ImportedFile.objects.filter(path__startswith=f"{directory}{os.sep}")
                       .values("article").distinct().count())
    return report


def leftover_runs() -> int:
    """Import runs still marked running although no import is (there should be none)."""
    return ImportRun.objects.filter(status=ImportRun.Status.RUNNING).count()
