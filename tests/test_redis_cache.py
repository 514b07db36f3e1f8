"""newsroom.redis_cache: a Redis outage means cache misses, never errors for readers."""

import json
import socket
import tempfile
import time

from django.test import SimpleTestCase

from newsroom import redis_cache
from newsroom.redis_cache import ResilientRedisCache, ResilientRedisCacheClient
from tests.test_production import BASE_DIR, last_json, manage, run_django

OPTIONS = {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class ResilientRedisCacheTests(SimpleTestCase):
    def setUp(self):
        ResilientRedisCacheClient._down_until = 0.0
        self.addCleanup(setattr, ResilientRedisCacheClient, "_down_until", 0.0)

    def cache(self, url):
        return ResilientRedisCache(url, {"OPTIONS": OPTIONS, "KEY_PREFIX": "resilience-test"})

    def test_behaves_like_django_redis_cache_when_redis_is_up(self):
        """Against the real Redis on loopback (database 15)."""
        cache = self.cache("redis://127.0.0.1:6379/15")
        self.addCleanup(cache.delete_many, ["a", "n"])
        cache.set("a", {"标题": "海尔"}, 30)
        self.assertEqual(cache.get("a"), {"标题": "海尔"})
        self.assertFalse(cache.add("a", "other", 30))
        cache.set("n", 1, 30)
        self.assertEqual(cache.incr("n"), 2)
        self.assertEqual(cache.get_many(["a", "n", "missing"]), {"a": {"标题": "海尔"}, "n": 2})
        self.assertTrue(cache.delete("a"))
        self.assertIsNone(cache.get("a"))

    def test_count_adds_one_and_expires_in_one_round_trip(self):
        cache = self.cache("redis://127.0.0.1:6379/15")
        self.addCleanup(cache.delete, "hits")
        cache.delete("hits")
        self.assertEqual([redis_cache.count(cache, "hits", 2) for _ in range(3)], [1, 2, 3])
        client = cache._cache.get_client()
        self.assertLessEqual(client.ttl(cache.make_key("hits")), 2)  # the first count's expiry kept
        self.assertGreater(client.ttl(cache.make_key("hits")), 0)
        time.sleep(2.1)
        self.assertEqual(redis_cache.count(cache, "hits", 2), 1)  # a new window

    def test_count_on_an_unreachable_redis_raises_value_error(self):
        cache = self.cache(f"redis://127.0.0.1:{closed_port()}/0")
        with self.assertLogs("newsroom.redis_cache", "WARNING"), self.assertRaises(ValueError):
            redis_cache.count(cache, "hits", 60)

    def test_one_redis_client_per_pool_not_one_per_call(self):
        cache = self.cache("redis://127.0.0.1:6379/15")
        self.assertIs(cache._cache.get_client(), cache._cache.get_client(write=True))

    def test_unreachable_redis_is_a_miss_not_an_error(self):
        cache = self.cache(f"redis://127.0.0.1:{closed_port()}/0")
        with self.assertLogs("newsroom.redis_cache", "WARNING") as logs:
            self.assertEqual(cache.get("page", "fallback"), "fallback")
        self.assertIn("redis unreachable", logs.output[0])
        cache.set("page", "html", 30)
        self.assertFalse(cache.add("page", "html", 30))
        self.assertEqual(cache.get_many(["page"]), {})
        self.assertFalse(cache.has_key("page"))
        self.assertFalse(cache.delete("page"))
        cache.set_many({"a": 1}, 30)
        cache.delete_many(["a"])
        with self.assertRaises(ValueError):  # what callers already expect for a missing key
            cache.incr("version")

    def test_after_a_failure_redis_is_not_retried_for_a_while(self):
        cache = self.cache(f"redis://127.0.0.1:{closed_port()}/0")
        with self.assertLogs("newsroom.redis_cache", "WARNING"):
            cache.get("x")
        started = time.perf_counter()
        for _ in range(1000):
            cache.get("x")
        self.assertLess(time.perf_counter() - started, 0.5)  # no connection attempts
        self.assertGreater(ResilientRedisCacheClient._down_until, time.monotonic())

    def test_healthz_reports_the_cache_down_but_stays_up(self):
        result = run_django(
            "from django.test import Client\n"
            "r = Client().get('/healthz')\n"
            "print(json.dumps([r.status_code, r.json()]))",
            env={"DJANGO_DEBUG": "1", "REDIS_URL": f"redis://127.0.0.1:{closed_port()}/0"},
        )
        self.assertEqual(result.returncode, 0, result.stderr)
        status, body = last_json(result)
        self.assertEqual(status, 200)
        self.assertEqual(body["cache"]["status"], "error")
        self.assertEqual(body["database"]["status"], "ok")

    def test_the_outage_warning_goes_to_stderr_not_into_a_commands_output(self):
        """`import_articles --json` prints one JSON object on stdout for cron's scripts, even
        when the cache's warning is logged on the way (logs belong on stderr)."""
        work = tempfile.TemporaryDirectory(dir=BASE_DIR / "var")
        self.addCleanup(work.cleanup)
        env = {"DJANGO_DEBUG": "1", "DATABASE_URL": f"sqlite:///{work.name}/import.sqlite3",
               "REDIS_URL": f"redis://127.0.0.1:{closed_port()}/0"}
        migrated = manage("migrate", "--noinput", "-v0", env=env)
        self.assertEqual(migrated.returncode, 0, migrated.stderr)
        result = manage("import_articles", "--json", "tests/fixtures/seeds", env=env)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("redis unreachable", result.stderr)
        report = json.loads(result.stdout)  # the whole of stdout: one object, nothing else
        self.assertEqual(report["failed"], 0)
        self.assertGreater(report["created"], 0)


class RedisClientTests(SimpleTestCase):
    """The cache's own Redis client for what Django's cache API lacks (articles/reading), and
    django.core.cache.cache (a proxy) taken for the cache it stands for."""

    def setUp(self):
        ResilientRedisCacheClient._down_until = 0.0
        self.addCleanup(setattr, ResilientRedisCacheClient, "_down_until", 0.0)

    def caches(self, location="redis://127.0.0.1:6379/15"):
        return {"default": {"BACKEND": "newsroom.redis_cache.ResilientRedisCache", "LOCATION": location,
                            "KEY_PREFIX": f"client-test-{time.time_ns()}", "OPTIONS": OPTIONS}}

    def test_the_default_cache_proxy_is_taken_for_its_redis_cache(self):
        from django.core.cache import cache
        from django.test import override_settings

        self.assertIsNone(redis_cache.redis_client(cache))  # the tests' local-memory cache
        with override_settings(CACHES=self.caches()):
            client = redis_cache.redis_client(cache)
            self.assertIsNotNone(client)
            key = cache.make_key("proxy-hits")
            self.addCleanup(client.delete, key)
            self.assertEqual([redis_cache.count(cache, "proxy-hits", 5) for _ in range(2)], [1, 2])
            self.assertEqual(int(client.get(key)), 2)  # counted by the one-round-trip script
            self.assertLessEqual(client.ttl(key), 5)

    def test_guarded_work_runs_on_the_caches_client_or_falls_back_once_logged(self):
        cache = ResilientRedisCache("redis://127.0.0.1:6379/15", {"OPTIONS": OPTIONS})
        self.assertTrue(cache.guarded(lambda client: client.ping(), False))
        down = ResilientRedisCache(f"redis://127.0.0.1:{closed_port()}/0", {"OPTIONS": OPTIONS})
        with self.assertLogs("newsroom.redis_cache", "WARNING") as logs:
            self.assertEqual([down.guarded(lambda client: client.ping(), "fallback") for _ in range(3)],
                             ["fallback"] * 3)
        self.assertEqual(len(logs.output), 1)
