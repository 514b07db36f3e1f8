"""How well the importer finds companies in story text, measured against stories labelled by
reading (tests/fixtures/companies.tsv): precision and recall of the stocks it links (chart
blocks and names written with codes) and of the ones it suggests (bare names). Used by
tests/test_stock_linking.py and by `manage.py evaluate_linking` for docs/stocks.md."""

from dataclasses import dataclass
from pathlib import Path

from articles.ingest.parsing import ParseError, parse_file
from articles.ingest.reading import is_news_name
from articles.models import Stock
from articles.stocks import NameFinder, directory_names


@dataclass
class Score:
    found: int = 0
    right: int = 0
    labelled: int = 0

    @property
    def precision(self) -> float:
        return self.right / self.found if self.found else 1.0

    @property
    def recall(self) -> float:
        return self.right / self.labelled if self.labelled else 1.0


def labels(path: Path) -> dict[str, set[str]]:
    found = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("#") or not line.strip():
            continue
        name, symbols = line.split("\t")
        found[name] = set() if symbols.strip() == "-" else set(symbols.split())
    return found


def evaluate(fixtures: Path, labelled: dict[str, set[str]]) -> tuple[dict[str, Score], list[tuple]]:
    """(scores for linked, suggested and both; per-story misses and extras)."""
    symbols = {pk: f"{market}{code}" for pk, market, code in Stock.objects.values_list("pk", "market", "code")}
    finder = NameFinder(directory_names(Stock.objects.values_list("pk", "name", "former_names", "aliases")))
    scores = {"linked": Score(), "suggested": Score(), "both": Score()}
    details = []
    for name, gold in sorted(labelled.items()):
        if not is_news_name(name):
            continue  # the importer never reads it (finews/INDEX.tsv)
        try:
            parsed = parse_file(fixtures / name)
        except ParseError:
            linked, suggested = set(), set()
        else:
            linked = {ref.symbol for ref in parsed.stocks}
            suggested = set()
            for group in finder.find(parsed.title + "\n" + parsed.text):
                group_symbols = {symbols[pk] for pk in group}
                if not group_symbols & linked:
                    suggested |= group_symbols
        for key, found in (("linked", linked), ("suggested", suggested), ("both", linked | suggested)):
            score = scores[key]
            score.found += len(found)
            score.right += len(found & gold)
        scores["linked"].labelled += len(gold)
        scores["suggested"].labelled += len(gold - linked)
        scores["both"].labelled += len(gold)
        if (linked | suggested) != gold:
            details.append((name, sorted(gold - linked - suggested), sorted((linked | suggested) - gold)))
    return scores, details
