"""Refresh the stock directory from a newer CSV (articles/stocks.py reads both layouts)."""

from django.core.management.base import BaseCommand, CommandError

from articles import stocks
from articles.cache import bump_cache_version
from articles.models import Stock


class Command(BaseCommand):
    help = ("Load a stock directory CSV (market,code,name,full_name,former_names,listed_on,status, "
            "or adata's stock_code,short_name,list_date2): new companies are added, names refreshed "
            "(a replaced name kept as a former name), names editors set are kept.")

    def add_arguments(self, parser):
        parser.add_argument("file")

    def handle(self, *args, file, **options):
        try:
            with open(file, encoding="utf-8-sig") as lines:
                rows = list(stocks.read_rows(lines))
        except (OSError, UnicodeDecodeError, ValueError) as error:
            raise CommandError(f"cannot read {file}: {error}") from error
        if not rows:
            raise CommandError(f"{file}: no stock rows (is it a stock directory CSV?)")
        report = stocks.load(Stock, rows)
        if report.created or report.updated:
            bump_cache_version()
        self.stdout.write(f"{len(rows)} rows: {report.created} added, {report.updated} updated, "
                          f"{report.unchanged} unchanged, {report.kept_editors} names kept as editors set them")
