"""Fault drills for the import at full size: `manage.py drill_import` (docs/operations.md)."""

import json
import shutil
import tempfile
import time
from pathlib import Path

from django.core.management.base import BaseCommand

from articles.bench import drills


class Command(BaseCommand):
    help = ("Kill the import with -9 at random moments of a large run, then rewrite every file "
            "during a run; print what the database holds afterwards. Uses (and fills) the "
            "configured database: run it on a scratch one.")

    def add_arguments(self, parser):
        parser.add_argument("--files", type=int, default=20_000)
        parser.add_argument("--rounds", type=int, default=10)
        parser.add_argument("--rewrite-files", type=int, default=5_000)
        parser.add_argument("--latest-kill", type=float, default=60.0,
                            help="kill each run no later than this many seconds in")
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--work", help="folder for the generated files (default: a temporary one)")

    def handle(self, *args, **options):
        work = Path(options["work"] or tempfile.mkdtemp(prefix="drill-"))
        try:
            started = time.monotonic()
            kills = drills.kill_rounds(work / "kill", files=options["files"], rounds=options["rounds"],
                                       seed=options["seed"], latest_kill=options["latest_kill"])
            kill_seconds = time.monotonic() - started
            started = time.monotonic()
            rewrites = drills.rewrite_during_run(work / "rewrite", files=options["rewrite_files"],
                                                 seed=options["seed"] + 1,
                                                 first_number=options["files"])
            rewrite_seconds = time.monotonic() - started
        finally:
            if not options["work"]:
                shutil.rmtree(work, ignore_errors=True)
        result = {
            "kill": {"files": kills.files, "rounds": kills.rounds, "lost": kills.lost,
                     "duplicates": kills.duplicates, "orphaned_workers": kills.orphans,
                     "longest_lock_wait_s": kills.longest_lock_wait, "final_exit": kills.final_exit,
                     "seconds": round(kill_seconds, 1)},
            "rewrite": {"files": rewrites.files, "rewrites": rewrites.rewritten,
                        "stale": len(rewrites.stale), "missing": len(rewrites.missing),
                        "articles": rewrites.articles, "exits": rewrites.exits,
                        "seconds": round(rewrite_seconds, 1)},
            "running_runs_left": drills.leftover_runs(),
        }
        self.stdout.write(json.dumps(result, ensure_ascii=False, indent=2))
