"""Clustering the stories stored before clustering existed, or whose likeness is missing:
resumable (a story with a likeness row is done) and batched (one transaction a batch)."""

from collections.abc import Callable

from django.db import transaction
from django.db.models import Q

from articles.clusters import placing
from articles.clusters.likeness import company_keys, likeness_of
from articles.models import Article
from articles.search.tokens import plain_text

BATCH = 500


def cluster_stored(*, batch: int = BATCH, progress: Callable[[int], None] | None = None) -> int:
    """Compute the likeness of every story that has none, oldest first, and place each in the
    cluster of an earlier story it copies; return how many stories were done."""
    done, after, index = 0, None, placing.Index()
    while True:
        pending = Article.objects.filter(likeness__isnull=True)
        if after is not None:
            pending = pending.filter(Q(published_at__gt=after[0]) | Q(published_at=after[0], pk__gt=after[1]))
        rows = list(pending.order_by("published_at", "pk").values_list("pk", "published_at", "body")[:batch])
        if not rows:
            return done
        companies = _companies([pk for pk, *_ in rows])
        with transaction.atomic():
            placing.place([placing.NewStory(pk, published_at, likeness_of(plain_text(body)),
                                            company_keys(companies.get(pk, ())))
                           for pk, published_at, body in rows], index)
        done += len(rows)
        after = (rows[-1][1], rows[-1][0])  # (published_at, pk) of the last story done
        if progress:
            progress(done)


def _companies(pks: list[int]) -> dict[int, list[int]]:
    """The stocks each story links or is suggested, by directory id: two queries."""
    found: dict[int, list[int]] = {}
    for through in (Article.stocks.through, Article.suggested_stocks.through):
        for article_id, stock_id in through.objects.filter(article_id__in=pks).values_list("article_id", "stock_id"):
            found.setdefault(article_id, []).append(stock_id)
    return found
