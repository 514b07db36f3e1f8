"""Write a benchmark corpus built from the real seed and corpus files (docs/benchmarks.md).

    python manage.py bench_corpus var/bench-site/corpus-120000 --files 120000

1,000 files per numbered folder (0000, 0001, …), one in ten a plain-text page dump, the rest
Jekyll posts with varied ids, dates, publishers, stocks and text. Same seed, same files.
"""

from pathlib import Path

from django.core.management.base import BaseCommand

from articles.bench.corpus import generate_corpus


class Command(BaseCommand):
    help = "Write N realistic news files (both formats) for the benchmarks."

    def add_arguments(self, parser):
        parser.add_argument("directory")
        parser.add_argument("--files", type=int, default=100_000)
        parser.add_argument("--seed", type=int, default=1)

    def handle(self, *args, **options):
        directory = generate_corpus(Path(options["directory"]), options["files"], seed=options["seed"])
        self.stdout.write(f"wrote {options['files']:,} files under {directory}")
