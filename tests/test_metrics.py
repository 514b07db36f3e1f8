"""newsroom/metrics.py: what Prometheus reads at /metrics, and who may read it. Parsed with the
client library's own parser (what Prometheus accepts), after real requests and a real import."""

from io import StringIO

from django.core.cache import cache
from django.core.management import call_command
from django.test import TestCase, override_settings
from prometheus_client.parser import text_string_to_metric_families

from articles.models import Article
from newsroom import metrics
from tests.site_support import SEEDS, FreshCacheMixin

MONITOR = "10.1.2.3"


def scrape(client, address: str = "127.0.0.1") -> dict[tuple[str, tuple], float]:
    response = client.get("/metrics", REMOTE_ADDR=address)
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"].startswith("text/plain; version="), response["Content-Type"]
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(response.content.decode()) for sample in family.samples}


def value(samples: dict, name: str, **labels) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


class MetricsTests(FreshCacheMixin, TestCase):
    def setUp(self):
        super().setUp()
        metrics._allowed.cache_clear()
        self.addCleanup(metrics._allowed.cache_clear)

    def test_only_the_monitoring_addresses_may_read(self):
        self.assertEqual(self.client.get("/metrics", REMOTE_ADDR="203.0.113.9").status_code, 404)
        with override_settings(NEWSROOM_METRICS_ALLOW="10.1.0.0/16, ::1"):
            metrics._allowed.cache_clear()
            self.assertEqual(self.client.get("/metrics", REMOTE_ADDR=MONITOR).status_code, 200)
            self.assertEqual(self.client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code, 404)
        # Behind the proxy the address is the one nginx saw, not what the client claims.
        with override_settings(BEHIND_PROXY=True):
            claimed = self.client.get("/metrics", REMOTE_ADDR="127.0.0.1",
                                      HTTP_X_FORWARDED_FOR="127.0.0.1, 203.0.113.9")
            self.assertEqual(claimed.status_code, 404)

    def test_requests_by_view_and_the_page_cache_hit_ratio(self):
        call_command("import_articles", str(SEEDS), "--status", "published", "--quiet", stdout=StringIO())
        story = Article.objects.published().first()
        before = scrape(self.client)
        cache.clear()
        for _ in range(3):
            self.assertEqual(self.client.get(story.get_absolute_url()).status_code, 200)
        self.client.get("/no/such/page/")
        after = scrape(self.client)

        def grew(name, **labels):
            return value(after, name, **labels) - value(before, name, **labels)

        self.assertFalse([name for name, _ in after if name.endswith("_created")])
        self.assertEqual(grew("newsroom_page_cache_requests_total", result="miss"), 2)  # the story once, the 404
        self.assertEqual(grew("newsroom_page_cache_requests_total", result="hit"), 2)
        self.assertEqual(grew("newsroom_request_duration_seconds_count",
                              view="articles:detail", method="GET", status="2xx"), 1)
        self.assertEqual(grew("newsroom_request_duration_seconds_count", view="page cache", method="GET",
                              status="2xx"), 2)
        self.assertEqual(grew("newsroom_request_duration_seconds_count", view="unresolved", method="GET",
                              status="4xx"), 1)

    def test_import_runs_files_and_lock_waits(self):
        call_command("import_articles", str(SEEDS), "--status", "published", "--quiet", stdout=StringIO())
        metrics.count_lock_wait(1.5, busy=True)
        samples = scrape(self.client)
        self.assertEqual(value(samples, "newsroom_import_runs_total", status="ok"), 1)
        self.assertEqual(value(samples, "newsroom_import_files_total", outcome="created"),
                         Article.objects.count())
        self.assertGreater(value(samples, "newsroom_import_last_finished_timestamp_seconds"), 0)
        self.assertGreaterEqual(value(samples, "newsroom_import_last_duration_seconds"), 0)
        self.assertEqual(value(samples, "newsroom_import_running_seconds"), 0)
        self.assertEqual(value(samples, "newsroom_import_lock_busy_total"), 1)
        self.assertEqual(value(samples, "newsroom_import_lock_wait_seconds_total"), 1.5)
