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

import re
from collections.abc import Iterable
from dataclasses import dataclass

from django.utils.html import strip_tags

from articles.models import Article, Category

BATCH_SIZE = 500
TITLE_WEIGHT = 3
BODY_CAP = 2


@dataclass(frozen=True)
class Rule:
    """One section's rule, as plain values a parse worker can receive."""

    category_id: int
    order: int
    name: str
    keywords: tuple[re.Pattern | str, ...]
    is_default: bool

    def score(self, title: str, text: str) -> int:
        """`title` and `text` casefolded."""
        return sum(
            TITLE_WEIGHT * bool(_count(word, title)) + min(_count(word, text), BODY_CAP)
            for word in self.keywords
        )


def _count(word: re.Pattern | str, text: str) -> int:
    return text.count(word) if isinstance(word, str) else len(word.findall(text))


def _matcher(word: str) -> re.Pattern | str:
    """A Latin keyword matches whole words only ("PPI" is not in "CPPIB", "AR" not in "MARKET");
    a Chinese one anywhere, as Chinese has no spaces."""
    word = word.casefold()
    if word.isascii():
        return re.compile(rf"(?<![a-z0-9]){re.escape(word)}(?![a-z0-9])")
    return word


def rules_of(categories: Iterable[Category] | None = None) -> tuple[Rule, ...]:
    """The rules of `categories` (default: every section), in `order`."""
    if categories is None:
        categories = Category.objects.all()
    ordered = sorted(categories, key=lambda c: (c.order, c.name))
    return tuple(
        Rule(c.pk, c.order, c.name, tuple(_matcher(w) for w in c.keyword_list()), c.is_default)
        for c in ordered
    )


def choose(rules: tuple[Rule, ...], *, title: str, text: str) -> int | None:
    """Return the id of the section `rules` file this story under, or None (no default)."""
    title, text = (title or "").casefold(), (text or "").casefold()
    best, best_score = None, 0
    for rule in rules:  # in order, so that a tie keeps the earlier section
        score = rule.score(title, text)
        if score > best_score:
            best, best_score = rule, score
    if best is None:
        best = next((rule for rule in rules if rule.is_default), None)
    return best.category_id if best else None


def assign_category(
    *, title: str, text: str = "", summary: str = "", categories: Iterable[Category] | None = None
) -> Category | None:
    """Return the section for a story with this title and text (the summary when the text is
    not at hand), else None."""
    categories = list(Category.objects.all() if categories is None else categories)
    chosen = choose(rules_of(categories), title=title, text=text or summary)
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


def _refile(article: Article, rules: tuple[Rule, ...]) -> bool:
    """Give `article` the category the rules pick; return whether that changed anything."""
    if editor_chose_category(article):
        return False
    new_id = choose(rules, title=article.title, text=strip_tags(article.body) or article.summary)
    if new_id == article.category_id:
        return False
    article.category_id = new_id
    if article.imported_values:
        article.imported_values = {**article.imported_values, "category": new_id}
    return True
