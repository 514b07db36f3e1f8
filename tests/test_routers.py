"""newsroom/routers.py in one process: which requests are readers', the cookie a write leaves,
a page made again when its replica failed, and the site unchanged with the router installed
and no replica to send reads to. Then the settings that install it (a process each: settings
are read once). Against a real streaming replica: tests/test_replicas.py."""

import contextlib
import math
import re
import time
import warnings

from django.conf import settings
from django.core.handlers.exception import convert_exception_to_response
from django.db import OperationalError, connection, router
from django.http import HttpResponse
from django.test import RequestFactory, SimpleTestCase, TestCase, override_settings
from django.test.utils import CaptureQueriesContext

from articles.models import Article, Source
from newsroom import replicas, routers
from newsroom.routers import WROTE_COOKIE, ReplicaReadsMiddleware, ReplicaRouter
from tests.admin_support import make_superuser
from tests.site_support import SUNING_HAIER, import_published
from tests.test_admin_saves import form_as_posted
from tests.test_production import last_json, run_django


@contextlib.contextmanager
def with_router():
    """The settings DATABASE_REPLICA_URLS gives, less the replicas."""
    middleware = list(settings.MIDDLEWARE)
    middleware.insert(middleware.index("articles.api.edge.ApiEdgeMiddleware"),
                      "newsroom.routers.ReplicaReadsMiddleware")
    with override_settings(DATABASE_ROUTERS=["newsroom.routers.ReplicaRouter"], MIDDLEWARE=middleware), \
            warnings.catch_warnings():
        # WhiteNoise, set up again with the middleware, finds no collected static files.
        warnings.filterwarnings("ignore", "No directory at", UserWarning)
        yield


def readers(request) -> bool:
    return ReplicaReadsMiddleware(lambda request: HttpResponse()).readers(request)


class ReadersRequestsTests(SimpleTestCase):
    factory = RequestFactory()

    def test_anonymous_reads_of_pages_and_the_api_are_readers(self):
        for method, path in (("get", "/"), ("head", "/articles/1/a/"), ("options", "/search/"),
                             ("get", "/api/v1/articles/"), ("get", "/healthz")):
            with self.subTest(method=method, path=path):
                self.assertTrue(readers(getattr(self.factory, method)(path)))

    def test_the_desk_writes_and_signed_in_editors_read_the_primary(self):
        self.assertFalse(readers(self.factory.get(f"/{settings.ADMIN_URL}articles/article/")))
        self.assertFalse(readers(self.factory.get(f"/{settings.ADMIN_URL}login/")))
        self.assertFalse(readers(self.factory.post("/r/1/")))
        signed_in = self.factory.get("/")
        signed_in.COOKIES[settings.SESSION_COOKIE_NAME] = "any"
        self.assertFalse(readers(signed_in))


class WriteCookieTests(TestCase):
    """The cookie a write leaves keeps the browser on the primary, signed and for a while."""

    factory = RequestFactory()

    def wrote(self):
        def save(request):
            Source.objects.create(name="路由测试来源", slug="luyou")
            return HttpResponse()

        with override_settings(DATABASE_ROUTERS=["newsroom.routers.ReplicaRouter"]):
            return ReplicaReadsMiddleware(save)(self.factory.post(f"/{settings.ADMIN_URL}articles/source/add/"))

    def with_cookie(self, value: str):
        request = self.factory.get("/")
        request.COOKIES[WROTE_COOKIE] = value
        return request

    def test_a_request_that_wrote_marks_the_browser_which_then_reads_the_primary(self):
        cookie = self.wrote().cookies[WROTE_COOKIE]
        self.assertEqual(cookie["max-age"], math.ceil(settings.NEWSROOM_READ_YOUR_WRITES_SECONDS))
        self.assertTrue(cookie["httponly"])
        self.assertEqual(cookie["samesite"], "Lax")
        self.assertFalse(readers(self.with_cookie(cookie.value)))

    def test_a_forged_cookie_is_a_readers(self):
        self.assertTrue(readers(self.with_cookie("1")))
        self.assertTrue(readers(self.with_cookie(self.wrote().cookies[WROTE_COOKIE].value + "x")))

    def test_the_cookie_runs_out(self):
        value = self.wrote().cookies[WROTE_COOKIE].value
        time.sleep(1.01)  # its signature's time is in whole seconds
        with override_settings(NEWSROOM_READ_YOUR_WRITES_SECONDS=0):
            self.assertTrue(readers(self.with_cookie(value)))

    def test_a_request_that_only_reads_leaves_no_cookie(self):
        def read(request):
            list(Source.objects.all())
            return HttpResponse()

        with override_settings(DATABASE_ROUTERS=["newsroom.routers.ReplicaRouter"]):
            response = ReplicaReadsMiddleware(read)(self.factory.get("/"))
        self.assertNotIn(WROTE_COOKIE, response.cookies)


