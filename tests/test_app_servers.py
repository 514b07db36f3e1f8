"""Two app servers sharing one database and one Redis (issue 20): real gunicorn processes with the
production settings on loopback, and deploy/nginx.conf in front of both. What one server does,
the other sees: page-cache invalidation, editors' sessions and CSRF, login throttling and the
API's rate limit; and readers keep getting pages when one server goes away.

(The import lock is the database's, whichever host runs the import: tests/test_ingest_pipeline.py
runs two imports at once against one database.)"""

import http.client
import shutil
import tempfile
import time
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.test import TransactionTestCase, override_settings, tag
from prometheus_client.parser import text_string_to_metric_families

from articles.bench import drills, serve
from articles.bench.outage import start_redis
from articles.models import Article
from tests.admin_support import make_superuser
from tests.reading_support import redis_caches, story

PASSWORD = "Zhubian-2024-pass"  # noqa: S105 (admin_support.make_superuser's)
HOST = "localhost"  # in the servers' DJANGO_ALLOWED_HOSTS
API_RATE = 6  # requests a minute per client address, across both servers


class Client:
    """A browser's cookie jar against several servers of one site (cookies are the site's,
    whichever server set them), speaking plain HTTP as nginx does to gunicorn."""

    def __init__(self, address: str | None = "198.51.100.7"):
        self.cookies: dict[str, str] = {}
        self.address = address

    def request(self, base: str, path: str, *, method: str = "GET", form: dict | None = None,
                headers: dict | None = None) -> tuple[int, dict[str, str], str]:
        parts = urlsplit(base)
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        # One site name whichever server answers, as behind nginx (pages are cached by address).
        sent = {"Host": HOST, "User-Agent": "Mozilla/5.0 (two servers test)", **serve.FORWARDED, **(headers or {})}
        if self.address:  # as nginx passes it on; None: a client on the server's own network
            sent["X-Forwarded-For"] = self.address
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form)
            sent |= {"Content-Type": "application/x-www-form-urlencoded",
                     "Origin": f"https://{HOST}", "Referer": f"https://{HOST}{path}"}
        try:
            connection.request(method, path, body=body, headers=sent)
            response = connection.getresponse()
            text = response.read().decode("utf-8", "replace")
            for name, value in response.getheaders():
                if name.lower() == "set-cookie":
                    for morsel in SimpleCookie(value).values():
                        if morsel["max-age"] == "0" or not morsel.value:
                            self.cookies.pop(morsel.key, None)
                        else:
                            self.cookies[morsel.key] = morsel.value
            return response.status, {k.lower(): v for k, v in response.getheaders()}, text
        finally:
            connection.close()

    def sign_in(self, page_from: str, post_to: str, password: str) -> int:
        """Open the desk's sign-in page on one server and send the form to another."""
        login = f"/{settings.ADMIN_URL}login/"
        _, _, page = self.request(page_from, login)
        token = page.split('name="csrfmiddlewaretoken" value="', 1)[1].split('"', 1)[0]
        status, _, _ = self.request(post_to, login, method="POST", form={
            "csrfmiddlewaretoken": token, "username": "chief", "password": password,
            "next": f"/{settings.ADMIN_URL}"})
        return status


