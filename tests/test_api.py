"""The read API on the real seed and corpus stories: filters, keyset pages, the change feed,
drafts never shown, conditional requests, rate limits, CORS and the shape of errors."""

import json
import time
from datetime import timedelta
from unittest.mock import patch

from django.core.cache import cache
from django.test import TestCase, override_settings
from django.utils import timezone
from redis.connection import Connection

from articles.models import Article, ArticleChange, ArticleTag, Source, Stock
from newsroom.redis_cache import ResilientRedisCacheClient
from tests.site_support import SUNING_HAIER, FreshCacheMixin, create_hidden_stories, import_published
from tests.test_redis_cache import closed_port

API = "/api/v1/articles/"
_REDIS_OPTIONS = {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}
REDIS_CACHE = {"default": {"BACKEND": "newsroom.redis_cache.ResilientRedisCache", "OPTIONS": _REDIS_OPTIONS,
                           "LOCATION": "redis://127.0.0.1:6379/15", "KEY_PREFIX": f"api-test-{time.time_ns()}"}}
UNREACHABLE_CACHE = {"default": {**REDIS_CACHE["default"], "LOCATION": f"redis://127.0.0.1:{closed_port()}/0"}}


def body(response) -> dict:
    return json.loads(response.content)


@override_settings(NEWSROOM_API_RATE=(10_000, 60), NEWSROOM_API_CHANGES_SETTLE=0)
class ApiTestCase(FreshCacheMixin, TestCase):
    @classmethod
    def setUpTestData(cls):
        import_published()
        cls.hidden = create_hidden_stories()
        cls.haier = Article.objects.get(external_id=SUNING_HAIER)

    def setUp(self):
        super().setUp()
        cache.clear()

    def ids(self, url) -> list[int]:
        response = self.client.get(url)
        self.assertEqual(response.status_code, 200, response.content)
        return [item["id"] for item in body(response)["results"]]

    def walk(self, url, *, between=None) -> list[int]:
        """Every id of every page of `url`, following `next`."""
        seen, page = [], 0
        while url:
            response = body(self.client.get(url))
            seen += [item["id"] for item in response["results"]]
            url = response["next"]
            page += 1
            if between:
                between(page)
        return seen


