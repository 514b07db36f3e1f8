"""The import command as cron runs it: real processes, a shared lock, kill -9 mid-run."""

import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

from django.test import TransactionTestCase, tag

from articles.bench import drills
from articles.bench.corpus import generate_corpus
from articles.ingest.locking import import_lock
from articles.models import Article, ImportedFile, ImportRun

# One way to run the command as cron does, shared with the fault drills.
command, env = drills.import_command, drills.import_env


@tag("slow")  # real processes or a browser: left out of `make test-fast`
class ProcessTests(TransactionTestCase):
    def setUp(self):
        self.dir = Path(tempfile.mkdtemp())
        self.addCleanup(shutil.rmtree, self.dir, True)

    def test_concurrent_runs_never_duplicate(self):
        generate_corpus(self.dir, 400, seed=7)
        procs = [subprocess.Popen(command(str(self.dir), "--json", "--lock-wait", "60"), env=env(),
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for _ in range(2)]
        outputs = [p.communicate(timeout=300) for p in procs]
        codes = [p.returncode for p in procs]
        self.assertEqual(codes, [0, 0], outputs)
        results = [json.loads(out) for out, _ in outputs]
        self.assertEqual(sorted(r["created"] for r in results), [0, 400])  # one ran after the other
        self.assertEqual(Article.objects.count(), 400)
        self.assertEqual(Article.objects.values("source_file").distinct().count(), 400)

    def test_locked_out_run_exits_75_with_one_line(self):
        generate_corpus(self.dir, 3, seed=3)
        with import_lock(wait=0):
            proc = subprocess.run(command(str(self.dir), "--lock-wait", "0.5"), env=env(),
                                  capture_output=True, text=True, timeout=120)
        self.assertEqual(proc.returncode, 75, proc.stderr)
        self.assertEqual(len(proc.stderr.strip().splitlines()), 1, proc.stderr)
        self.assertIn("another import is running", proc.stderr)
        self.assertEqual(Article.objects.count(), 0)

    def test_killed_run_leaves_a_consistent_database_and_the_next_run_finishes(self):
        generate_corpus(self.dir, 1200, seed=11)
        proc = subprocess.Popen(command(str(self.dir), "--quiet", "--workers", "1"), env=env(),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 120
        while Article.objects.count() == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        partial = Article.objects.count()
        self.assertGreater(partial, 0)
        self.assertLess(partial, 1200, "killed too late to prove anything")
        # Every article written has its file recorded, and vice versa (same transaction).
        self.assertEqual(ImportedFile.objects.exclude(article=None).count(), partial)
        done = subprocess.run(command(str(self.dir), "--json"), env=env(), capture_output=True,
                              text=True, timeout=300)
        self.assertEqual(done.returncode, 0, done.stderr)
        result = json.loads(done.stdout)
        self.assertEqual(result["created"], 1200 - partial)
        self.assertEqual(result["skipped"], partial)
        self.assertEqual(Article.objects.count(), 1200)
        self.assertEqual(ImportRun.objects.get(pk=result["run"]).status, ImportRun.Status.OK)
        self.assertFalse(ImportRun.objects.filter(status=ImportRun.Status.RUNNING).exists())
