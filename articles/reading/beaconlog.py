"""Reads answered by nginx: behind nginx, `/r/<id>/` is answered there (204) and written to a log
of its own (deploy/nginx.conf, log format `newsroom_reads`), so a read costs the app servers
nothing. `flush_reads` collects that log into the same hourly buckets in Redis the beacon
middleware counts into (counting.py), before moving them into the database (flushing.py).

Each line is counted exactly once, however a run ends: the lines of a chunk and the log's new
offset are written to Redis by one script, which first checks that the offset is still the one
the run started from (two runs at once: one of them counts the chunk, the other stops). A log
renamed by logrotate is finished under its old name (`<log>.1`, the file with the same device
and inode) before the new one is read from its start.

A line: `$msec $request_method $uri $remote_addr "$http_sec_fetch_site" "$http_user_agent"`
(nginx escapes quotes and bytes outside printable ASCII as \\xHH).
"""

import datetime
import functools
import os
import re
from dataclasses import dataclass
from pathlib import Path

from django.core.cache import cache
from redis.commands.core import Script

from articles.models import Article
from articles.reading.beacon import PATH
from articles.reading.counting import BUCKET_SECONDS, READ_AGAIN_SECONDS, bucket_key, hour_of, mark_key
from articles.reading.readers import is_robot, reader_at
from newsroom import redis_cache

LINE = re.compile(r'(?P<at>[0-9]{1,12}\.[0-9]{3}) (?P<method>[A-Z]{1,10}) (?P<uri>\S{1,100}) '
                  r'(?P<address>[0-9A-Fa-f.:]{1,45}) "(?P<site>[^"]{0,40})" "(?P<agent>[^"]*)"')
CHUNK_LINES = 5_000  # lines a script counts at once
READ_MOST = 8 << 20  # bytes read from a log at once
# How long a log's offset is remembered: longer than logrotate keeps it as <log>.1 (a day).
OFFSET_SECONDS = 3 * 24 * 3600

# KEYS: the log's offset, then per read the reader's mark for the story and the hour's bucket.
# ARGV: the offset the run read from, the offset after the chunk, the offset's seconds, the
# mark's seconds, the bucket's seconds, then per read its story. -1: another run got there first.
COLLECT_SCRIPT = """
local known = tonumber(redis.call('GET', KEYS[1]) or '0')
if known ~= tonumber(ARGV[1]) then return -1 end
local counted = 0
for i = 6, #ARGV do
  local k = 2 + (i - 6) * 2
  if redis.call('SET', KEYS[k], '', 'NX', 'EX', ARGV[4]) then
    redis.call('HINCRBY', KEYS[k + 1], ARGV[i], 1)
    redis.call('EXPIRE', KEYS[k + 1], ARGV[5])
    counted = counted + 1
  end
end
redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3])
return counted
"""


@dataclass(frozen=True)
class Beacon:
    at: float  # epoch seconds
    story: int
    reader: str  # readers.reader_of()'s hash of the address
    counts: bool  # a browser's POST from a page of this site


@dataclass
class Collected:
    lines: int = 0
    reads: int = 0  # counted (the rest: robots, other sites, repeats, unpublished stories)
    unreadable: int = 0  # lines that are not the log format's


def parse_line(line: str) -> Beacon | None:
    """The beacon a log line records, or None for a line that is not one."""
    match = LINE.fullmatch(line.rstrip("\n"))
    path = match and PATH.fullmatch(match["uri"])
    if not path:
        return None
    agent = "" if match["agent"] == "-" else match["agent"]  # nginx's "-": no header
    counts = (match["method"] == "POST" and not is_robot(agent)
              and match["site"] in ("same-origin", "-"))
    return Beacon(float(match["at"]), int(path[1]), reader_at(match["address"]), counts)


def collect(log: Path) -> Collected:
    """Count the reads nginx wrote to `log` (and to `log`.1 before it was rotated) since the last
    run; return what was read. Raises Redis's errors when Redis is unreachable (the lines wait)."""
    client = redis_cache.redis_client(cache)
    done = Collected()
    if client is None:
        return done
    for path in (log.with_name(log.name + ".1"), log):
        try:
            with open(path, "rb") as handle:
                _collect_file(client, handle, done)
        except FileNotFoundError:
            continue
    return done


def _collect_file(client, handle, done: Collected) -> None:
    stat = os.fstat(handle.fileno())
    offset_key = cache.make_key(f"reads:log:{stat.st_dev}:{stat.st_ino}")
    known = int(client.get(offset_key) or 0)
    if known > stat.st_size:  # another file with a reused inode: read it from its start
        client.delete(offset_key)
        known = 0
    elif known:  # kept while the log is, however long it goes without a new line
        client.expire(offset_key, OFFSET_SECONDS)
    handle.seek(known)
    while True:
        block = handle.read(READ_MOST)
        lines = block[:block.rfind(b"\n") + 1].splitlines(keepends=True)
        if not lines and len(block) == READ_MOST:  # no line of nginx's is this long: pass it
            lines = [block]
        if not lines:  # nothing new, or only a line nginx is still writing
            return
        for first in range(0, len(lines), CHUNK_LINES):
            chunk = lines[first:first + CHUNK_LINES]
            end = known + sum(map(len, chunk))
            if _count(client, offset_key, known, end, chunk, done) < 0:
                return  # another run is reading this log
            known = end
        handle.seek(known)


@functools.cache
def _collect_script(client) -> Script:
    # Sent by its digest (EVALSHA), the text only the first time Redis lacks it (as counting.py's).
    return client.register_script(COLLECT_SCRIPT)


def _count(client, offset_key: str, start: int, end: int, lines: list[bytes], done: Collected) -> int:
    beacons = []
    for line in lines:
        beacon = parse_line(line.decode("utf-8", "replace"))
        if beacon is None:
            done.unreadable += 1
        elif beacon.counts:
            beacons.append(beacon)
    published = set(Article.objects.published().filter(pk__in={b.story for b in beacons})
                    .values_list("pk", flat=True)) if beacons else set()
    keys, stories = [offset_key], []
    for beacon in beacons:
        if beacon.story in published:
            hour = hour_of(datetime.datetime.fromtimestamp(beacon.at, datetime.UTC))
            keys += [cache.make_key(mark_key(beacon.story, beacon.reader)), cache.make_key(bucket_key(hour))]
            stories.append(beacon.story)
    args = [start, end, OFFSET_SECONDS, READ_AGAIN_SECONDS, BUCKET_SECONDS, *stories]
    counted = _collect_script(client)(keys, args, client=client)
    if counted >= 0:
        done.lines += len(lines)
        done.reads += counted
    return counted