class RouterTests(TestCase):
    def test_commands_and_anything_outside_a_request_use_the_primary(self):
        self.assertEqual(ReplicaRouter().db_for_read(Article), "default")
        self.assertEqual(ReplicaRouter().db_for_write(Article), "default")

    def test_a_request_reads_the_primary_from_its_first_write_on(self):
        seen = []

        def view(request):
            seen.append(ReplicaRouter().db_for_read(Article))
            Source.objects.create(name="路由测试来源", slug="luyou")
            seen.append(ReplicaRouter().db_for_read(Article))
            return HttpResponse()

        with override_settings(DATABASE_ROUTERS=["newsroom.routers.ReplicaRouter"], DATABASE_REPLICAS=[]):
            ReplicaReadsMiddleware(view)(RequestFactory().get("/"))
        self.assertEqual(seen, ["default", "default"])  # no replica configured: the primary anyway

    def test_only_the_primary_is_migrated(self):
        self.assertTrue(ReplicaRouter().allow_migrate("default", "articles"))
        self.assertFalse(ReplicaRouter().allow_migrate("replica1", "articles"))


class RetryTests(SimpleTestCase):
    """A page whose replica failed is made again from the primary (the real failure, a session
    cut mid-request, is in tests/test_replicas.py)."""

    def setUp(self):
        self.addCleanup(replicas.forget)

    @override_settings(DATABASE_REPLICAS=["replica1"])
    def test_a_reader_gets_the_page_from_the_primary_and_the_replica_is_taken_out(self):
        attempts = []

        def page(request):
            reads = routers._request.get()
            attempts.append(reads.replicas)
            if reads.replicas:
                reads.alias = "replica1"  # as the router chose it
                raise OperationalError("server closed the connection unexpectedly")
            return HttpResponse("主库")

        middleware = ReplicaReadsMiddleware(convert_exception_to_response(page))
        with self.assertLogs("django.request", "ERROR"), self.assertLogs("newsroom", "WARNING") as logs:
            response = middleware(RequestFactory().get("/"))
        self.assertEqual((response.status_code, response.content.decode()), (200, "主库"))
        self.assertEqual(attempts, [True, False])
        self.assertIn("served from the primary", "\n".join(logs.output))
        self.assertEqual(replicas._replica("replica1").verdict.state, replicas.DOWN)

    @override_settings(DATABASE_REPLICAS=["replica1"])
    def test_a_request_that_wrote_is_not_made_twice(self):
        attempts = []

        def page(request):
            reads = routers._request.get()
            attempts.append(reads.replicas)
            reads.alias, reads.wrote = "replica1", True
            raise OperationalError("server closed the connection unexpectedly")

        with self.assertLogs("django.request", "ERROR"):
            response = ReplicaReadsMiddleware(convert_exception_to_response(page))(RequestFactory().get("/"))
        self.assertEqual(response.status_code, 500)
        self.assertEqual(attempts, [True])


class SiteWithTheRouterTests(TestCase):
    """With the router and its middleware installed and no replica, the site reads and writes
    exactly as without: the same queries, on the same database."""

    @classmethod
    def setUpTestData(cls):
        import_published()
        cls.haier = Article.objects.get(external_id=SUNING_HAIER)
        cls.chief = make_superuser()

    def story_queries(self) -> list[str]:
        with CaptureQueriesContext(connection) as queries:
            self.assertEqual(self.client.get(self.haier.get_absolute_url()).status_code, 200)
        return [re.sub(r"'[0-9-]{10} [0-9:.+]+'", "<now>", query["sql"]) for query in queries]

    @override_settings(PAGE_CACHE_SECONDS=0)
    def test_pages_make_the_same_queries(self):
        without = self.story_queries()
        with with_router():
            self.assertEqual(router.db_for_read(Article), "default")
            self.assertEqual(self.story_queries(), without)
            self.assertEqual(self.client.get(f"/api/v1/articles/{self.haier.pk}/").status_code, 200)

    def test_an_editors_save_marks_the_browser(self):
        self.client.force_login(self.chief)
        url = f"/{settings.ADMIN_URL}articles/article/{self.haier.pk}/change/"
        with with_router():
            page = self.client.get(url)
            response = self.client.post(url, form_as_posted(page.content, title="路由保存测试"))
        self.assertEqual(response.status_code, 302)
        self.assertIn(WROTE_COOKIE, response.cookies)
        self.haier.refresh_from_db()
        self.assertEqual(self.haier.title, "路由保存测试")