class ListTests(ApiTestCase):
    def newest_first(self, queryset) -> list[int]:
        return list(queryset.order_by("-published_at", "-id").values_list("pk", flat=True))

    def test_every_filter_matches_its_queryset(self):
        published = Article.objects.published()
        tag = ArticleTag.objects.filter(items__isnull=False).first()
        stock = self.haier.stocks.first()
        both = published.filter(tags__isnull=False, stocks__isnull=False).first()
        both_tag, both_stock = both.tags.first(), both.stocks.first()
        since = self.haier.published_at - timedelta(days=30)
        cases = {
            f"source={self.haier.source.slug}": published.filter(source=self.haier.source),
            f"category={self.haier.category.slug}": published.filter(category=self.haier.category),
            f"tag={tag.slug}": published.filter(tags=tag),
            f"stock={stock.symbol}": published.filter(stocks=stock),
            f"stock={stock.symbol.lower()}": published.filter(stocks=stock),
            f"since={since.isoformat()}": published.filter(published_at__gte=since),
            f"until={since.isoformat()}": published.filter(published_at__lt=since),
            "q=海尔": published.filter(pk=self.haier.pk) | published.filter(title__contains="海尔")
            | published.filter(body__contains="海尔"),
            # Filters together, with and without a search.
            f"source={self.haier.source.slug}&since={since.isoformat()}":
                published.filter(source=self.haier.source, published_at__gte=since),
            f"tag={both_tag.slug}&stock={both_stock.symbol}": published.filter(tags=both_tag).filter(stocks=both_stock),
            f"q=海尔&category={self.haier.category.slug}&stock={stock.symbol}":
                published.filter(category=self.haier.category, stocks=stock, body__contains="海尔"),
        }
        for query, expected in cases.items():
            with self.subTest(query):
                self.assertEqual(self.walk(f"{API}?{query.replace('+', '%2B')}&limit=7"), self.newest_first(expected))
                self.assertTrue(expected.exists())
        Article.objects.filter(pk=self.haier.pk).update(important=True)
        cache.clear()
        self.assertEqual(self.ids(f"{API}?important=true"), [self.haier.pk])

    # The page cache rereads its generation once a second: not in the middle of the counts.
    @override_settings(PAGE_CACHE_GENERATION_SECONDS=3600)
    def test_query_counts_stay_bounded_whatever_the_page_size(self):
        stock = self.haier.stocks.first()
        published = Article.objects.published().count()
        self.client.get(f"{API}?limit=2")  # the page cache reads its version once
        for limit in (1, 20, 100):  # each address a page-cache miss
            with self.subTest(limit=limit):
                with self.assertNumQueries(2):  # the page's stories, their tags and stocks
                    self.assertEqual(len(self.ids(f"{API}?limit={limit}")), min(limit, published))
                with self.assertNumQueries(3):  # + the stock's id
                    self.assertTrue(self.ids(f"{API}?limit={limit}&stock={stock.symbol}"))
        with self.assertNumQueries(3):  # the story, its labels, the same story elsewhere
            self.assertEqual(self.client.get(f"{API}{self.haier.pk}/").status_code, 200)

    def test_drafts_scheduled_and_trashed_stories_never_appear(self):
        listed = set(self.walk(f"{API}?limit=100"))
        self.assertEqual(listed, set(Article.objects.published().values_list("pk", flat=True)))
        for state, story in self.hidden.items():
            with self.subTest(state):
                self.assertNotIn(story.pk, listed)
                self.assertEqual(self.client.get(f"{API}{story.pk}/").status_code, 404)
                self.assertNotIn(story.title, self.client.get(f"{API}?q={story.title[:4]}").content.decode())

    def test_pages_lose_and_repeat_nothing_while_stories_arrive(self):
        before = self.newest_first(Article.objects.published())

        def publish_more(page):
            Article.objects.create(title=f"翻页时新到的稿件{page}", status="published", body="<p>新</p>")
            old = Article.objects.create(title=f"翻页时补发的旧稿{page}", status="published", body="<p>旧</p>",
                                         published_at=timezone.now() - timedelta(days=3650))
            before.append(old.pk)  # older than every page: the walk reaches it

        existing = set(before)
        walked = self.walk(f"{API}?limit=5", between=publish_more)
        self.assertEqual(len(walked), len(set(walked)))  # nothing repeated
        self.assertTrue(existing <= set(walked))  # nothing lost
        late = set(before) - existing  # old stories published during the walk, behind the cursor
        self.assertTrue(late & set(walked))

    def test_fields_and_detail(self):
        item = body(self.client.get(f"{API}?fields=title,stocks&stock=SZ002024"))["results"][0]
        self.assertEqual(set(item), {"id", "title", "stocks"})
        self.assertIn({"symbol": "SZ002024", "name": Stock.objects.get(market="SZ", code="002024").name},
                      item["stocks"])
        detail = body(self.client.get(f"{API}{self.haier.pk}/"))
        self.assertEqual(detail["title"], self.haier.title)
        self.assertIn("<p>", detail["body"])
        self.assertEqual(detail["source"]["name"], self.haier.source.name)
        self.assertEqual(detail["same_story"], [])
        self.assertTrue(detail["url"].endswith(self.haier.get_absolute_url()))

    def test_bad_filters_are_400_with_one_error_shape(self):
        for query in ("since=yesterday", "until=2022-13-01", "limit=0", "limit=101", "limit=x", "cursor=abc",
                      "stock=NOPE", "source=no-such-source", "tag=no-such-tag", "fields=title,password",
                      "q=" + "海" * 300, "since=2022-02-21T09:00:00", "important=perhaps"):
            with self.subTest(query):
                response = self.client.get(f"{API}?{query}")
                self.assertEqual(response.status_code, 400, response.content)
                error = body(response)["error"]
                self.assertEqual(error["code"], "bad_request")
                self.assertTrue(error["message"])
        missing = self.client.get(f"{API}999999999/")
        self.assertEqual((missing.status_code, body(missing)["error"]["code"]), (404, "not_found"))

    def test_subjects(self):
        names = [s["slug"] for s in body(self.client.get("/api/v1/sources/"))["results"]]
        self.assertEqual(sorted(names), sorted(Source.objects.values_list("slug", flat=True)))
        stock = body(self.client.get("/api/v1/stocks/?limit=1"))
        self.assertIsNotNone(stock["next"])
        self.assertEqual(set(stock["results"][0]), {"symbol", "name", "market", "url"})


