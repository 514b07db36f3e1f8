"""Benchmark the public pages against a static file served the same way (docs/benchmarks.md).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/nrbench_site DJANGO_DEBUG=1 \
        python manage.py bench_site --nginx

Figures, not a pass/fail test.
"""

import os
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from articles.bench import site


class Command(BaseCommand):
    help = "Measure home, article, source list and search pages with wrk against a static file."

    def add_arguments(self, parser):
        parser.add_argument("--seconds", type=int, default=20, help="wrk duration per URL")
        parser.add_argument("--connections", type=int, default=16)
        parser.add_argument("--threads", type=int, default=1, help="wrk threads")
        parser.add_argument("--search", default="海尔", help="the search query measured")
        parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/3")
        parser.add_argument("--nginx", action="store_true",
                            help="also measure through deploy/nginx.conf's micro-cache")
        parser.add_argument("--work", default=str(Path(settings.BASE_DIR) / "var" / "bench-site"))

    def handle(self, *args, **options):
        database_url = os.environ.get("DATABASE_URL", "")
        if not database_url.startswith("postgres"):
            raise CommandError("set DATABASE_URL to the PostgreSQL database holding the articles")
        try:
            context, rows = site.run(
                database_url=database_url, redis_url=options["redis_url"],
                work=Path(options["work"]), seconds=options["seconds"],
                connections=options["connections"], threads=options["threads"],
                search=options["search"], with_nginx=options["nginx"], log=self.stderr.write,
            )
        except RuntimeError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(site.markdown(context, rows))
