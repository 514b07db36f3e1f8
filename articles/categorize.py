"""Section rules: which editorial section a story is filed under (Category.keywords).

The rules weigh the whole story, not one word: each keyword of a section found in the title
scores TITLE_WEIGHT, and each time it occurs in the text scores one more, up to BODY_CAP times
(a word a story repeats is one piece of evidence, not ten). The section with the highest score
wins, the lower `order` on a tie; a story no keyword matches goes to the default section.
Measured on the labelled stories in tests/fixtures/sections.tsv (docs/sections.md).

Scoring is pure: the import's parse workers, which hold each story's text, score it with the
`rules` read once per run; editors re-run the rules over old stories from the admin
(`reapply_rules`).
"""

import functools
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from articles.models import Article, Category
from articles.search.tokens import plain_text

BATCH_SIZE = 500
TITLE_WEIGHT = 3
BODY_CAP = 2
_LATIN_WORD = re.compile(r"[a-z0-9]")


@dataclass(frozen=True)
class Sections:
    """Every section's rule, as plain values a parse worker can receive: the sections' ids in
    order, and patterns that find every keyword of every section in one pass over a text.

    Keywords are casefolded. A Latin keyword matches whole words only ("PPI" is not in "CPPIB",
    "AR" not in "MARKET"); a Chinese one anywhere, as Chinese has no spaces. Where keywords
    overlap, the longest counts once ("资金净流入" is not also "净流入")."""

    ids: tuple[int, ...]
    default: int | None
    owners: dict[str, tuple[int, ...]]  # keyword: the positions in `ids` of the sections naming it
    latin: re.Pattern | None  # whole words, by a pattern
    chinese: tuple[str, ...]  # anywhere, by Aho-Corasick (see _finder)

    def choose(self, *, title: str, text: str) -> int | None:
        """Return the id of the section this story is filed under, or None (no default)."""
        scores = [0] * len(self.ids)
        title, text = (title or "").casefold(), (text or "").casefold()
        for word in set(self._found(title)):
            for i in self.owners[word]:
                scores[i] += TITLE_WEIGHT
        for word, count in Counter(self._found(text)).items():
            for i in self.owners[word]:
                scores[i] += min(count, BODY_CAP)
        # The highest score; on a tie, the earlier section (by order).
        best = max(range(len(scores)), key=lambda i: (scores[i], -i), default=None)
        if best is None or scores[best] == 0:
            return self.default
        return self.ids[best]

    def _found(self, text: str) -> list[str]:
        """Every keyword occurrence in `text` (casefolded)."""
        found = [self.chinese[i] for i, _, _ in _finder(self.chinese).find_matches_as_indexes(text)] \
            if self.chinese else []
        if self.latin:
            # Whole words: the pattern checks the end; the start is checked here, as a
            # look-behind in the pattern would keep it from skipping ahead to a first letter.
            found += [m[0] for m in self.latin.finditer(text)
                      if m.start() == 0 or not _LATIN_WORD.match(text, m.start() - 1)]
        return found


def rules_of(categories: Iterable[Category] | None = None) -> Sections:
    """The rules of `categories` (default: every section)."""
    if categories is None:
        categories = Category.objects.all()
    ordered = sorted(categories, key=lambda c: (c.order, c.name))
    owners: dict[str, list[int]] = {}
    for i, category in enumerate(ordered):
        for word in dict.fromkeys(w.casefold() for w in category.keyword_list()):
            owners.setdefault(word, []).append(i)
    by_length = sorted(owners, key=lambda w: (-len(w), w))
    latin = "|".join(re.escape(w) for w in by_length if w.isascii())
    return Sections(
        ids=tuple(c.pk for c in ordered),
        default=next((c.pk for c in ordered if c.is_default), None),
        owners={word: tuple(positions) for word, positions in owners.items()},
        latin=re.compile(f"(?:{latin})(?![a-z0-9])") if latin else None,
        chinese=tuple(w for w in by_length if not w.isascii()),
    )


@functools.lru_cache(maxsize=8)
def _finder(words: tuple[str, ...]):
    """Every occurrence of `words` in one pass, the longest where several start at one place,
    none overlapping: what an alternation of the words, longest first, finds, for a fifth of
    a regular expression's time on a long story (ahocorasick-rs, as stocks.NameFinder).
    Built once per process from the words (the rules travel to the parse workers as words)."""
    import ahocorasick_rs

    return ahocorasick_rs.AhoCorasick(words, matchkind=ahocorasick_rs.MatchKind.LeftmostLongest)


def assign_category(
    *, title: str, text: str = "", summary: str = "", categories: Iterable[Category] | None = None
) -> Category | None:
    """Return the section for a story with this title and text (the summary when the text is
    not at hand), else None."""
    categories = list(Category.objects.all() if categories is None else categories)
    chosen = rules_of(categories).choose(title=title, text=text or summary)
    return next((c for c in categories if c.pk == chosen), None)


def editor_chose_category(article: Article) -> bool:
    """True when an editor, not the rules, picked this article's category.

    An imported article's category is the editor's when it differs from what the importer last
    wrote (an import that did not record a category leaves it to the rules); an article made by
    hand has no imported values, so any category it has was chosen.
    """
    imported = article.imported_values or {}
    if "category" in imported:
        return article.category_id != imported["category"]
    return not imported and article.category_id is not None


def reapply_rules(queryset) -> int:
    """Re-file the articles in `queryset` by the current rules; return how many changed."""
    return len(reclassify(queryset))


def reclassify(queryset) -> list[int]:
    """Re-file the articles in `queryset` by the current rules; return the ids that changed.

    Categories an editor chose are left alone. For the rest the new category is also recorded
    as the imported value, so the importer keeps treating the field as its own.
    """
    rules = rules_of()
    done: list[int] = []
    # Read in slices of ids, not through one open cursor: the loop writes to the same table.
    ids = list(queryset.order_by().values_list("pk", flat=True))
    for start in range(0, len(ids), BATCH_SIZE):
        rows = Article.objects.filter(pk__in=ids[start : start + BATCH_SIZE]).only(
            "id", "title", "summary", "body", "category_id", "imported_values"
        )
        changed = [article for article in rows if _refile(article, rules)]
        # bulk_update skips Article.save(): the search text does not depend on the category.
        Article.objects.bulk_update(changed, ["category", "imported_values"])
        done += [article.pk for article in changed]
    return done


def _refile(article: Article, rules: Sections) -> bool:
    """Give `article` the category the rules pick; return whether that changed anything."""
    if editor_chose_category(article):
        return False
    new_id = rules.choose(title=article.title, text=plain_text(article.body) or article.summary)
    if new_id == article.category_id:
        return False
    article.category_id = new_id
    if article.imported_values:
        article.imported_values = {**article.imported_values, "category": new_id}
    return True
