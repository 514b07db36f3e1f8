"""Django's Redis cache, made to degrade instead of fail when Redis is unreachable.

The stock backend raises on a connection error, so a Redis restart would turn every cached
page into a 500. Here a failed call logs a warning and behaves as a cache miss, and for a few
seconds afterwards Redis is not even tried, so readers get pages rendered from PostgreSQL at
full speed instead of each paying a connection timeout.
"""

import logging
import time
from collections.abc import Callable
from typing import TypeVar

from django.core.cache import DEFAULT_CACHE_ALIAS, caches
from django.core.cache import cache as default_cache
from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

UNREACHABLE = (RedisConnectionError, RedisTimeoutError, OSError)
# After a failure, how long this process answers "miss" without trying Redis.
BACKOFF_SECONDS = 5.0

_MISSING = object()
T = TypeVar("T")


class ResilientRedisCacheClient(RedisCacheClient):
    _down_until = 0.0  # per process; shared by every cache alias, like the outage itself

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        # Django builds a new redis.Redis per call; with redis-py 8 that costs ~0.3 ms (its
        # callback tables), more than the round trip itself, and a cached page makes several
        # calls. A client is thread-safe (connections come from the pool), so keep one per pool.
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client

    def _call(self, name: str, fallback, *args):
        return self._guarded(getattr(super(), name), fallback, *args)

    def _guarded(self, method, fallback, *args):
        if time.monotonic() < ResilientRedisCacheClient._down_until:
            return self._fallback(fallback, args)
        try:
            return method(*args)
        except UNREACHABLE as exc:
            if ResilientRedisCacheClient._down_until == 0.0:
                logger.warning("redis unreachable, serving without cache: %s", exc)
            ResilientRedisCacheClient._down_until = time.monotonic() + BACKOFF_SECONDS
            return self._fallback(fallback, args)

    @staticmethod
    def _fallback(fallback, args):
        if fallback is _MISSING:  # get(): the caller's default
            return args[1]
        if isinstance(fallback, type) and issubclass(fallback, Exception):
            raise fallback("cache unavailable")
        return fallback() if callable(fallback) else fallback

    def add(self, key, value, timeout):
        return self._call("add", False, key, value, timeout)

    def get(self, key, default):
        return self._call("get", _MISSING, key, default)

    def set(self, key, value, timeout):
        return self._call("set", None, key, value, timeout)

    def touch(self, key, timeout):
        return self._call("touch", False, key, timeout)

    def delete(self, key):
        return self._call("delete", False, key)

    def get_many(self, keys):
        return self._call("get_many", dict, keys)

    def has_key(self, key):
        return self._call("has_key", False, key)

    def incr(self, key, delta):
        # What Django's API raises for a missing key: callers already handle it.
        return self._call("incr", ValueError, key, delta)

    def set_many(self, data, timeout):
        return self._call("set_many", None, data, timeout)

    def count(self, key, timeout, by=1):
        return self._guarded(self._count, ValueError, key, timeout, by)

    def _count(self, key, timeout, by):
        pipeline = self.get_client(key, write=True).pipeline(transaction=False)
        pipeline.incrby(key, by)
        pipeline.expire(key, timeout, nx=True)
        return pipeline.execute()[0]

    def get_many_counting(self, keys, counter, timeout):
        return self._guarded(self._get_many_counting, lambda: ({}, None), keys, counter, timeout)

    def _get_many_counting(self, keys, counter, timeout):
        pipeline = self.get_client(counter, write=True).pipeline(transaction=False)
        pipeline.mget(keys)
        pipeline.incrby(counter, 1)
        pipeline.expire(counter, timeout, nx=True)
        values, used, _ = pipeline.execute()
        found = {key: self._serializer.loads(value)
                 for key, value in zip(keys, values, strict=True) if value is not None}
        return found, used

    def delete_many(self, keys):
        return self._call("delete_many", None, keys)

    def clear(self):
        return self._call("clear", False)


class ResilientRedisCache(RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = ResilientRedisCacheClient

    def count(self, key, timeout, by=1):
        """Add `by` to the counter `key` (created for `timeout` seconds) and return it: one
        round trip (Django's add() and incr() take three)."""
        return self._cache.count(self.make_and_validate_key(key), timeout, by)

    def get_many_counting(self, keys, counter, timeout):
        """get_many(keys) and count(counter, timeout) in one round trip: (found, the count),
        the count None while Redis is unreachable."""
        made = {self.make_and_validate_key(key): key for key in keys}
        found, used = self._cache.get_many_counting(list(made), self.make_and_validate_key(counter), timeout)
        return {made[key]: value for key, value in found.items()}, used

    def client(self) -> Redis:
        """This cache's Redis client (its connection pool), for what Django's cache API has no
        word for (hashes, scripts). Keys are the caller's: cache.make_key() adds the prefix."""
        return self._cache.get_client(write=True)

    def guarded(self, work: Callable[[Redis], T], fallback: T) -> T:
        """Return work(client()), or `fallback` while Redis is unreachable, as for the cache's
        own calls: the outage logged once, Redis not tried again for BACKOFF_SECONDS."""
        return self._cache._guarded(lambda: work(self.client()), fallback)


def _backend(cache):
    # django.core.cache.cache is a proxy to the default cache, never an instance of its class.
    return caches[DEFAULT_CACHE_ALIAS] if cache is default_cache else cache


def redis_client(cache) -> Redis | None:
    """The Redis client of `cache` when it is this module's Redis cache, else None."""
    cache = _backend(cache)
    return cache.client() if isinstance(cache, ResilientRedisCache) else None


def count(cache, key: str, timeout: int, by: int = 1) -> int:
    """Add `by` to the counter `key` of `cache`, created for `timeout` seconds; return it.
    Raises ValueError when the cache is unreachable."""
    cache = _backend(cache)
    if isinstance(cache, ResilientRedisCache):
        return cache.count(key, timeout, by)
    cache.add(key, 0, timeout=timeout)
    return cache.incr(key, by)


def get_many_counting(cache, keys: list[str], counter: str, timeout: int) -> tuple[dict, int | None]:
    """Read `keys` of `cache` and add one to the counter `counter` (created for `timeout`
    seconds), in one round trip on Redis: (what was found, the count, or None when the cache
    is unreachable)."""
    cache = _backend(cache)
    if isinstance(cache, ResilientRedisCache):
        return cache.get_many_counting(keys, counter, timeout)
    found = cache.get_many(keys)
    try:
        return found, count(cache, counter, timeout)
    except ValueError:
        return found, None
