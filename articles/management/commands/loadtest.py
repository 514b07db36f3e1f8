"""Bounded load + soak run with an import alongside (docs/benchmarks.md, "Load and soak").

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/nrbench_site DJANGO_DEBUG=1 \
        python manage.py loadtest var/bench-site/corpus-120000/01?? --seconds 600

Loopback only; stops by itself. Exits 1 if a check fails (errors, a request over
--max-latency-ms, a file or article lost), so it can gate a release candidate.
"""

import os
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from articles.bench import load


class Command(BaseCommand):
    help = "Serve a request mix with gunicorn + PostgreSQL + Redis while an import runs; check."

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", help="new files to import during the run")
        parser.add_argument("--seconds", type=int, default=300)
        parser.add_argument("--connections", type=int, default=8)
        parser.add_argument("--import-delay", type=int, default=30,
                            help="seconds of load before the import starts")
        parser.add_argument("--max-latency-ms", type=float, default=2000)
        parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/3")
        parser.add_argument("--max-requests", type=int,
                            help="gunicorn worker recycling (0: never, to expose leaks)")
        parser.add_argument("--work", default=str(Path(settings.BASE_DIR) / "var" / "loadtest"))

    def handle(self, *args, **options):
        database_url = os.environ.get("DATABASE_URL", "")
        if not database_url.startswith("postgres"):
            raise CommandError("set DATABASE_URL to the PostgreSQL database holding the articles")
        try:
            outcome = load.run(
                database_url=database_url, redis_url=options["redis_url"],
                import_paths=[Path(p).resolve() for p in options["paths"]],
                work=Path(options["work"]), seconds=options["seconds"],
                connections=options["connections"], import_delay=options["import_delay"],
                max_requests=options["max_requests"], log=self.stderr.write,
            )
        except RuntimeError as exc:
            raise CommandError(str(exc)) from exc
        report = load.markdown(outcome, seconds=options["seconds"],
                               connections=options["connections"],
                               max_latency_ms=options["max_latency_ms"],
                               max_requests=options["max_requests"])
        self.stdout.write(report)
        if "**NO**" in report:
            raise CommandError("load test: a check failed (see the table above)")
