"""Put stored stories into same-story clusters: `manage.py cluster_articles` (resumable)."""

from django.core.management.base import BaseCommand

from articles.clusters.backfill import BATCH, cluster_stored
from articles.ingest.locking import LockBusy, import_lock

EX_TEMPFAIL = 75


class Command(BaseCommand):
    help = ("Compute the same-story likeness of stories that have none (stored before clustering) "
            "and cluster them; safe to stop and run again.")

    def add_arguments(self, parser):
        parser.add_argument("--batch", type=int, default=BATCH, help="stories per transaction")

    def handle(self, *args, **options):
        self.verbosity = options["verbosity"]
        try:
            # Imports place new stories in clusters too: one of the two at a time.
            with import_lock(wait=5.0):
                done = cluster_stored(batch=options["batch"], progress=self._progress)
        except LockBusy as exc:
            self.stderr.write(f"an import is running; try again later ({exc})")
            raise SystemExit(EX_TEMPFAIL) from exc
        self.stdout.write(f"clustered {done} stories")

    def _progress(self, done: int) -> None:
        if self.verbosity >= 2:
            self.stdout.write(f"  {done} stories…")
