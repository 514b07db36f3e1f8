"""Moving the beacon's counts from Redis into StoryReads, each count exactly once however a run
ends (flush_reads, every minute).

1. move(): each hour's bucket that exists is renamed to a batch of its own and the batch's
   name added to the pending set, together (one script), so a beacon counting at that moment
   starts a new bucket and nothing is counted twice or lost.
2. apply(): a pending batch's counts are added to StoryReads in one transaction that also
   records the batch's name (ReadBatch, unique).
3. forget(): the batch is deleted from Redis and from the pending set.

A run killed after 1 leaves the batch pending: the next run applies it. Killed after 2, the
next run finds its name recorded and only forgets it. Two runs at once: a batch is renamed by
one of them only, and if both try to apply the same pending batch the unique name lets one
commit; rows both add to are locked (select_for_update), and a row both create makes one
transaction fail and its batch wait for the next run.
"""

import datetime
import logging
import uuid
from dataclasses import dataclass

from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.utils import timezone
from redis import Redis

from articles.models import Article
from articles.reading.counting import BUCKET_HOURS, BUCKET_SECONDS, bucket_key, hour_of
from articles.reading.models import HotPick, ReadBatch, StoryReads
from newsroom import redis_cache

logger = logging.getLogger(__name__)

PENDING = "reads:pending"
CHUNK = 500  # rows per statement
# KEYS: the pending set, then pairs of (an hour's bucket, the batch it becomes).
MOVE_SCRIPT = """
local moved = 0
for i = 2, #KEYS, 2 do
  if redis.call('EXISTS', KEYS[i]) == 1 then
    redis.call('RENAME', KEYS[i], KEYS[i + 1])
    redis.call('SADD', KEYS[1], KEYS[i + 1])
    moved = moved + 1
  end
end
return moved
"""


@dataclass
class Flushed:
    batches: int = 0  # batches whose counts were added to the database
    reads: int = 0  # reads they held
    dropped: int = 0  # reads of stories deleted since
    deferred: int = 0  # batches left for the next run (another run was writing the same rows)


def flush(*, at: datetime.datetime | None = None) -> Flushed:
    """Move every count waiting in Redis into StoryReads; return what was moved. Without Redis
    there is nothing to move (the beacon writes to the database itself). Raises Redis's
    ConnectionError when Redis is unreachable: the counts wait there for the next run."""
    client = redis_cache.redis_client(cache)
    done = Flushed()
    if client is None:
        return done
    move(client, at=at or timezone.now())
    for name in sorted(client.smembers(cache.make_key(PENDING))):
        name = name.decode()
        if ReadBatch.objects.filter(name=name).exists():  # applied by a run killed before forget()
            forget(client, name)
            continue
        try:
            reads, dropped = apply(client, name)
        except IntegrityError as exc:
            logger.warning("read batch %s left for the next run: %s", name, exc)
            done.deferred += 1
            continue
        forget(client, name)
        done.batches, done.reads, done.dropped = done.batches + 1, done.reads + reads, done.dropped + dropped
    return done


def move(client: Redis, *, at: datetime.datetime) -> int:
    """Step 1: rename every hour's bucket of the last BUCKET_HOURS to a new pending batch;
    return how many there were."""
    run = uuid.uuid4().hex
    keys = [cache.make_key(PENDING)]
    for back in range(BUCKET_HOURS + 1):
        bucket = bucket_key(hour_of(at) - datetime.timedelta(hours=back))
        keys += [cache.make_key(bucket), cache.make_key(f"reads:batch:{run}:{bucket[-10:]}")]
    return client.eval(MOVE_SCRIPT, len(keys), *keys)


def apply(client: Redis, name: str) -> tuple[int, int]:
    """Step 2: add the counts of batch `name` to StoryReads and record the batch, in one
    transaction; return (reads added, reads of stories that no longer exist)."""
    hour = datetime.datetime.strptime(name[-10:], "%Y%m%d%H").replace(tzinfo=datetime.UTC)
    counts = {int(story): int(reads) for story, reads in client.hgetall(name).items()}
    with transaction.atomic():
        ReadBatch.objects.create(name=name)
        stories = set()
        for ids in _chunks(list(counts)):
            stories.update(Article.objects.filter(pk__in=ids).values_list("pk", flat=True))
        known = set()
        for ids in _chunks(sorted(stories)):
            rows = list(StoryReads.objects.select_for_update().filter(hour=hour, article_id__in=ids))
            for row in rows:
                row.count += counts[row.article_id]
                known.add(row.article_id)
            StoryReads.objects.bulk_update(rows, ["count"], batch_size=CHUNK)
        StoryReads.objects.bulk_create(
            [StoryReads(article_id=story, hour=hour, count=counts[story]) for story in sorted(stories - known)],
            batch_size=CHUNK)
    added = sum(counts[story] for story in stories)
    return added, sum(counts.values()) - added


def forget(client: Redis, name: str) -> None:
    """Step 3: delete batch `name`, applied, from Redis."""
    pipeline = client.pipeline(transaction=True)
    pipeline.delete(name)
    pipeline.srem(cache.make_key(PENDING), name)
    pipeline.execute()


def prune(*, keep_days: int, at: datetime.datetime | None = None) -> int:
    """Delete hourly counts older than `keep_days`, batch records older than any batch can be,
    and pins that have expired; return how many hourly counts went."""
    now = at or timezone.now()
    deleted, _ = StoryReads.objects.filter(hour__lt=now - datetime.timedelta(days=keep_days)).delete()
    ReadBatch.objects.filter(applied_at__lt=now - datetime.timedelta(seconds=BUCKET_SECONDS, days=1)).delete()
    HotPick.objects.filter(until__lt=now).delete()
    return deleted


def _chunks(items: list) -> list[list]:
    return [items[start:start + CHUNK] for start in range(0, len(items), CHUNK)]
