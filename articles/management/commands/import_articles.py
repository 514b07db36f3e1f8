"""Import scraped news files: `manage.py import_articles PATH [PATH ...]` (cron-safe)."""

import json
import logging
import sys
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import InterfaceError, OperationalError

from articles.ingest.locking import LockBusy
from articles.ingest.pipeline import RunReport, import_paths
from articles.models import Article

EX_TEMPFAIL = 75  # sysexits.h: "try again later" — another run holds the lock


class Command(BaseCommand):
    help = "Import news files (Jekyll posts and plain-text page dumps) from files or directories."

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", help="files or directories (searched recursively)")
        parser.add_argument("--json", action="store_true", help="print one JSON object, nothing else")
        parser.add_argument("--dry-run", action="store_true", help="show what would change; write nothing")
        parser.add_argument("--quiet", action="store_true", help="print only failures")
        parser.add_argument(
            "--status", choices=[s.value for s in Article.Status],
            help="status of newly created articles (default: NEWSROOM_IMPORT_STATUS, 'review')",
        )
        parser.add_argument(
            "--trust-inferred", action="store_true",
            help="give stories whose title or date was guessed the --status asked for "
                 "(by default they wait in review when it is 'published')",
        )
        parser.add_argument("--max-bytes", type=int, help="refuse files larger than this")
        parser.add_argument("--workers", type=int, help="parser processes (default: CPU count)")
        parser.add_argument("--lock-wait", type=float, default=5.0,
                            help="seconds to wait for a running import before giving up (exit 75)")
        parser.add_argument("--force", action="store_true",
                            help="re-read files even when size and mtime are unchanged")

    def handle(self, *args, **options):
        if options["max_bytes"] is not None and options["max_bytes"] <= 0:
            raise CommandError("--max-bytes must be positive")
        if options["verbosity"] < 2:
            # The run is in the ledger (ImportRun) and in this command's own summary; a log
            # line on top would only add noise to cron mail and break --json.
            logging.getLogger("articles.import").setLevel(logging.WARNING)
        started = time.monotonic()
        progress = None
        if not (options["json"] or options["quiet"]) and sys.stdout.isatty():
            progress = self._progress
        try:
            report = import_paths(
                options["paths"], status=options["status"], dry_run=options["dry_run"],
                max_bytes=options["max_bytes"], workers=options["workers"],
                lock_wait=options["lock_wait"], progress=progress, force=options["force"],
                trust_inferred=options["trust_inferred"],
            )
        except LockBusy as exc:
            self.stderr.write(f"import_articles: {exc}; exiting (will run next time)")
            sys.exit(EX_TEMPFAIL)
        except (OperationalError, InterfaceError) as exc:
            # The database went away or stayed locked: no file is to blame. What was committed
            # stays; the next run marks this one failed in the ledger and redoes the rest.
            reason = " ".join(str(exc).split()) or type(exc).__name__
            self.stderr.write(f"import_articles: database unavailable, run stopped: {reason}")
            sys.exit(1)
        if progress:
            self.stdout.write("\r\033[K", ending="")
        if options["json"]:
            self.stdout.write(json.dumps(report.as_dict(), ensure_ascii=False))
        else:
            self._summary(report, time.monotonic() - started, quiet=options["quiet"])
        if report.failed:
            sys.exit(1)

    def _progress(self, report: RunReport) -> None:
        self.stdout.write(
            f"\r{report.total} files: {report.created} new, {report.updated} updated, "
            f"{report.skipped} skipped, {report.failed} failed",
            ending="",
        )
        self.stdout.flush()

    def _summary(self, report: RunReport, seconds: float, *, quiet: bool) -> None:
        for error in report.errors:
            self.stderr.write(f"FAILED {error['path']}: {error['error']}")
        if quiet:
            return
        prefix = "dry run (nothing written)" if report.dry_run else f"import run #{report.run_id}"
        parts = [
            f"{report.created} created", f"{report.updated} updated",
            f"{report.unchanged} unchanged", f"{report.skipped} skipped (not modified)",
        ]
        for name in ("conflicts", "duplicates", "suppressed", "ignored"):
            if getattr(report, name):
                parts.append(f"{getattr(report, name)} {name}")
        parts.append(f"{report.failed} failed")
        self.stdout.write(f"{prefix}: {', '.join(parts)} in {seconds:.1f}s")
        if report.conflicts:
            self.stdout.write(
                f"{report.conflicts} article(s) changed at the source after an editor's edit: "
                "see 需复核 in the admin"
            )
