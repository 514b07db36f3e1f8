"""Measure what readers' read beacons cost a cached page under load (docs/reading.md).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/nrbench_site DJANGO_DEBUG=1 \
        python manage.py bench_reads --nginx
"""

import os
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from articles.bench import reading


class Command(BaseCommand):
    help = "Cached story page throughput with wrk, alone and with concurrent read beacons."

    def add_arguments(self, parser):
        parser.add_argument("--seconds", type=int, default=10, help="wrk duration of each run")
        parser.add_argument("--repeat", type=int, default=3,
                            help="times each setup is measured, each right after the page alone")
        parser.add_argument("--connections", type=int, default=16, help="wrk connections on the page")
        parser.add_argument("--rates", default="50,200,500",
                            help="beacons per second sent beside the pages, comma-separated")
        parser.add_argument("--nginx", action="store_true",
                            help="also measure through deploy/nginx.conf (pages from its micro-cache)")
        parser.add_argument("--work", default=str(Path(settings.BASE_DIR) / "var" / "bench-reads"))

    def handle(self, *args, **options):
        database_url = os.environ.get("DATABASE_URL", "")
        if not database_url.startswith("postgres"):
            raise CommandError("set DATABASE_URL to the PostgreSQL database holding the articles")
        try:
            rates = [int(rate) for rate in options["rates"].split(",") if rate.strip()]
        except ValueError as exc:
            raise CommandError("--rates takes whole numbers, comma-separated") from exc
        try:
            context, rows = reading.run(
                database_url=database_url, work=Path(options["work"]), seconds=options["seconds"],
                connections=options["connections"], rates=rates, with_nginx=options["nginx"],
                repeat=options["repeat"],
                log=self.stderr.write)
        except RuntimeError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(reading.markdown(context, rows))
