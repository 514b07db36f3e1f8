"""Revisions: every change to a story (an editor's save, an import's update, a decision on a
source version, a bulk action, a restore) with who or which import run made it, the fields it
changed, and every tracked field (articles/tracked.py) as the story stood afterwards.

A story gets its first revision only when it first changes: `record()` then stores, before the
change, the story as it stood (its import, dated by it), so creating 100,000 stories by import
writes no revision at all, and every later change can be compared with what came before.
"""

from contextlib import contextmanager

from django.db import transaction

from articles import tracked
from articles.models import Article, Revision

Kind = Revision.Kind
NAMES = tuple(field.name for field in tracked.FIELDS)


def snapshot(article: Article) -> dict:
    """Every tracked field of `article` in its stored form (tags and stocks read afresh)."""
    return tracked.read(article, NAMES)


def baseline(article_id: int) -> None:
    """Make sure the story's state before a change is on record (its first revision)."""
    if Revision.objects.filter(article_id=article_id).exists():
        return
    stored = Article.objects.filter(pk=article_id).first()
    if stored is None:
        return
    Revision.objects.create(
        article=stored, kind=Kind.IMPORTED if stored.source_file else Kind.EDIT,
        created_at=stored.imported_at or stored.created_at, import_run_id=stored.import_run_id,
        values=snapshot(stored), note="首个版本")


def record(article: Article, kind: str, *, user=None, run_id: int | None = None,
           note: str = "", always: bool = False) -> Revision | None:
    """Record `article` as it stands now, if it differs from its latest revision (or `always`:
    a decision that changed no field); return the new revision, or None. Call baseline()
    before changing the story."""
    values = snapshot(article)
    latest = Revision.objects.filter(article=article).only("values").first()
    before = latest.values if latest else {}
    changed = [name for name in NAMES if values.get(name) != before.get(name)]
    if latest and not changed and not always:
        return None
    return Revision.objects.create(article=article, kind=kind, user=user, import_run_id=run_id,
                                   fields=changed, values=values, note=note[:200])


@contextmanager
def change(article: Article, kind: str, **details):
    """Record the change made inside the block as a revision (`details` as for record())."""
    baseline(article.pk)
    yield
    record(article, kind, **details)


@transaction.atomic
def restore(revision: Revision, *, user) -> Revision | None:
    """Give the story the values of `revision`; the restore is itself a revision."""
    article = Article.objects.select_for_update().get(pk=revision.article_id)
    baseline(article.pk)
    for name in NAMES:
        if name in revision.values:
            tracked.BY_NAME[name].apply(article, revision.values[name])
    article.save()
    return record(article, Kind.RESTORE, user=user, note=f"恢复到版本 #{revision.pk}")
