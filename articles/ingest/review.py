"""Editors' decisions on a source file that changed after an editor's edit.

The importer never overwrites a field an editor changed; it parks the source's newer value in
Article.pending_changes["fields"] (in the stored form of articles.tracked) and flags the
article. An editor then takes the source's version (`accept_source`) or keeps the edit
(`keep_edits`). Either way the source value becomes the field's imported value, so the same
source version is not offered again, while a later change of the source is.

Inferred fields: Article.inferred_fields lists fields whose values the importer guessed and no
editor has checked yet; the admin empties it when an editor saves the article's form.
"""

from django.db import transaction

from articles import revisions, tracked
from articles.models import Article


def pending_fields(article: Article) -> dict:
    """Return {field: source value} of the source changes awaiting a decision."""
    return dict((article.pending_changes or {}).get("fields") or {})


def _decide(article: Article, fields: list[str] | None, *, take_source: bool, user=None) -> list[str]:
    pending = pending_fields(article)
    chosen = [name for name in pending if fields is None or name in fields]
    if not chosen:
        return []
    revisions.baseline(article.pk)
    imported = dict(article.imported_values or {})
    for name in chosen:
        value = pending.pop(name)
        if take_source:
            tracked.BY_NAME[name].apply(article, value)
        imported[name] = tracked.kept(name, value)
    article.imported_values = imported
    article.pending_changes = {**article.pending_changes, "fields": pending} if pending else {}
    article.needs_review = bool(pending) or bool(article.inferred_fields)
    article.save()
    labels = "、".join(tracked.LABELS[name] for name in chosen)
    revisions.record(article, revisions.Kind.ACCEPT if take_source else revisions.Kind.KEEP,
                     user=user, note=labels, always=True)
    return chosen


@transaction.atomic
def accept_source(article: Article, *, fields: list[str] | None = None, user=None) -> list[str]:
    """Apply the source's pending values (all, or only `fields`); return the fields applied."""
    return _decide(article, fields, take_source=True, user=user)


@transaction.atomic
def keep_edits(article: Article, *, fields: list[str] | None = None, user=None) -> list[str]:
    """Discard the source's pending values (all, or only `fields`); return the fields kept."""
    return _decide(article, fields, take_source=False, user=user)