@tag("slow")  # real processes: left out of `make test-fast`
class TwoServersTests(TransactionTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.work = Path(tempfile.mkdtemp())
        cls.work.chmod(0o755)  # nginx's workers (not root) write its micro-cache in here
        port = serve.free_port()
        cls.redis_server = start_redis(port, cls.work)
        cls.redis_url = f"redis://127.0.0.1:{port}/0"
        # One environment for both, as one newsroom.env on every host: the same secret key.
        cls.env = serve.production_env(
            database_url=drills.database_url(), static_root=cls.work / "static", redis_url=cls.redis_url,
            extra={"WEB_CONCURRENCY": "2", "NEWSROOM_API_RATE": f"{API_RATE}/60",
                   # Invalidation must come through Redis at once, not the database's generation
                   # a second later.
                   "NEWSROOM_PAGE_CACHE_GENERATION_SECONDS": "3600"})
        serve.collectstatic(cls.env)
        cls.servers = [serve.gunicorn(cls.env), serve.gunicorn(cls.env)]
        cls.one, cls.two = (server.__enter__().base for server in cls.servers)

    @classmethod
    def tearDownClass(cls):
        for server in cls.servers:
            server.__exit__(None, None, None)
        cls.redis_server.kill()
        cls.redis_server.wait()
        shutil.rmtree(cls.work, ignore_errors=True)
        super().tearDownClass()

    def setUp(self):
        # This process edits as the desk does: its cache is the servers' Redis, under their prefix.
        shared = override_settings(CACHES=redis_caches(prefix="newsroom", location=self.redis_url))
        shared.enable()
        self.addCleanup(shared.disable)
        self.story = story("两台服务器上的同一篇稿件")
        self.path = self.story.get_absolute_url()

    def test_an_edit_reaches_readers_of_both_servers_at_once(self):
        reader = Client()
        first = reader.request(self.one, self.path)
        self.assertEqual(first[0], 200)
        self.assertIn("两台服务器上的同一篇稿件", first[2])
        # The page one server rendered is the other's cache hit.
        again = reader.request(self.two, self.path)
        self.assertEqual((again[0], again[1].get("x-page-cache")), (200, "hit"))
        edited = Article.objects.get(pk=self.story.pk)
        edited.title = "改过的标题"
        edited.save()
        for base in (self.one, self.two):
            status, headers, page = reader.request(base, self.path)
            self.assertEqual(status, 200)
            self.assertIn('<h1 id="story-title" class="story-title">改过的标题</h1>', page, base)

    def test_an_editor_signed_in_on_one_server_is_signed_in_on_the_other(self):
        make_superuser()
        editor = Client(address="198.51.100.20")
        desk = f"/{settings.ADMIN_URL}"
        # The sign-in form from one server, sent to the other: its CSRF token holds there.
        self.assertEqual(editor.sign_in(self.one, self.two, PASSWORD), 302)
        for base in (self.one, self.two):
            status, _, page = editor.request(base, desk)
            self.assertEqual(status, 200, base)
            self.assertIn("chief", page)
        # Signed out on one server, signed out on both.
        _, _, page = editor.request(self.two, desk)
        token = editor.cookies["csrftoken"]
        self.assertEqual(editor.request(self.one, f"{desk}logout/", method="POST",
                                        form={"csrfmiddlewaretoken": token})[0], 200)
        self.assertEqual(editor.request(self.two, desk)[0], 302)

    def test_failed_sign_ins_are_counted_across_servers(self):
        make_superuser()
        guesser = Client(address="198.51.100.66")
        for attempt in range(settings.AXES_FAILURE_LIMIT - 1):
            status = guesser.sign_in(self.one, (self.one, self.two)[attempt % 2], "wrong-password")
            self.assertEqual(status, 200, attempt)  # the form again, with its error
        self.assertEqual(guesser.sign_in(self.two, self.two, "wrong-password"), 429)  # the last allowed
        # Locked out everywhere, even with the right password now.
        for base in (self.one, self.two):
            self.assertEqual(guesser.sign_in(base, base, PASSWORD), 429, base)

    def test_the_api_rate_limit_counts_requests_to_both_servers(self):
        if time.time() % 60 > 50:  # all in one window of the limit
            time.sleep(60 - time.time() % 60 + 0.1)
        partner = Client(address=f"203.0.113.{time.time_ns() % 200 + 20}")
        statuses = [partner.request((self.one, self.two)[n % 2], "/api/v1/articles/?limit=1")[0]
                    for n in range(API_RATE + 2)]
        self.assertEqual(statuses, [200] * API_RATE + [429, 429])

    def test_metrics_add_up_every_worker_and_only_the_monitor_reads_them(self):
        monitor = Client(address=None)  # Prometheus, scraping the server directly from loopback

        def served() -> float:
            status, _, text = monitor.request(self.one, "/metrics")
            self.assertEqual(status, 200)
            return sum(sample.value for family in text_string_to_metric_families(text)
                       for sample in family.samples
                       if sample.name == "newsroom_request_duration_seconds_count"
                       and sample.labels["view"] in ("articles:detail", "page cache"))

        before = served()
        reader = Client()
        for _ in range(12):
            self.assertEqual(reader.request(self.one, self.path)[0], 200)
        self.assertEqual(served() - before, 12)  # whichever of its two workers answered
        # Through nginx, or claiming to be the monitor: not found.
        self.assertEqual(reader.request(self.one, "/metrics")[0], 404)
        self.assertEqual(Client(address="127.0.0.1, 203.0.113.5").request(self.one, "/metrics")[0], 404)

    def test_readers_keep_getting_pages_through_nginx_when_one_server_goes_away(self):
        spare = serve.gunicorn(self.env)
        third = spare.__enter__()
        stopped = False
        try:
            with serve.nginx([third.base, self.two], self.work / "static", self.work / "nginx") as site:
                reader = Client()
                status, _, page = reader.request(site, self.path)
                self.assertEqual(status, 200, page[-2000:])
                spare.__exit__(None, None, None)  # the third server stops
                stopped = True
                # Pages nginx has not cached (another address each time), so each goes upstream.
                statuses = [reader.request(site, f"{self.path}?n={n}")[0] for n in range(10)]
                self.assertEqual(statuses, [200] * 10)
        finally:
            if not stopped:
                spare.__exit__(None, None, None)
