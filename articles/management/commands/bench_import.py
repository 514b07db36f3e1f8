"""Benchmark the importer against its floor, on SQLite and PostgreSQL, side by side.

    python manage.py bench_import --files 100000

Figures, not a pass/fail test: see docs/benchmarks.md.
"""

import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

import psycopg
from bs4 import BeautifulSoup
from django.conf import settings
from django.core.management.base import BaseCommand

from articles.bench.corpus import generate_corpus

ROOT = Path(settings.BASE_DIR)


def floor(directory: Path) -> tuple[int, float]:
    """Read every file and parse it with BeautifulSoup, nothing else; return (files, seconds)."""
    started, count = time.perf_counter(), 0
    for base, _, names in os.walk(directory):
        for name in names:
            with open(os.path.join(base, name), "rb") as handle:
                BeautifulSoup(handle.read(), "lxml")
            count += 1
    return count, time.perf_counter() - started


def timed_import(directory: Path, url: str) -> tuple[float, int, str]:
    """Run the real command in a child process; return (seconds, peak RSS KiB, output)."""
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_DEBUG": "1"}
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, str(ROOT / "manage.py"), "import_articles", str(directory),
                           "--json"], env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr[-2000:])
    return seconds, peak, proc.stdout.strip()


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
        if not (corpus / ".complete").exists():
            shutil.rmtree(corpus, ignore_errors=True)
            started = time.perf_counter()
            generate_corpus(corpus, options["files"])
            (corpus / ".complete").touch()
            self.stdout.write(f"generated {options['files']:,} files in {time.perf_counter() - started:.1f}s")
        count, floor_s = floor(corpus)
        self.stdout.write(f"machine: {os.cpu_count()} cores; files: {count:,}")
        self.stdout.write(f"floor (read + BeautifulSoup parse, 1 process): {floor_s:.1f}s")
        for kind in options["databases"].split(","):
            url = self.fresh_database(kind, work)
            full_s, peak, out = timed_import(corpus, url)
            rerun_s, _, out2 = timed_import(corpus, url)
            self.stdout.write(
                f"{kind}: full import {full_s:.1f}s = {full_s / floor_s:.2f}x floor; "
                f"re-run {rerun_s:.2f}s = {full_s / rerun_s:.0f}x faster than the full import; "
                f"peak RSS {peak / 1024:.0f} MiB"
            )
            self.stdout.write(f"  {out[:200]}\n  {out2[:200]}")

