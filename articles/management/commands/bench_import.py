"""Benchmark the importer against its floor, on SQLite and PostgreSQL, side by side.

    python manage.py bench_import --files 100000

Figures, not a pass/fail test: see docs/benchmarks.md.
"""

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg
from bs4 import BeautifulSoup
from django.conf import settings
from django.core.management.base import BaseCommand

from articles.bench import corpus as bench_corpus
from articles.bench.corpus import generate_corpus

ROOT = Path(settings.BASE_DIR)


def floor(directory: Path) -> tuple[int, float]:
    """Read every file and parse it with BeautifulSoup, nothing else; return (files, seconds)."""
    started, count = time.perf_counter(), 0
    for base, _, names in os.walk(directory):
        for name in names:
            if name.startswith("."):
                continue
            with open(os.path.join(base, name), "rb") as handle:
                BeautifulSoup(handle.read(), "lxml")
            count += 1
    return count, time.perf_counter() - started


def timed_import(directory: Path, url: str) -> tuple[float, int, str]:
    """Run the real command in a child process; return (seconds, peak RSS KiB, output).

    The peak is this run's alone: wait4() reports the child's maximum RSS, its parse workers
    included (the largest of them), not the maximum over every child the benchmark started."""
    # As cron runs it: production settings (DEBUG keeps every query's SQL and times it).
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_DEBUG": "0", "DJANGO_ALLOWED_HOSTS": "localhost",
           "DJANGO_SECRET_KEY": os.environ.get("DJANGO_SECRET_KEY") or "bench-import-only"}
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        started = time.perf_counter()
        proc = subprocess.Popen([sys.executable, str(ROOT / "manage.py"), "import_articles",
                                 str(directory), "--json"], env=env, stdout=out, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        if proc.returncode != 0:
            raise RuntimeError(err.read()[-2000:])
        return seconds, usage.ru_maxrss, out.read().strip()


class Command(BaseCommand):
    help = "Measure import speed against a bare read+parse floor on SQLite and PostgreSQL."

    def add_arguments(self, parser):
        parser.add_argument("--files", type=int, default=100_000)
        parser.add_argument("--dir", default=str(ROOT / "var" / "bench"))
        parser.add_argument("--databases", default="sqlite,postgres")
        parser.add_argument("--pg-admin-url", default="postgres://postgres@127.0.0.1:5432/postgres")

    def fresh_database(self, kind: str, work: Path) -> str:
        env = {**os.environ, "DJANGO_DEBUG": "1"}
        if kind == "sqlite":
            path = work / "bench.sqlite3"
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
            url = f"sqlite:///{path}"
        else:
            with psycopg.connect(self.pg_admin, autocommit=True) as conn:
                conn.execute("DROP DATABASE IF EXISTS newsroom_bench")
                conn.execute("CREATE DATABASE newsroom_bench")
            url = self.pg_admin.rsplit("/", 1)[0] + "/newsroom_bench"
        subprocess.run([sys.executable, str(ROOT / "manage.py"), "migrate", "-v0"],
                       env={**env, "DATABASE_URL": url}, check=True)
        return url

    def handle(self, *args, **options):
        self.pg_admin = options["pg_admin_url"]
        work = Path(options["dir"])
        corpus = work / f"corpus-{options['files']}"
        # A corpus made by another version of the generator is made again.
        version = hashlib.sha256(Path(bench_corpus.__file__).read_bytes()).hexdigest()[:16]
        complete = corpus / ".complete"
        if not complete.exists() or complete.read_text() != version:
            shutil.rmtree(corpus, ignore_errors=True)
            started = time.perf_counter()
            generate_corpus(corpus, options["files"])
            complete.write_text(version)
            self.stdout.write(f"generated {options['files']:,} files in {time.perf_counter() - started:.1f}s")
        self.stdout.write(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}")
        for kind in options["databases"].split(","):
            url = self.fresh_database(kind, work)
            # The floor right before each import, so both see the same (shared, noisy) machine.
            # Twice, the faster counting: the first pass may also be reading the files into the
            # page cache (a cold first pass measured 48-54 s against 36-39 s warm), which
            # would flatter the import's ratio.
            (count, first), (_, second) = floor(corpus), floor(corpus)
            floor_s = min(first, second)
            self.stdout.write(f"{kind}: floor (read + BeautifulSoup parse of {count:,} files, "
                              f"1 process, best of {first:.1f}s and {second:.1f}s) {floor_s:.1f}s")
            full_s, peak, out = timed_import(corpus, url)
            rerun_s, _, out2 = timed_import(corpus, url)
            self.stdout.write(
                f"{kind}: full import {full_s:.1f}s = {full_s / floor_s:.2f}x floor; "
                f"re-run {rerun_s:.2f}s = {full_s / rerun_s:.0f}x faster than the full import; "
                f"peak RSS {peak / 1024:.0f} MiB"
            )
            self.stdout.write(f"  {out[:200]}\n  {out2[:200]}")

