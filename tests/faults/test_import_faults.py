"""The import under real faults, with real processes: kill -9 at random moments (workers
included), and every file rewritten while runs read it. Small sizes of `manage.py
drill_import` (articles/bench/drills.py), which runs the same drills at full size."""

import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from django.db import connection
from django.test import TransactionTestCase, tag

from articles.bench import drills
from articles.bench.corpus import generate_corpus
from articles.models import Article, ImportedFile


@tag("slow")  # real processes or a browser: left out of `make test-fast`
class KillTests(TransactionTestCase):
    def setUp(self):
        self.dir = Path(tempfile.mkdtemp())
        self.addCleanup(shutil.rmtree, self.dir, True)

    def test_kill_9_at_random_moments_loses_nothing_duplicates_nothing_and_frees_the_lock(self):
        report = drills.kill_rounds(self.dir, files=3000, rounds=4, seed=5, workers=2)
        self.assertEqual(report.final_exit, 0, report.final_stderr)
        killed = [r for r in report.rounds if not r["finished_first"]]
        self.assertGreaterEqual(len(killed), 3, report.rounds)  # the drill did kill runs
        self.assertEqual(report.orphans, 0, "parse workers outlived their killed parent")
        self.assertLess(report.longest_lock_wait, 5.0, report.rounds)
        self.assertEqual((report.lost, report.duplicates), (0, 0), report.rounds)
        self.assertEqual(Article.objects.count(), 3000)
        self.assertEqual(drills.leftover_runs(), 0)


@tag("slow")  # real processes or a browser: left out of `make test-fast`
class RewriteTests(TransactionTestCase):
    def setUp(self):
        self.dir = Path(tempfile.mkdtemp())
        self.addCleanup(shutil.rmtree, self.dir, True)

    def test_files_rewritten_during_runs_end_with_their_newest_content(self):
        report = drills.rewrite_during_run(self.dir, files=800, seed=3, rounds=2)
        self.assertGreaterEqual(report.rewritten, 1600)
        self.assertEqual(report.exits, [0, 0, 0, 0, 0], report.errors)
        self.assertEqual(report.missing, [])
        self.assertEqual(report.stale, [], f"{len(report.stale)} stories kept an older title")
        self.assertEqual(report.articles, 800)


@tag("slow")  # real processes or a browser: left out of `make test-fast`
class DroppedConnectionTests(TransactionTestCase):
    def setUp(self):
        self.dir = Path(tempfile.mkdtemp())
        self.addCleanup(shutil.rmtree, self.dir, True)

    def test_a_dropped_database_connection_stops_the_run_cleanly_and_the_next_run_finishes(self):
        if connection.vendor != "postgresql":
            self.skipTest("SQLite has no server connection to drop")
        files = 4000
        generate_corpus(self.dir, files, seed=9)
        self.assertEqual(Article.objects.count(), 0)
        process = subprocess.Popen(drills.import_command(str(self.dir), "--quiet"), env=drills.import_env(),
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 120
        while Article.objects.count() < 200 and time.monotonic() < deadline:
            time.sleep(0.02)
        # What a PostgreSQL restart or failover does to the import's session: until it is seen.
        while process.poll() is None and time.monotonic() < deadline:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()")
            time.sleep(0.1)
        _, err = process.communicate(timeout=120)
        partial = Article.objects.count()
        self.assertLess(partial, files, "the connection was dropped too late to prove anything")
        self.assertEqual(process.returncode, 1, err)
        # The command's own last word is one line (log records of other parts may precede it).
        self.assertTrue(err.strip().splitlines()[-1].startswith(
            "import_articles: database unavailable, run stopped:"), err[-2000:])
        self.assertEqual(ImportedFile.objects.exclude(article=None).count(), partial)  # no half batch
        done = drills.run_import(self.dir)
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertEqual(Article.objects.count(), files)
        self.assertEqual(drills.leftover_runs(), 0)