class ChangeFeedTests(ApiTestCase):
    def feed(self, since=None):
        url = "/api/v1/changes/" + (f"?since={since}" if since else "")
        response = body(self.client.get(url))
        cursor = response["next"].split("since=")[-1] if "since=" in response["next"] else None
        return [(item["id"], item["action"]) for item in response["results"]], cursor

    def test_a_mirror_follows_publish_update_unpublish_and_delete(self):
        first, cursor = self.feed()
        mirror = set()
        for pk, action in first:
            (mirror.add if action in ("created", "updated") else mirror.discard)(pk)
        self.assertEqual(mirror, set(Article.objects.published().values_list("pk", flat=True)))
        draft = self.hidden["draft"]
        draft.title = "草稿改了标题"
        draft.save()
        cache.clear()
        self.assertEqual(self.feed(cursor)[0], [])  # a draft's edits are nobody's business
        draft.status = "published"
        draft.save()
        cache.clear()
        changes, cursor = self.feed(cursor)
        self.assertEqual(changes, [(draft.pk, "created")])
        draft.title = "已发布后改标题"
        draft.save()
        draft.status = "draft"
        draft.save()
        pk = self.haier.pk
        self.haier.delete()
        cache.clear()
        changes, cursor = self.feed(cursor)
        self.assertEqual(changes, [(draft.pk, "updated"), (draft.pk, "unpublished"), (pk, "deleted")])
        self.assertEqual(self.feed(cursor)[0], [])

    def test_a_scheduled_story_appears_when_due_and_never_if_withdrawn_first(self):
        _, cursor = self.feed()
        soon = Article.objects.create(title="定时稿", status="published", body="<p>x</p>",
                                      published_at=timezone.now() + timedelta(hours=1))
        cache.clear()
        self.assertEqual(self.feed(cursor)[0], [])
        soon.status = "draft"
        soon.save()
        Article.objects.filter(pk=soon.pk).update(published_at=timezone.now() - timedelta(minutes=1))
        ArticleChange.objects.filter(article_id=soon.pk).update(at=timezone.now() - timedelta(minutes=1))
        cache.clear()
        self.assertEqual(self.feed(cursor)[0], [])  # never visible: no change at all

    def test_a_bad_cursor_is_400(self):
        response = self.client.get("/api/v1/changes/?since=not-a-cursor")
        self.assertEqual(response.status_code, 400)


