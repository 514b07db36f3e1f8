"""A withdrawn story stays withdrawn whatever Redis does while the desk withdraws it.

Real processes only: a private redis-server on a free loopback port (the shared one is left
alone), the site served by gunicorn from the database this test writes to, and the withdrawal
made through the ORM with the production cache backend pointed at that Redis.
"""

import os
import shutil
import signal
import subprocess
import time
from datetime import timedelta

import redis
from django.test import TransactionTestCase, override_settings, tag
from django.utils import timezone

from articles.bench import serve
from articles.bench.drills import database_url
from articles.models import Article, Category, Source
from newsroom.redis_cache import ResilientRedisCacheClient

# Readers must get 404 this soon after the withdrawal, and keep getting it.
WITHIN_SECONDS = 5.0


def start_redis(port: int) -> subprocess.Popen:
    process = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "no"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    client = redis.Redis(port=port, socket_timeout=1)
    deadline = time.monotonic() + 10
    while True:
        try:
            client.ping()
            return process
        except redis.ConnectionError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("redis-server did not start") from None
            time.sleep(0.05)


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.kill(process.pid, signal.SIGCONT)  # a frozen process ignores SIGTERM until thawed
        process.kill()
    process.wait(timeout=10)


@tag("slow")  # real processes or a browser: left out of `make test-fast`
class WithdrawalUnderRedisFaultsTests(TransactionTestCase):
    def setUp(self):
        # Fail, not skip: without Redis this suite would prove nothing.
        self.assertIsNotNone(shutil.which("redis-server"), "redis-server is not installed")
        self.port = serve.free_port()
        self.redis = start_redis(self.port)
        self.addCleanup(lambda: stop(self.redis))
        redis_url = f"redis://127.0.0.1:{self.port}/0"
        # This process plays the editor's: the production backend, on the same Redis.
        caches = override_settings(CACHES={"default": {
            "BACKEND": "newsroom.redis_cache.ResilientRedisCache", "LOCATION": redis_url,
            "KEY_PREFIX": "newsroom", "OPTIONS": {"socket_connect_timeout": 0.5,
                                                  "socket_timeout": 0.5},
        }})
        caches.enable()
        self.addCleanup(caches.disable)
        self.addCleanup(setattr, ResilientRedisCacheClient, "_down_until", 0.0)

        source = Source.objects.create(name="撤稿测试来源", slug="chegao")
        category = Category.objects.create(name="撤稿测试栏目", slug="chegao-lanmu")
        self.story = Article.objects.create(
            title="将被撤下的稿件", status=Article.Status.PUBLISHED, source=source,
            category=category, published_at=timezone.now() - timedelta(hours=1),
            body="<p>将被撤下的正文。</p>",
        )
        env = {key: value for key, value in os.environ.items()
               if not key.startswith(("DJANGO_", "GUNICORN_", "NEWSROOM_"))}
        env |= {"DJANGO_DEBUG": "1", "DATABASE_URL": database_url(), "REDIS_URL": redis_url,
                "WEB_CONCURRENCY": "2", "LOG_LEVEL": "ERROR"}
        server = serve.gunicorn(env)
        self.base = server.__enter__().base
        self.addCleanup(server.__exit__, None, None, None)
        self.url = self.base + self.story.get_absolute_url()

    def status(self) -> int:
        return serve.get(self.url, headers={"Host": "127.0.0.1"}, timeout=10)[0]

    def cache_the_page(self) -> None:
        for _ in range(4):  # both workers: each reads it once at least
            self.assertEqual(self.status(), 200)
        pages = redis.Redis(port=self.port).keys("*newsroom:page:*")
        self.assertTrue(pages, "the story's page was not cached")

    def withdraw(self) -> None:
        self.story.status = Article.Status.DRAFT
        self.story.save()

    def withdraw_while_backing_off(self) -> None:
        """Withdraw from a process that has just met the frozen Redis (the desk's gunicorn
        worker served a reader's page a moment earlier), so it does not even try to send the
        bump: a bump sent to a frozen Redis waits in its socket and is applied when it thaws."""
        from django.core.cache import cache

        cache.get("probe")  # times out: this process backs off
        self.assertGreater(ResilientRedisCacheClient._down_until, time.monotonic())
        self.withdraw()

    def assert_withdrawn(self, *, hold: float) -> None:
        """404 within WITHIN_SECONDS of now, then nothing but 404 for `hold` seconds."""
        started = time.monotonic()
        seen = []
        while time.monotonic() - started < WITHIN_SECONDS:
            seen.append((round(time.monotonic() - started, 1), self.status()))
            if seen[-1][1] == 404:
                break
            time.sleep(0.1)
        self.assertEqual(seen[-1][1], 404, f"still served after {WITHIN_SECONDS} s: {seen}")
        until = time.monotonic() + hold
        while time.monotonic() < until:
            seen.append((round(time.monotonic() - started, 1), self.status()))
            time.sleep(0.1)
        self.assertEqual({status for _, status in seen[1:]} - {404}, set(),
                         f"the withdrawn story came back: {seen}")

    def test_withdrawn_while_redis_is_frozen(self):
        """The bump cannot reach Redis; when it thaws, it still holds the old page and version.

        Longer than the backend's 5 s back-off, so a worker that gave up on Redis during the
        freeze has tried it again."""
        self.cache_the_page()
        os.kill(self.redis.pid, signal.SIGSTOP)
        try:
            self.withdraw_while_backing_off()
            self.assertEqual(self.status(), 404)  # from the database while Redis is frozen
        finally:
            os.kill(self.redis.pid, signal.SIGCONT)
        self.assert_withdrawn(hold=8)

    def test_withdrawn_while_redis_is_down_then_restarted_empty(self):
        self.cache_the_page()
        stop(self.redis)
        self.withdraw()
        self.redis = start_redis(self.port)
        self.assert_withdrawn(hold=4)
