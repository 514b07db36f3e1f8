"""New stories into the cluster of the story they copy: candidates through an LSH index, the
rule of likeness.same_story(), a handful of statements per batch of stories.

The cost per story is flat however many stories are stored. Candidates can only be published
within WINDOW days of a story, so the index holds the likenesses of those days alone: loaded
a day at a time through the (day) index of StoryLikeness, kept for the rest of the run while
batches stay near them, and looked up by LSH band and figure keys in memory. Each story writes
one row (its likeness); nothing is compared with every story, and no table grows a row per key
(an indexed key table cost the import more than the parse of the story itself: 22 random
B-tree inserts a story).
"""

import functools
from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from django.db import connection
from django.utils import timezone

from articles.clusters.likeness import Likeness, same_story
from articles.ingest import bulk
from articles.models import Article, Cluster, StoryLikeness

# How far apart in time a reprint and its original may be published.
WINDOW = timedelta(days=7)
# Stories compared with each new one at most (those sharing most keys): the work per story
# stays bounded however often one text is reprinted.
MAX_CANDIDATES = 32
# A story this alike to the one it joins is a near-verbatim copy: it is not a candidate for
# later stories (the story it copies answers for its words), so a release reprinted by fifty
# sites does not make fifty candidates of every later copy.
INDEXED_BELOW = 0.9
# Stories an index keeps under one candidate key, the newest: a key hundreds of stories share
# within a fortnight (a site's boilerplate, a template's wording) tells nothing about any of
# them, and looking through all of them would make the work per story grow with the flood.
MAX_PER_KEY = 64
# Days of likenesses an index keeps besides those a batch needs (an import of an archive in no
# order of dates would otherwise load it all): the days no batch needed for longest go first.
MAX_DAYS = 30


@dataclass(frozen=True)
class NewStory:
    pk: int
    published_at: datetime
    likeness: Likeness | None  # None: too short to tell a copy (kept as an empty row: done)
    companies: tuple[str, ...] = ()

    @functools.cached_property
    def day(self) -> date:
        return day_of(self.published_at)

    def __post_init__(self):
        if self.likeness is not None and self.companies:
            object.__setattr__(self, "likeness", replace(self.likeness, companies=self.companies))


@dataclass
class _Known:
    """A story in the index: its day, cluster and likeness."""

    pk: int
    day: date
    cluster: object  # a cluster id, a _NewCluster, or None
    fixed: bool
    likeness: Likeness


class _NewCluster:
    """A cluster made in this batch; its id comes when the batch's clusters are inserted."""

    pk: int | None = None


def day_of(moment: datetime) -> date:
    return timezone.localtime(moment).date()


class Index:
    """The likenesses of the stories of the days around those being placed, by candidate key.

    One per import run (or clustering run): what a batch stores is a candidate for the next
    batches without being read again. After a rollback the caller makes a new one."""

    def __init__(self) -> None:
        self.days: dict[date, list[_Known]] = {}  # the days loaded, and their stories
        self.keys: dict[int, list[_Known]] = defaultdict(list)  # candidate key -> stories
        self.used: dict[date, int] = {}  # day -> the last batch that needed it
        self.batches = 0

    def load(self, days: set[date]) -> None:
        """Have in memory the days within WINDOW of `days` (the days of a batch's stories):
        one query for those missing."""
        self.batches += 1
        wanted = {day + timedelta(days=n) for day in days for n in range(-WINDOW.days, WINDOW.days + 1)}
        for day in wanted:
            self.used[day] = self.batches
        missing = sorted(wanted - self.days.keys())
        if missing:
            for day in missing:
                self.days[day] = []
            field = StoryLikeness._meta.get_field("day")
            rows = (StoryLikeness.objects.filter(day__in=missing, shingles__gt=0, indexed=True)
                    .values_list("article_id", "day", "article__cluster_id", "article__cluster_fixed",
                                 "minhash", "shingles", "figures", "companies"))
            for pk, day, cluster, fixed, minhash, shingles, figures, companies in rows:
                self.add(_Known(pk, field.to_python(day), cluster, fixed, Likeness(
                    bytes(minhash), shingles, tuple(figures.split()), tuple(companies.split()))))
        if len(self.days) > MAX_DAYS + len(wanted):
            gone: set[date] = set()
            for day in sorted(self.days.keys() - wanted, key=self.used.get)[: len(self.days) - MAX_DAYS - len(wanted)]:
                gone.add(day)
                del self.used[day]
            keys = {key for day in gone for story in self.days.pop(day) for key in story.likeness.bands}
            for key in keys:  # a key no story of the days kept holds goes too
                kept = [story for story in self.keys[key] if story.day not in gone]
                if kept:
                    self.keys[key] = kept
                else:
                    del self.keys[key]

    def add(self, story: _Known) -> None:
        self.days.setdefault(story.day, []).append(story)
        for key in story.likeness.bands:
            stories = self.keys[key]
            stories.append(story)
            if len(stories) > MAX_PER_KEY:
                del stories[0]

    def candidates(self, story: _Known) -> list[_Known]:
        """Stories within WINDOW sharing a key with `story`, those sharing most keys first, at
        most MAX_CANDIDATES."""
        shared: dict[int, int] = defaultdict(int)
        found: dict[int, _Known] = {}
        first, last = story.day - WINDOW, story.day + WINDOW
        for key in story.likeness.bands:
            for other in self.keys.get(key, ()):
                if first <= other.day <= last:
                    shared[other.pk] += 1
                    found[other.pk] = other
        ranked = sorted(shared, key=lambda pk: (-shared[pk], pk))[:MAX_CANDIDATES]
        return [found[pk] for pk in ranked]


