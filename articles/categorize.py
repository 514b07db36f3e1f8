"""Keyword rules that file stories under an editorial section (Category.keywords).

The import pipeline calls `assign_category` for each new story; editors re-run the rules over
existing stories from the admin after changing them (`reapply_rules`).
"""

from collections.abc import Iterable

from articles.models import Article, Category

BATCH_SIZE = 500


def _ordered(categories: Iterable[Category] | None) -> list[Category]:
    if categories is None:
        return list(Category.objects.order_by("order", "name"))
    return sorted(categories, key=lambda c: (c.order, c.name))


def assign_category(
    *, title: str, summary: str, categories: Iterable[Category] | None = None
) -> Category | None:
    """Return the first category by `order` whose keyword occurs in title or summary, else the
    default category, else None. Matching ignores case, so "a股" matches the keyword "A股"."""
    ordered = _ordered(categories)
    haystack = f"{title or ''}\n{summary or ''}".casefold()
    for category in ordered:
        if any(word.casefold() in haystack for word in category.keyword_list()):
            return category
    return next((category for category in ordered if category.is_default), None)


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
    categories = _ordered(None)
    done: list[int] = []
    # Read in slices of ids, not through one open cursor: the loop writes to the same table.
    ids = list(queryset.order_by().values_list("pk", flat=True))
    for start in range(0, len(ids), BATCH_SIZE):
        rows = Article.objects.filter(pk__in=ids[start : start + BATCH_SIZE]).only(
            "id", "title", "summary", "category_id", "imported_values"
        )
        changed = [article for article in rows if _refile(article, categories)]
        # bulk_update skips Article.save(): the search text does not depend on the category.
        Article.objects.bulk_update(changed, ["category", "imported_values"])
        done += [article.pk for article in changed]
    return done


def _refile(article: Article, categories: list[Category]) -> bool:
    """Give `article` the category the rules pick; return whether that changed anything."""
    if editor_chose_category(article):
        return False
    category = assign_category(title=article.title, summary=article.summary, categories=categories)
    new_id = category.pk if category else None
    if new_id == article.category_id:
        return False
    article.category_id = new_id
    if article.imported_values:
        article.imported_values = {**article.imported_values, "category": new_id}
    return True
