"""Shared set-up for the read counter's tests: Django's cache on the real Redis on loopback
(database 15, under a key prefix of each test's own, deleted afterwards), stories to read, and
readers' requests as browsers send them."""

import datetime
import os
import subprocess
import sys
import uuid

from django.conf import settings
from django.core.cache import cache
from django.test import override_settings
from django.utils import timezone

from articles.models import Article, Source
from articles.reading.beacon import beacon_path, forget_published
from articles.reading.counting import bucket_key, hour_of
from newsroom.redis_cache import ResilientRedisCacheClient, redis_client

REDIS_URL = "redis://127.0.0.1:6379/15"
OPTIONS = {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}
BROWSER = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
           "Mobile/15E148 MicroMessenger/8.0.40(0x18002831) NetType/WIFI Language/zh_CN")


def redis_caches(*, prefix: str, location: str = REDIS_URL) -> dict:
    """CACHES as production has them (settings.py with REDIS_URL), at `location` under `prefix`."""
    return {"default": {"BACKEND": "newsroom.redis_cache.ResilientRedisCache", "LOCATION": location,
                        "KEY_PREFIX": prefix, "TIMEOUT": 300, "OPTIONS": OPTIONS}}


def story(title: str, *, status: str = Article.Status.PUBLISHED, hours_ago: float = 1, **fields) -> Article:
    source = Source.objects.get_or_create(name="阅读测试媒体", slug="yuedu")[0]
    return Article.objects.create(
        title=title, status=status, source=source, body=f"<p>{title}的正文。</p>",
        published_at=timezone.now() - datetime.timedelta(hours=hours_ago), **fields)


class RealRedisMixin:
    """Django's cache is the real Redis (never cleared: other test processes share the database)."""

    def setUp(self):
        super().setUp()
        self.prefix = f"reading-test-{uuid.uuid4().hex}"
        overridden = override_settings(CACHES=redis_caches(prefix=self.prefix))
        overridden.enable()
        self.addCleanup(overridden.disable)
        ResilientRedisCacheClient._down_until = 0.0
        self.addCleanup(setattr, ResilientRedisCacheClient, "_down_until", 0.0)
        forget_published()
        self.redis = redis_client(cache)
        self.addCleanup(self.delete_keys)

    def delete_keys(self) -> None:
        keys = list(self.redis.scan_iter(match=f"{self.prefix}:*", count=1000))
        if keys:
            self.redis.delete(*keys)

    def keys(self, pattern: str) -> list[str]:
        """This test's keys matching `pattern` (without the prefix)."""
        return sorted(key.decode().split(":", 2)[2] for key in self.redis.scan_iter(
            match=cache.make_key(pattern), count=1000))

    def bucket(self, at: datetime.datetime | None = None) -> dict[int, int]:
        """The reads counted in Redis in the hour of `at` (now): story id -> reads."""
        raw = self.redis.hgetall(cache.make_key(bucket_key(hour_of(at or timezone.now()))))
        return {int(story): int(reads) for story, reads in raw.items()}


class ReaderMixin:
    def read(self, article, *, address: str = "203.0.113.7", agent: str = BROWSER, **headers):
        """What a reader's browser sends once the story's page is shown (static/js/read.js)."""
        headers = {"HTTP_SEC_FETCH_SITE": "same-origin", **headers}
        return self.client.post(beacon_path(article.pk), REMOTE_ADDR=address, HTTP_USER_AGENT=agent, **headers)


def flush_process(prefix: str, *args: str, env: dict | None = None) -> subprocess.Popen:
    """A `flush_reads` process of its own on the test database and the real Redis, under the
    test's key prefix (to kill, or to run beside another)."""
    code = (
        "import os, django\n"
        "os.environ['DJANGO_SETTINGS_MODULE'] = 'newsroom.settings'\n"
        "from django.conf import settings\n"
        f"settings.CACHES['default']['KEY_PREFIX'] = {prefix!r}\n"
        "django.setup()\n"
        "from django.core.management import call_command\n"
        f"call_command('flush_reads', *{list(args)!r})\n"
    )
    from articles.bench import drills

    env = {**os.environ, "DATABASE_URL": drills.database_url(), "DJANGO_DEBUG": "1", "REDIS_URL": REDIS_URL,
           **(env or {})}
    return subprocess.Popen([sys.executable, "-c", code], cwd=settings.BASE_DIR, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