def place(stories: list[NewStory], index: Index | None = None) -> dict[int, int]:
    """Keep the likenesses of `stories` (just stored, in no cluster yet) and put each one that
    copies an earlier story into that story's cluster; return {story id: cluster id} of the
    stories whose cluster was set (stored ones joining a new cluster included). `index`, when
    given, is the run's (see Index)."""
    if not stories:
        return {}
    index = index if index is not None else Index()
    stories = sorted(stories, key=lambda s: (s.published_at, s.pk))
    alike = [story for story in stories if story.likeness is not None]
    if alike:
        index.load({story.day for story in alike})
    moved: dict[int, _Known] = {}
    indexed: set[int] = set()
    for story in alike:
        this = _Known(story.pk, story.day, None, False, story.likeness)
        best, best_score = None, 0.0
        for other in index.candidates(this):
            if other.fixed and other.cluster is None:
                continue  # an editor took it out of its cluster: the import adds none
            score = same_story(story.likeness, other.likeness)
            if score is not None and score > best_score:
                best, best_score = other, score
        if best is not None:
            if best.cluster is None:
                best.cluster = _NewCluster()
                moved[best.pk] = best
            this.cluster = best.cluster
            moved[this.pk] = this
        if best_score < INDEXED_BELOW:
            indexed.add(story.pk)
            index.add(this)
    _write(stories, indexed, moved)
    return {pk: story.cluster for pk, story in moved.items()}


def _cluster_id(cluster) -> int:
    return cluster.pk if isinstance(cluster, _NewCluster) else cluster


def _write(stories: list[NewStory], indexed: set[int], moved: dict[int, _Known]) -> None:
    """Insert the batch's new clusters and likenesses; set the moved stories' clusters (one
    prepared UPDATE)."""
    new = list({id(k.cluster): k.cluster for k in moved.values() if isinstance(k.cluster, _NewCluster)}.values())
    for cluster, row in zip(new, Cluster.objects.bulk_create([Cluster() for _ in new]), strict=True):
        cluster.pk = row.pk
    for story in moved.values():  # the index keeps these stories for the next batches
        story.cluster = _cluster_id(story.cluster)
    batch = {s.pk for s in stories}
    bulk.set_values(Article, "cluster_id", [(moved[pk].cluster, pk) for pk in moved if pk in batch])
    # A story stored before this batch is moved only if it is still in no cluster and no
    # editor placed it since the run read it.
    bulk.set_values(Article, "cluster_id", [(moved[pk].cluster, pk) for pk in moved if pk not in batch],
                    where_null=("cluster_id",), where_false=("cluster_fixed",))
    minhash, day = StoryLikeness._meta.get_field("minhash"), StoryLikeness._meta.get_field("day")
    bulk.insert_values(StoryLikeness, ("article_id", "day", "indexed", "minhash", "shingles", "figures", "companies"), [
        (s.pk, day.get_db_prep_save(s.day, connection), s.pk in indexed,
         minhash.get_db_prep_save(s.likeness.minhash if s.likeness else b"", connection),
         s.likeness.shingles if s.likeness else 0, " ".join(s.likeness.figures if s.likeness else ()),
         " ".join(s.likeness.companies if s.likeness else ())) for s in stories])
