"""Counting one read of a story: into the hour's bucket in Redis, one round trip, for
flush_reads to move into the database; without Redis (development, tests without REDIS_URL)
straight into the database."""

import datetime
import functools

from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from redis import Redis
from redis.commands.core import Script

from articles.reading.models import StoryReads
from newsroom import redis_cache

# A reader's reads of one story this close together count once (a reload, a back-and-forth).
READ_AGAIN_SECONDS = 300
# An hour's bucket waits this long at most for flush_reads (run every minute) to move it.
BUCKET_SECONDS = 7 * 24 * 3600
BUCKET_HOURS = BUCKET_SECONDS // 3600

# KEYS: the reader's mark for the story, the hour's bucket. ARGV: the mark's seconds, the story,
# the bucket's seconds. The mark and the count together, so that one round trip does both and
# a reader's second read within the mark's life changes nothing.
COUNT_SCRIPT = """
if redis.call('SET', KEYS[1], '', 'NX', 'EX', ARGV[1]) then
  redis.call('HINCRBY', KEYS[2], ARGV[2], 1)
  redis.call('EXPIRE', KEYS[2], ARGV[3])
  return 1
end
return 0
"""


def hour_of(moment: datetime.datetime) -> datetime.datetime:
    """The start of the hour (UTC) `moment` falls in."""
    return moment.astimezone(datetime.UTC).replace(minute=0, second=0, microsecond=0)


def bucket_key(hour: datetime.datetime) -> str:
    """The cache key of an hour's counts: a hash of story id -> reads (flushing.py parses the
    hour back from its last ten characters)."""
    return f"reads:hour:{hour:%Y%m%d%H}"


def mark_key(article_id: int, reader: str) -> str:
    """The cache key marking that `reader` read story `article_id` in the last READ_AGAIN_SECONDS."""
    return f"reads:seen:{article_id}:{reader}"


def count_read(article_id: int, *, reader: str, at: datetime.datetime | None = None) -> bool:
    """Count one read of story `article_id` by `reader` (readers.reader_of()) unless they read
    it less than READ_AGAIN_SECONDS ago; return whether it counted. Never raises for Redis: while
    it is unreachable reads are not counted (logged once, see newsroom.redis_cache)."""
    hour = hour_of(at or timezone.now())
    client = redis_cache.redis_client(cache)
    if client is None:
        return _count_in_database(article_id, reader=reader, hour=hour)
    keys = [cache.make_key(mark_key(article_id, reader)), cache.make_key(bucket_key(hour))]
    args = [READ_AGAIN_SECONDS, article_id, BUCKET_SECONDS]
    return cache.guarded(lambda client: bool(_count_script(client)(keys, args, client=client)), False)


@functools.cache
def _count_script(client: Redis) -> Script:
    # Sent by its digest (EVALSHA), the text only the first time Redis lacks it.
    return client.register_script(COUNT_SCRIPT)


def _count_in_database(article_id: int, *, reader: str, hour: datetime.datetime) -> bool:
    # Without a shared cache the marks are this process's own: good enough for development.
    if not cache.add(mark_key(article_id, reader), 1, READ_AGAIN_SECONDS):
        return False
    rows = StoryReads.objects.filter(article_id=article_id, hour=hour)
    if rows.update(count=F("count") + 1):
        return True
    try:
        with transaction.atomic():
            StoryReads.objects.create(article_id=article_id, hour=hour, count=1)
    except IntegrityError:  # another request created the hour's row meanwhile
        rows.update(count=F("count") + 1)
    return True
