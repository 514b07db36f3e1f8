"""Helpers every part of the desk uses: the admin log, and telling the public site it changed."""

from django.contrib.admin.models import CHANGE, LogEntry
from django.db.models import Count, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce


def log_changes(request, objects, message: str) -> None:
    """Write one admin log entry per object, so bulk work shows in each object's history."""
    objects = list(objects)
    if objects:
        LogEntry.objects.log_actions(
            user_id=request.user.pk, queryset=objects, action_flag=CHANGE,
            change_message=message,
        )


def pages_changed() -> None:
    """Tell the public site's page cache, when there is one, that what readers see changed.

    Bulk writes (update(), bulk_update()) send no model signals, so the desk says it itself.
    """
    try:
        from articles.cache import bump_cache_version
    except ImportError:
        return
    bump_cache_version()


class PublicPagesMixin:
    """For ModelAdmins of things readers see (articles, and the names shown beside them).

    save_related() follows every save_model(), in forms and in list_editable alike.
    """

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        pages_changed()

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        pages_changed()

    def delete_queryset(self, request, queryset):
        super().delete_queryset(request, queryset)
        pages_changed()


def related_count(queryset, field: str):
    """Return an annotation counting the rows of `queryset` whose `field` is the outer row.

    A correlated subquery, one index-only count per listed row, instead of a JOIN and
    GROUP BY over every article: listing 30 sources must not aggregate a million rows.
    """
    counted = (
        queryset.filter(**{field: OuterRef("pk")}).order_by().values(field)
        .annotate(count=Count("*")).values("count")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def listed_count(queryset, field: str, *, article: str = ""):
    """related_count() of the stories the article list shows: trashed ones left out, by
    counting them apart (an index range on status; the trash is small) so that the main count
    stays index-only. `article` is the path from `queryset`'s rows to the story ("article__")."""
    from articles.models import Article

    trashed = queryset.filter(**{f"{article}status": Article.Status.TRASHED})
    return related_count(queryset, field) - related_count(trashed, field)
