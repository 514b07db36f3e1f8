"""How well same-story clustering works, measured against pairs of stories labelled by reading
(tests/fixtures/same_story.tsv): precision and recall of "these two are one story".

evaluate() imports every labelled file through the real pipeline (into the current database:
tests and `manage.py evaluate_clusters` run it on an empty test database) and asks whether the
two stories of each pair ended in one cluster, the decision readers and editors see.
sweep() applies the pairwise rule alone, with other thresholds, for docs/clusters.md.
"""

import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from articles.clusters import likeness as rule
from articles.ingest.parsing import ParseError, parse_file


@dataclass(frozen=True)
class Pair:
    a: str
    b: str
    same: bool
    kind: str
    note: str = ""


@dataclass
class Score:
    true_pos: int = 0
    false_pos: int = 0
    false_neg: int = 0
    true_neg: int = 0
    misses: list = field(default_factory=list)  # (pair, predicted)
    kinds: Counter = field(default_factory=Counter)  # errors by kind

    def add(self, pair: Pair, predicted: bool) -> None:
        if pair.same and predicted:
            self.true_pos += 1
        elif pair.same:
            self.false_neg += 1
        elif predicted:
            self.false_pos += 1
        else:
            self.true_neg += 1
        if predicted != pair.same:
            self.misses.append((pair, predicted))
            self.kinds[pair.kind] += 1

    @property
    def precision(self) -> float:
        found = self.true_pos + self.false_pos
        return self.true_pos / found if found else 1.0

    @property
    def recall(self) -> float:
        labelled = self.true_pos + self.false_neg
        return self.true_pos / labelled if labelled else 1.0


def read_pairs(path: Path) -> list[Pair]:
    pairs = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#") or line.startswith("a\tb\t"):
            continue
        a, b, label, kind, *note = line.split("\t")
        if label not in ("same", "different"):
            raise ValueError(f"label must be same or different: {line!r}")
        pairs.append(Pair(a, b, label == "same", kind, note[0] if note else ""))
    return pairs


def locate(name: str, roots: dict[str, Path]) -> Path:
    """The file a pair names as `root:file`."""
    root, _, file = name.partition(":")
    return roots[root] / file


def evaluate(pairs: list[Pair], roots: dict[str, Path]) -> Score:
    """Import every file the pairs name (published, one process) and score the clusters."""
    from articles.ingest.pipeline import import_paths
    from articles.models import Article, ImportedFile

    files = sorted({os.fspath(locate(name, roots)) for pair in pairs for name in (pair.a, pair.b)})
    import_paths(files, status="published", workers=1, trust_inferred=True)
    article_of = dict(ImportedFile.objects.filter(path__in=files).values_list("path", "article_id"))
    cluster_of = dict(Article.objects.filter(pk__in=[pk for pk in article_of.values() if pk])
                      .values_list("pk", "cluster_id"))
    score = Score()
    for pair in pairs:
        a = article_of.get(os.fspath(locate(pair.a, roots)))
        b = article_of.get(os.fspath(locate(pair.b, roots)))
        same = a is not None and b is not None and (
            a == b or (cluster_of.get(a) is not None and cluster_of.get(a) == cluster_of.get(b)))
        score.add(pair, same)
    return score


def sweep(pairs: list[Pair], roots: dict[str, Path], containments: list[float]) -> dict[float, Score]:
    """Score the pairwise rule alone (no database: the figures and words, not the companies)
    at each minimum containment."""
    cache: dict[str, rule.Likeness | None] = {}

    def likeness(name):
        if name not in cache:
            try:
                cache[name] = rule.likeness_of(parse_file(locate(name, roots)).text)
            except ParseError:
                cache[name] = None
        return cache[name]

    scores = {}
    for threshold in containments:
        score = Score()
        for pair in pairs:
            a, b = likeness(pair.a), likeness(pair.b)
            score.add(pair, a is not None and b is not None
                      and rule.same_story(a, b, min_containment=threshold) is not None)
        scores[threshold] = score
    return scores
