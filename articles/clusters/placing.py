"""New stories into the cluster of the story they copy: candidates through the band index,
the rule of likeness.same_story(), a handful of statements per batch of stories.

The cost per story is flat however many stories are stored: candidates are the stories that
share a band key within WINDOW days (one index range scan per key), and only they are compared.
"""

from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from django.db import connection
from django.db.models import Case, Value, When
from django.utils import timezone

from articles.clusters.likeness import Likeness, same_story
from articles.ingest import bulk
from articles.models import Article, Cluster, StoryBand, StoryLikeness

# How far apart in time a reprint and its original may be published.
WINDOW = timedelta(days=7)
# Stories compared with each new one at most (those sharing most band keys): the work per
# story stays bounded however often one text is reprinted.
MAX_CANDIDATES = 32
# A story this alike to the one it joins is a near-verbatim copy: its band keys are not stored.
INDEXED_BELOW = 0.9


@dataclass(frozen=True)
class NewStory:
    pk: int
    published_at: datetime
    likeness: Likeness | None  # None: too short to tell a copy (kept as an empty row: done)
    companies: tuple[str, ...] = ()

    def __post_init__(self):
        if self.likeness is not None and self.companies:
            object.__setattr__(self, "likeness", replace(self.likeness, companies=self.companies))


@dataclass
class _Known:
    """A stored story that is a candidate: its cluster and likeness."""

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


def place(stories: list[NewStory]) -> dict[int, int]:
    """Keep the likenesses of `stories` (just stored, in no cluster yet) and put each one that
    copies an earlier story into that story's cluster; return {story id: cluster id} of the
    stories whose cluster was set (stored ones joining a new cluster included)."""
    if not stories:
        return {}
    stories = sorted(stories, key=lambda s: (s.published_at, s.pk))
    alike = [story for story in stories if story.likeness is not None]
    known = _candidates(alike) if alike else {}
    by_key: dict[int, list[_Known]] = defaultdict(list)
    for story in known.values():
        for key in story.likeness.bands:
            by_key[key].append(story)
    moved: dict[int, _Known] = {}
    indexed: list[NewStory] = []
    for story in alike:
        this = _Known(story.pk, day_of(story.published_at), None, False, story.likeness)
        best, best_score = None, 0.0
        for other in _closest(this, by_key):
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
            # Later stories may copy this one (this batch's too). A near-verbatim copy adds no
            # keys: the story it copies already answers for its words, so a press release
            # reprinted by fifty sites does not make fifty candidates of every later copy.
            indexed.append(story)
            for key in story.likeness.bands:
                by_key[key].append(this)
    _write(stories, indexed, moved)
    return {pk: _cluster_id(story.cluster) for pk, story in moved.items()}


def _closest(story: _Known, by_key: dict[int, list[_Known]]) -> list[_Known]:
    """The candidates for `story`: stories within WINDOW sharing a band key with it, those
    sharing most keys first, at most MAX_CANDIDATES."""
    shared: dict[int, int] = defaultdict(int)
    found: dict[int, _Known] = {}
    for key in story.likeness.bands:
        for other in by_key.get(key, ()):
            if abs((other.day - story.day).days) <= WINDOW.days:
                shared[other.pk] += 1
                found[other.pk] = other
    ranked = sorted(shared, key=lambda pk: (-shared[pk], pk))[:MAX_CANDIDATES]
    return [found[pk] for pk in ranked]


def _candidates(stories: list[NewStory]) -> dict[int, _Known]:
    """The stored stories sharing a band key with any of `stories` within WINDOW: two queries."""
    keys = {key for story in stories for key in story.likeness.bands}
    first, last = day_of(stories[0].published_at), day_of(stories[-1].published_at)
    days: dict[int, date] = {}
    for pk, day in (StoryBand.objects.filter(key__in=keys, day__range=(first - WINDOW, last + WINDOW))
                    .values_list("article_id", "day")):
        days[pk] = day
    if not days:
        return {}
    rows = Article.objects.filter(pk__in=days).values_list(
        "pk", "cluster_id", "cluster_fixed", "likeness__minhash", "likeness__shingles",
        "likeness__figures", "likeness__companies")
    return {pk: _Known(pk, days[pk], cluster, fixed, _likeness(minhash, shingles, figures, companies))
            for pk, cluster, fixed, minhash, shingles, figures, companies in rows if minhash}


def _likeness(minhash, shingles, figures, companies) -> Likeness:
    return Likeness(bytes(minhash), shingles, tuple(figures.split()), tuple(companies.split()))


def _cluster_id(cluster) -> int:
    return cluster.pk if isinstance(cluster, _NewCluster) else cluster


def _write(stories: list[NewStory], indexed: list[NewStory], moved: dict[int, _Known]) -> None:
    """Insert the batch's new clusters, likenesses and band keys; set the moved stories'
    clusters in one UPDATE."""
    new = list({id(k.cluster): k.cluster for k in moved.values() if isinstance(k.cluster, _NewCluster)}.values())
    for cluster, row in zip(new, Cluster.objects.bulk_create([Cluster() for _ in new]), strict=True):
        cluster.pk = row.pk
    if moved:
        Article.objects.filter(pk__in=moved).update(cluster_id=Case(
            *(When(pk=pk, then=Value(_cluster_id(k.cluster))) for pk, k in moved.items())))
    minhash = StoryLikeness._meta.get_field("minhash")
    bulk.insert_values(StoryLikeness, ("article_id", "minhash", "shingles", "figures", "companies"), [
        (s.pk, minhash.get_db_prep_save(s.likeness.minhash if s.likeness else b"", connection),
         s.likeness.shingles if s.likeness else 0, " ".join(s.likeness.figures if s.likeness else ()),
         " ".join(s.likeness.companies if s.likeness else ())) for s in stories])
    day = StoryBand._meta.get_field("day")
    bulk.insert_values(StoryBand, ("article_id", "key", "day"), [
        (s.pk, key, day.get_db_prep_save(day_of(s.published_at), connection))
        for s in indexed for key in s.likeness.bands])
