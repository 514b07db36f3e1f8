"""The desk's trash: deleting a story moves it here (status 回收站), where readers never see it
and the importer treats it as deleted; restoring brings it back as a draft (as WordPress does:
nothing goes public again by accident); emptying the trash deletes for good, and the
importer's tombstones (articles/signals.py) keep the story from coming back."""

from django.db import transaction

from articles import revisions
from articles.models import Article

Status = Article.Status


def trash(articles, *, user) -> list[Article]:
    """Move `articles` to the trash; return those moved."""
    return _move(articles, lambda status: status != Status.TRASHED, Status.TRASHED,
                 revisions.Kind.TRASH, user=user)


def restore(articles, *, user) -> list[Article]:
    """Bring trashed `articles` back as drafts; return those restored."""
    return _move(articles, lambda status: status == Status.TRASHED, Status.DRAFT,
                 revisions.Kind.UNTRASH, user=user)


@transaction.atomic
def _move(articles, applies, status: str, kind: str, *, user) -> list[Article]:
    """Give each of `articles` whose status `applies` the status `status`, as a revision."""
    moved = []
    for article in articles:
        if not applies(article.status):
            continue
        with revisions.change(article, kind, user=user):
            article.status = status
            article.save(update_fields=["status", "updated_at"])
        moved.append(article)
    return moved


@transaction.atomic
def empty(articles) -> int:
    """Delete trashed `articles` for good; return how many."""
    doomed = [article for article in articles if article.status == Status.TRASHED]
    for article in doomed:
        article.delete()  # pre_delete leaves the import's tombstones
    return len(doomed)
