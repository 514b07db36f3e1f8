"""Editors' decisions on same-story clusters: split a story out, merge clusters, pick the lead.
A story an editor placed is marked cluster_fixed: the import never moves it again, and never
pairs a story taken out of its cluster with a new copy."""

from django.db import transaction
from django.db.models import Count, Q

from articles.models import Article, Cluster


def with_copies(queryset):
    """The stories of `queryset` and every story in their clusters."""
    ids = list(queryset.values_list("pk", flat=True))
    clusters = set(Article.objects.filter(pk__in=ids, cluster__isnull=False).values_list("cluster_id", flat=True))
    return Article.objects.filter(Q(pk__in=ids) | Q(cluster__in=clusters))


@transaction.atomic
def split(articles) -> int:
    """Take `articles` out of their clusters, for good; return how many were in one."""
    ids = [article.pk for article in articles]
    clusters = set(Article.objects.filter(pk__in=ids, cluster__isnull=False).values_list("cluster_id", flat=True))
    moved = Article.objects.filter(pk__in=ids, cluster__isnull=False).update(cluster=None, cluster_fixed=True)
    Article.objects.filter(pk__in=ids).update(cluster_fixed=True)
    Cluster.objects.filter(pk__in=clusters, lead__in=ids).update(lead=None)
    _drop_small(clusters)
    return moved


@transaction.atomic
def merge(articles) -> Cluster | None:
    """Put `articles` and the rest of their clusters into one cluster (the oldest of theirs, or
    a new one); return it, or None for fewer than two stories."""
    ids = [article.pk for article in articles]
    if len(set(ids)) < 2:
        return None
    clusters = set(Article.objects.filter(pk__in=ids, cluster__isnull=False).values_list("cluster_id", flat=True))
    target = Cluster.objects.filter(pk__in=clusters).order_by("pk").first() or Cluster.objects.create()
    Article.objects.filter(Q(pk__in=ids) | Q(cluster__in=clusters)).update(cluster=target)
    Article.objects.filter(pk__in=ids).update(cluster_fixed=True)
    _drop_small(clusters - {target.pk})
    return target


def make_lead(article: Article) -> bool:
    """Make `article` the story its cluster's entry shows in lists; False if it is in none."""
    cluster_id = Article.objects.filter(pk=article.pk).values_list("cluster_id", flat=True).first()
    if not cluster_id:
        return False
    return bool(Cluster.objects.filter(pk=cluster_id).update(lead=article))


def _drop_small(cluster_ids) -> None:
    """Dissolve the clusters of `cluster_ids` left with fewer than two stories (the one left is
    a story told once again)."""
    sizes = dict(Article.objects.filter(cluster__in=cluster_ids).order_by().values("cluster")
                 .annotate(n=Count("pk")).values_list("cluster", "n"))
    small = [pk for pk in cluster_ids if sizes.get(pk, 0) < 2]
    Article.objects.filter(cluster__in=small).update(cluster=None)
    Cluster.objects.filter(pk__in=small).delete()
