"""Count the reads nginx logged, move readers' reads from Redis into the database and rank the
hot lists: `manage.py flush_reads`, from cron every minute (docs/reading.md)."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from redis.exceptions import RedisError

from articles.reading import beaconlog, boards, flushing

KEEP_DAYS = 31


class Command(BaseCommand):
    help = ("Add the reads counted in Redis since the last run to the hourly counts (each read exactly "
            "once, however a run ends), delete counts older than --keep-days, and rank the hot lists.")

    def add_arguments(self, parser):
        parser.add_argument("--keep-days", type=int, default=KEEP_DAYS,
                            help=f"days of hourly counts to keep (default {KEEP_DAYS}; the lists need 7)")
        parser.add_argument("--quiet", action="store_true", help="print nothing unless something fails")

    def handle(self, *args, **options):
        if options["keep_days"] < 7:
            raise CommandError("--keep-days must be at least 7: 本周热读 adds up the last seven days")
        failed, collected = False, None
        try:
            if settings.NEWSROOM_READS_LOG:
                collected = beaconlog.collect(Path(settings.NEWSROOM_READS_LOG))
        except OSError as exc:  # not readable by this user, say: the lines wait in the log
            self.stderr.write(f"nginx's reads log unreadable, its reads wait there: {exc}")
            failed = True
        except RedisError:
            pass  # said below
        try:
            flushed = flushing.flush()
        except RedisError as exc:
            # The counts stay in Redis for the next run; the lists are ranked from what is here.
            self.stderr.write(f"Redis unreachable, reads left there for the next run: {exc}")
            flushed = collected = None
        pruned = flushing.prune(keep_days=options["keep_days"])
        held = boards.refresh()
        if collected is not None and collected.unreadable:
            self.stderr.write(f"{collected.unreadable} lines of {settings.NEWSROOM_READS_LOG} are not "
                              "nginx's newsroom_reads format (deploy/nginx.conf): not counted")
        if not options["quiet"]:
            if collected is not None:
                self.stdout.write(f"read {collected.lines} lines of nginx's reads log, {collected.reads} reads")
            if flushed is not None:
                self.stdout.write(
                    f"moved {flushed.batches} batches, {flushed.reads} reads"
                    + (f" ({flushed.dropped} of deleted stories left out)" if flushed.dropped else "")
                    + (f"; {flushed.deferred} batches left for the next run" if flushed.deferred else ""))
            if pruned:
                self.stdout.write(f"deleted {pruned} hourly counts older than {options['keep_days']} days")
            self.stdout.write("；".join(f"{boards.Board(board).label} {count} 篇" for board, count in held.items()))
        if failed or flushed is None:
            raise SystemExit(1)
