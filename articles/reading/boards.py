"""The hot lists (24小时热读, 本周热读): each story's reads added up per list after every flush,
and a list read with the editors' pins on top and their hidden stories left out."""

import datetime
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Case, F, FilteredRelation, Q, Sum, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from articles.cache import LISTS, bump_cache_version
from articles.models import Article
from articles.reading.counting import hour_of
from articles.reading.models import HotEntry, HotPick, StoryReads

Board = HotEntry.Board
HOURS = {Board.DAY: 24, Board.WEEK: 7 * 24}
# Stories kept per list: pages show 20 at most, the rest stand in for withdrawn and hidden ones.
KEPT = 100
# What a hot list on a page prints of a story.
SHOWN = ("id", "title", "slug", "published_at", "source__name", "source__slug")


@dataclass
class HotList:
    board: str
    title: str  # 24小时热读, 本周热读
    stories: list


def since(hours: int, at: datetime.datetime | None = None) -> datetime.datetime:
    """The first hour of the last `hours` hours, the current one included."""
    return hour_of(at or timezone.now()) - datetime.timedelta(hours=hours - 1)


def refresh(*, at: datetime.datetime | None = None) -> dict[str, int]:
    """Rank the stories of every list by their reads in its hours (StoryReads); return how many
    stories each list holds."""
    held = {}
    for board, hours in HOURS.items():
        ranked = (StoryReads.objects.filter(hour__gte=since(hours, at)).values("article")
                  .annotate(total=Sum("count")).order_by("-total", "-article")[:KEPT])
        entries = [HotEntry(board=board, article_id=row["article"], reads=row["total"]) for row in ranked]
        try:
            with transaction.atomic():
                HotEntry.objects.filter(board=board).delete()
                HotEntry.objects.bulk_create(entries)
        except IntegrityError:  # another run ranked the list meanwhile, from the same counts
            pass
        held[board] = len(entries)
    return held


def hot(queryset, board: str, *, at: datetime.datetime | None = None):
    """The stories of `queryset` readers may see on list `board`: pinned ones first (the newest
    pin first), then by `reads` as last ranked; hidden ones left out. Pins and hides count while
    in force (`until` unset or still to come)."""
    now = at or timezone.now()
    pinned = HotPick.objects.filter(_in_force(now), action=HotPick.Action.PIN)
    # The list's stories and the pinned ones, looked up by key: a condition on the joined
    # rows instead would be checked against every published story.
    candidates = (HotEntry.objects.filter(board=board).order_by().values("article_id")
                  .union(pinned.order_by().values("article_id")))
    return (
        queryset.published(now)
        .filter(pk__in=candidates)
        .alias(entry=FilteredRelation("hot_entries", condition=Q(hot_entries__board=board)),
               pick=FilteredRelation("hot_pick", condition=_in_force(now, "hot_pick__")))
        .filter(Q(pick__isnull=True) | Q(pick__action=HotPick.Action.PIN))
        .annotate(reads=Coalesce(F("entry__reads"), 0),
                  pinned_at=Case(When(pick__action=HotPick.Action.PIN, then=F("pick__created_at"))))
        .order_by(F("pinned_at").desc(nulls_last=True), "-reads", "-published_at", "-id")
    )


def _in_force(now: datetime.datetime, path: str = "") -> Q:
    """Editors' picks (at `path`) still in force at `now`."""
    return Q(**{f"{path}until__isnull": True}) | Q(**{f"{path}until__gt": now})


def most_read(queryset, *, hours: int, at: datetime.datetime | None = None):
    """The stories of `queryset` readers may see that were read in the last `hours` hours, most
    read first (`reads`), added up from StoryReads as they are: for a few stories (a company's),
    not the whole site (hot() reads the ranked lists)."""
    return (
        queryset.published(at)
        .filter(read_counts__hour__gte=since(hours, at))
        .annotate(reads=Sum("read_counts__count"))
        .order_by("-reads", "-published_at", "-id")
    )


def hot_lists(*, count: int, at: datetime.datetime | None = None) -> list[HotList]:
    """Every hot list with its first `count` stories, for a page: one query per list."""
    return [
        HotList(board, label, list(Article.objects.hot(board, at=at).select_related("source").only(*SHOWN)[:count]))
        for board, label in Board.choices
    ]


def pick(article_ids, *, action: str, user=None, until: datetime.datetime | None = None) -> int:
    """Pin the stories `article_ids` to the top of every hot list until `until` (None: until
    unpinned), or hide them from the lists (action HotPick.Action.HIDE), replacing what editors
    decided about them before; return how many."""
    ids = list(dict.fromkeys(article_ids))
    with transaction.atomic():
        HotPick.objects.filter(article_id__in=ids).delete()
        HotPick.objects.bulk_create(HotPick(article_id=pk, action=action, user=user, until=until) for pk in ids)
        lists_changed()
    return len(ids)


def unpick(article_ids) -> int:
    """Put the stories `article_ids` back on the hot lists as their reads rank them; return how
    many had been pinned or hidden."""
    with transaction.atomic():
        removed, _ = HotPick.objects.filter(article_id__in=list(article_ids)).delete()
        if removed:
            lists_changed()
    return removed


def lists_changed() -> None:
    """Editors changed the hot lists: the pages that show them (the home page and /hot/, pages
    of lists for the page cache) are rendered afresh."""
    bump_cache_version(LISTS)
