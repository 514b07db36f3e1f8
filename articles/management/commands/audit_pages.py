"""Audit the public pages with Lighthouse and axe-core as production serves them (docs/audit.md).

    make audit        # npm ci, then: DJANGO_DEBUG=1 python manage.py audit_pages

Exits non-zero on any failing accessibility, best-practice or SEO audit but the expected one
(search results are noindex).
"""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from articles.bench import audit


class Command(BaseCommand):
    help = "Lighthouse (mobile, desktop) and axe-core (390, 1280 px) on every kind of public page."

    def add_arguments(self, parser):
        parser.add_argument("--work", default=str(Path(settings.BASE_DIR) / "var" / "audit"),
                            help="where the database, static files and Lighthouse reports go")

    def handle(self, *args, **options):
        try:
            result = audit.run(work=Path(options["work"]), log=self.stderr.write)
        except RuntimeError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(audit.table(result))
        self.stdout.write(f"Lighthouse reports: {Path(options['work']) / 'lighthouse'}/*.report.html")
        if result.failing:
            raise CommandError(f"{len(result.failing)} failing audits")
