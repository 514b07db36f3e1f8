"""Benchmark the public pages against a static file served the same way (docs/benchmarks.md).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/nrbench_site DJANGO_DEBUG=1 \
        python manage.py bench_site --nginx

Then how many story pages stay cached across an import of 100 new stories (--only-survival
for that part alone, --survival-sample 0 to skip it). Figures, not a pass/fail test.
--fill N first grows the database to N published stories (articles/bench/fill.py).
"""

import os
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from articles.bench import database, fill, site, survival


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
        parser.add_argument("--survival-sample", type=int, default=1000,
                            help="story pages asked before and after an import of new stories "
                                 "(0: skip that part)")
        parser.add_argument("--survival-stories", type=int, default=100,
                            help="new stories the import adds")
        parser.add_argument("--only-survival", action="store_true",
                            help="measure only the page cache across an import (no wrk)")
        parser.add_argument("--keep-imported", action="store_true",
                            help="leave the imported stories in the database (default: delete)")
        parser.add_argument("--fill", type=int, metavar="N",
                            help="first grow the database to N published stories by cloning the "
                                 "ones there (resumable; nothing to do if it holds N already)")

    def handle(self, *args, **options):
        database_url = os.environ.get("DATABASE_URL", "")
        if not database_url.startswith("postgres"):
            raise CommandError("set DATABASE_URL to the PostgreSQL database holding the articles")
        if options["only_survival"] and options["survival_sample"] <= 0:
            raise CommandError("--only-survival needs a --survival-sample above 0")
        work = Path(options["work"])
        output = []
        try:
            if options["fill"]:
                fill.fill(options["fill"], log=self.stderr.write)
            if not options["only_survival"]:
                counted = database.start()
                context, rows = site.run(
                    database_url=database_url, redis_url=options["redis_url"], work=work,
                    seconds=options["seconds"], connections=options["connections"],
                    threads=options["threads"], search=options["search"],
                    with_nginx=options["nginx"], log=self.stderr.write,
                )
                output.append(site.markdown(context, rows))
                output.append(database.markdown(database.report(counted=counted)))
            if options["survival_sample"] > 0:
                context, rows = survival.run(
                    database_url=database_url, redis_url=options["redis_url"], work=work,
                    stories=options["survival_stories"], sample=options["survival_sample"],
                    keep=options["keep_imported"], log=self.stderr.write,
                )
                output.append(survival.markdown(context, rows))
        except RuntimeError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write("\n\n".join(output))
