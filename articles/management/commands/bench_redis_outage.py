"""Kill and restart Redis under load; the site must keep answering (docs/benchmarks.md).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/nrbench_site DJANGO_DEBUG=1 \
        python manage.py bench_redis_outage --seconds 90
"""

import os
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from articles.bench import outage


class Command(BaseCommand):
    help = "Serve the load mix while a private Redis is killed and restarted; count errors."

    def add_arguments(self, parser):
        parser.add_argument("--seconds", type=int, default=90)
        parser.add_argument("--connections", type=int, default=8)
        parser.add_argument("--work", default=str(Path(settings.BASE_DIR) / "var" / "redis-outage"))

    def handle(self, *args, **options):
        database_url = os.environ.get("DATABASE_URL", "")
        if not database_url.startswith("postgres"):
            raise CommandError("set DATABASE_URL to the PostgreSQL database holding the articles")
        result = outage.run(database_url=database_url, work=Path(options["work"]),
                            seconds=options["seconds"], connections=options["connections"])
        self.stdout.write(outage.markdown(result))
        logged = sum(n for counts in result["buckets"].values() for status, n in counts.items()
                     if status not in ("2xx", "3xx"))
        if result["wrk"].errors or logged:
            raise CommandError(f"requests failed around the outage: {result['wrk'].errors} "
                               f"(wrk), {logged} error responses (access log)")
