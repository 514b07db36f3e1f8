"""The import under real faults, with real processes: kill -9 at random moments (workers
included), and every file rewritten while runs read it. Small sizes of `manage.py
drill_import` (articles/bench/drills.py), which runs the same drills at full size."""

import shutil
import tempfile
from pathlib import Path

from django.test import TransactionTestCase

from articles.bench import drills
from articles.models import Article


class KillTests(TransactionTestCase):
    def setUp(self):
        self.dir = Path(tempfile.mkdtemp())
        self.addCleanup(shutil.rmtree, self.dir, True)

    def test_kill_9_at_random_moments_loses_nothing_duplicates_nothing_and_frees_the_lock(self):
        report = drills.kill_rounds(self.dir, files=2000, rounds=4, seed=5, workers=2)
        self.assertEqual(report.final_exit, 0, report.final_stderr)
        killed = [r for r in report.rounds if not r["finished_first"]]
        self.assertGreaterEqual(len(killed), 3, report.rounds)  # the drill did kill runs
        self.assertEqual(report.orphans, 0, "parse workers outlived their killed parent")
        self.assertLess(report.longest_lock_wait, 5.0, report.rounds)
        self.assertEqual((report.lost, report.duplicates), (0, 0), report.rounds)
        self.assertEqual(Article.objects.count(), 2000)
        self.assertEqual(drills.leftover_runs(), 0)


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