REPLICA_SETTINGS = (
    "from django.conf import settings as s\n"
    "print(json.dumps({'databases': {alias: {k: v for k, v in entry.items() if k in "
    "('HOST', 'PORT', 'NAME', 'TEST', 'OPTIONS')} for alias, entry in s.DATABASES.items()},"
    " 'replicas': s.DATABASE_REPLICAS, 'routers': s.DATABASE_ROUTERS, 'middleware': s.MIDDLEWARE,"
    " 'settle': s.NEWSROOM_API_CHANGES_SETTLE}))"
)
PRIMARY = "postgres://postgres@127.0.0.1:5432/news"


class ReplicaSettingsTests(SimpleTestCase):
    def test_without_replica_urls_nothing_changes(self):
        result = run_django(REPLICA_SETTINGS, env={"DJANGO_DEBUG": "1", "DATABASE_URL": PRIMARY})
        self.assertEqual(result.returncode, 0, result.stderr)
        found = last_json(result)
        self.assertEqual(list(found["databases"]), ["default"])
        self.assertEqual((found["replicas"], found["routers"]), ([], []))
        self.assertNotIn("newsroom.routers.ReplicaReadsMiddleware", found["middleware"])
        self.assertEqual(found["settle"], 10.0)

    def test_each_url_is_a_replica_alias_the_test_runner_mirrors_to_default(self):
        urls = "postgres://reader@10.0.0.2:5432/news,postgres://reader@10.0.0.3:6432/news?sslmode=require"
        result = run_django(REPLICA_SETTINGS, env={"DJANGO_DEBUG": "1", "DATABASE_URL": PRIMARY,
                                                   "DATABASE_REPLICA_URLS": urls})
        self.assertEqual(result.returncode, 0, result.stderr)
        found = last_json(result)
        self.assertEqual(found["replicas"], ["replica1", "replica2"])
        one, two = found["databases"]["replica1"], found["databases"]["replica2"]
        self.assertEqual((one["HOST"], one["PORT"], one["NAME"]), ("10.0.0.2", "5432", "news"))
        self.assertEqual((two["HOST"], two["PORT"], two["OPTIONS"]["sslmode"]), ("10.0.0.3", "6432", "require"))
        for entry in (one, two):
            self.assertEqual(entry["TEST"]["MIRROR"], "default")
            self.assertEqual(entry["OPTIONS"]["connect_timeout"], "2")
            self.assertEqual(entry["OPTIONS"]["options"], "-c plan_cache_mode=force_generic_plan -c jit=off")
        self.assertEqual(found["routers"], ["newsroom.routers.ReplicaRouter"])
        middleware = found["middleware"]
        ours = middleware.index("newsroom.routers.ReplicaReadsMiddleware")
        # Above the API's edge, which makes the page cache's look-up (and reads its version).
        self.assertEqual(middleware[ours + 1], "articles.api.edge.ApiEdgeMiddleware")
        self.assertLess(ours, middleware.index("articles.cache.PageCacheMiddleware"))
        self.assertLess(middleware.index("articles.reading.beacon.ReadBeaconMiddleware"), ours)
        # Mirrors are told of a change once any replica readers may be sent to has it: 10 + 5 + 1.
        self.assertEqual(found["settle"], 16.0)

    def test_refuses_replicas_that_cannot_work(self):
        replica = {"DJANGO_DEBUG": "1", "DATABASE_REPLICA_URLS": "postgres://reader@10.0.0.2/news"}
        for reason, env in (
            ("a SQLite primary", replica | {"DATABASE_URL": "sqlite:///:memory:"}),
            ("a SQLite replica", replica | {"DATABASE_URL": PRIMARY, "DATABASE_REPLICA_URLS": "sqlite:///r.db"}),
            ("editors back on replicas before they have the save",
             replica | {"DATABASE_URL": PRIMARY, "NEWSROOM_READ_YOUR_WRITES_SECONDS": "6"}),
        ):
            with self.subTest(reason):
                result = run_django("print(1)", env=env)
                self.assertNotEqual(result.returncode, 0)
                self.assertIn("ImproperlyConfigured", result.stderr)