class HttpTests(ApiTestCase):
    def test_conditional_requests_get_304(self):
        first = self.client.get(API)
        self.assertTrue(first["ETag"])
        self.assertEqual(self.client.get(API, HTTP_IF_NONE_MATCH=first["ETag"]).status_code, 304)
        self.assertEqual(self.client.get(API, HTTP_IF_MODIFIED_SINCE=first["Last-Modified"]).status_code, 304)
        Article.objects.filter(pk=self.haier.pk).first().save()  # a change readers can see
        self.assertEqual(self.client.get(API, HTTP_IF_NONE_MATCH=first["ETag"]).status_code, 200)

    def test_cors_for_reading_from_any_origin(self):
        response = self.client.get(API, HTTP_ORIGIN="https://partner.example")
        self.assertEqual(response["Access-Control-Allow-Origin"], "*")
        preflight = self.client.options(API, HTTP_ORIGIN="https://partner.example",
                                        HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET")
        self.assertEqual(preflight.status_code, 204)
        self.assertIn("GET", preflight["Access-Control-Allow-Methods"])
        self.assertEqual(self.client.post(API).status_code, 405)

    @override_settings(NEWSROOM_API_RATE=(3, 60))
    def test_each_address_is_rate_limited_with_retry_after(self):
        statuses = [self.client.get(API, REMOTE_ADDR="192.0.2.1").status_code for _ in range(4)]
        self.assertEqual(statuses, [200, 200, 200, 429])
        limited = self.client.get(API, REMOTE_ADDR="192.0.2.1")
        self.assertEqual(body(limited)["error"]["code"], "rate_limited")
        self.assertGreaterEqual(int(limited["Retry-After"]), 1)
        self.assertEqual(self.client.get(API, REMOTE_ADDR="192.0.2.2").status_code, 200)  # another client

    @override_settings(NEWSROOM_API_RATE=(3, 60), CACHES=REDIS_CACHE)
    def test_the_limit_counts_in_redis_and_lets_everyone_through_when_redis_is_down(self):
        address = f"192.0.2.{time.time_ns() % 200 + 10}"  # a window of its own in the shared Redis
        statuses = [self.client.get(API, REMOTE_ADDR=address).status_code for _ in range(4)]
        self.assertEqual(statuses, [200, 200, 200, 429])
        with override_settings(CACHES=UNREACHABLE_CACHE), self.assertLogs("newsroom.redis_cache", "WARNING"):
            self.addCleanup(setattr, ResilientRedisCacheClient, "_down_until", 0.0)
            self.assertEqual(self.client.get(API, REMOTE_ADDR=address).status_code, 200)

    @override_settings(NEWSROOM_API_RATE=(64, 60), CACHES=REDIS_CACHE)
    def test_the_limit_stops_at_exactly_its_count_in_redis(self):
        address = f"198.51.100.{time.time_ns() % 200 + 10}"
        if time.time() % 60 > 50:  # all in one window of the limit
            time.sleep(60 - time.time() % 60 + 0.1)
        statuses = [self.client.get(f"{API}?limit=1", REMOTE_ADDR=address).status_code for _ in range(65)]
        self.assertEqual(statuses, [200] * 64 + [429])
        start = int(time.time() // 60) * 60
        shared = cache.get(f"newsroom:api-rate:{address}:{start}")
        self.assertEqual(int(shared), 65)  # every request counted, the refused one too

    @override_settings(CACHES=REDIS_CACHE)
    def test_a_cached_answer_is_counted_and_found_in_one_round_trip_to_redis(self):
        address = f"203.0.113.{time.time_ns() % 200 + 10}"
        first = self.client.get(API, REMOTE_ADDR=address)  # rendered and stored
        trips = []
        send = Connection.send_packed_command

        def counted(connection, command, *args, **kwargs):
            trips.append(command)
            return send(connection, command, *args, **kwargs)

        with patch.object(Connection, "send_packed_command", counted):
            again = self.client.get(API, REMOTE_ADDR=address)
        self.assertEqual((again.status_code, again["X-Page-Cache"], again.content), (200, "hit", first.content))
        self.assertEqual(len(trips), 1)  # the version, the page and the limit's count, pipelined
        start = int(time.time() // 60) * 60
        self.assertEqual(int(cache.get(f"newsroom:api-rate:{address}:{start}")), 2)

    def test_the_openapi_document_and_its_docs_page_need_no_cdn(self):
        document = body(self.client.get("/api/v1/openapi.json"))
        self.assertIn("/api/v1/articles/", document["paths"])
        self.assertIn("/api/v1/changes/", document["paths"])
        docs = self.client.get("/api/v1/docs").content.decode()
        self.assertIn("/static/ninja/swagger-ui-bundle.js", docs)
        self.assertNotIn("cdn", docs.lower())
