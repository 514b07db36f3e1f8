"""Reads answered by nginx (articles/reading/beaconlog.py): deploy/nginx.conf answers the beacon and
logs it, flush_reads counts the log's new lines into Redis, each line exactly once, through
rotations, partial lines, hostile lines, two runs at once and kill -9."""

import os
import random
import shutil
import subprocess
import tempfile
import time
from io import StringIO
from pathlib import Path

from django.core.cache import cache
from django.core.management import call_command
from django.db.models import Sum
from django.test import SimpleTestCase, TestCase, TransactionTestCase, override_settings, tag
from hypothesis import given
from hypothesis import strategies as st

from articles.bench import serve
from articles.models import Article
from articles.reading import beaconlog
from articles.reading.beaconlog import parse_line
from articles.reading.models import StoryReads
from articles.reading.readers import reader_at
from tests.reading_support import BROWSER, RealRedisMixin, flush_process, story

CURL = "curl/8.5.0"


def line(story_id: int, *, at: float | None = None, method: str = "POST", address: str = "203.0.113.7",
         site: str = "same-origin", agent: str = BROWSER) -> str:
    """A log line as nginx writes it with the newsroom_reads format."""
    return f'{at or time.time():.3f} {method} /r/{story_id}/ {address} "{site}" "{agent}"\n'


class ParseTests(SimpleTestCase):
    def test_a_browsers_beacon(self):
        beacon = parse_line(line(42, at=1764748800.123))
        self.assertEqual((beacon.at, beacon.story, beacon.reader, beacon.counts),
                         (1764748800.123, 42, reader_at("203.0.113.7"), True))

    def test_what_does_not_count(self):
        for reason, text in (
            ("a robot", line(42, agent="Mozilla/5.0 (compatible; Googlebot/2.1)")),
            ("a tool", line(42, agent=CURL)),
            ("no user agent", line(42, agent="-")),
            ("another site's page", line(42, site="cross-site")),
            ("not a POST", line(42, method="GET")),
        ):
            with self.subTest(reason):
                self.assertFalse(parse_line(text).counts)
        self.assertTrue(parse_line(line(42, site="-")).counts)  # a browser that sends no Sec-Fetch-Site

    def test_lines_that_are_not_beacons(self):
        for text in ("", "garbage\n", line(42).replace("/r/42/", "/r/42/../../etc/passwd"),
                     line(42).replace("/r/42/", "/r/9999999999999999999/"), line(42)[:30],
                     '1.000 POST /r/1/ 203.0.113.7 "same-origin" "a"b"\n'):
            with self.subTest(text):
                self.assertIsNone(parse_line(text))

    @given(st.text(max_size=300))
    def test_any_text_is_a_beacon_or_nothing(self, text):
        beacon = parse_line(text)
        self.assertTrue(beacon is None or beacon.story > 0)


class CollectTests(RealRedisMixin, TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.one = story("紫金矿业收购金矿")
        cls.two = story("中国平安发布年报")
        cls.draft = story("未发布的稿件", status=Article.Status.DRAFT)

    def setUp(self):
        super().setUp()
        folder = Path(tempfile.mkdtemp())
        self.addCleanup(shutil.rmtree, folder)
        self.log = folder / "reads.log"

    def write(self, *lines: str, path: Path | None = None) -> None:
        with open(path or self.log, "a", encoding="utf-8") as handle:
            handle.write("".join(lines))

    def total(self) -> int:
        return sum(sum(map(int, self.redis.hvals(cache.make_key(key)))) for key in self.keys("reads:hour:*"))

    def test_each_line_counts_once_per_reader_and_story(self):
        self.write(line(self.one.pk), line(self.one.pk), line(self.one.pk, address="198.51.100.2"),
                   line(self.two.pk), line(self.draft.pk), line(self.one.pk, agent=CURL), "garbage\n")
        collected = beaconlog.collect(self.log)
        self.assertEqual((collected.lines, collected.reads, collected.unreadable), (7, 3, 1))
        self.assertEqual(self.bucket(), {self.one.pk: 2, self.two.pk: 1})
        self.write(line(self.two.pk, address="198.51.100.9"))
        again = beaconlog.collect(self.log)
        self.assertEqual((again.lines, again.reads), (1, 1))  # only the new line
        self.assertEqual(self.bucket(), {self.one.pk: 2, self.two.pk: 2})

    def test_a_quiet_log_keeps_its_place(self):
        self.write(line(self.one.pk))
        beaconlog.collect(self.log)
        offset, = self.keys("reads:log:*")
        self.redis.expire(cache.make_key(offset), 5)  # days without a beacon, nearly gone
        self.assertEqual(beaconlog.collect(self.log).lines, 0)
        self.assertGreater(self.redis.ttl(cache.make_key(offset)), beaconlog.OFFSET_SECONDS - 60)

    def test_a_line_nginx_is_still_writing_waits_for_its_end(self):
        whole = line(self.one.pk)
        self.write(whole[:25])
        self.assertEqual(beaconlog.collect(self.log).lines, 0)
        self.write(whole[25:])
        self.assertEqual(beaconlog.collect(self.log).reads, 1)

    def test_a_rotated_log_is_finished_before_the_new_one(self):
        self.write(line(self.one.pk, address="192.0.2.1"))
        beaconlog.collect(self.log)
        self.write(line(self.one.pk, address="192.0.2.2"))  # after the last run, before rotation
        self.log.rename(self.log.with_name("reads.log.1"))
        self.write(line(self.one.pk, address="192.0.2.3"))  # nginx reopened its log
        collected = beaconlog.collect(self.log)
        self.assertEqual((collected.lines, collected.reads), (2, 2))
        self.assertEqual(self.bucket(), {self.one.pk: 3})

    def test_a_run_that_lost_the_race_counts_nothing(self):
        self.write(line(self.one.pk), line(self.two.pk))
        beaconlog.collect(self.log)
        offset = self.keys("reads:log:*")
        self.assertEqual(len(offset), 1)
        stale = [line(self.one.pk, address="192.0.2.9").encode()]
        late = beaconlog._count(self.redis, cache.make_key(offset[0]), 0, len(stale[0]), stale,
                                beaconlog.Collected())
        self.assertEqual(late, -1)
        self.assertEqual(self.total(), 2)

    def test_reads_reach_the_database_through_flush_reads(self):
        self.write(line(self.one.pk), line(self.two.pk), line(self.two.pk, address="192.0.2.4"))
        out = StringIO()
        with override_settings(NEWSROOM_READS_LOG=str(self.log)):
            call_command("flush_reads", stdout=out)
        self.assertIn("read 3 lines of nginx's reads log, 3 reads", out.getvalue())
        self.assertEqual(dict(StoryReads.objects.values_list("article_id").annotate(n=Sum("count"))),
                         {self.one.pk: 1, self.two.pk: 2})

    def test_an_unreadable_log_is_said_and_the_rest_still_runs(self):
        self.write(line(self.one.pk))
        self.log.chmod(0)
        if os.access(self.log, os.R_OK):  # root reads anything: a folder stands in for the file
            self.log.unlink()
            self.log.mkdir()
        err = StringIO()
        with override_settings(NEWSROOM_READS_LOG=str(self.log)), self.assertRaises(SystemExit):
            call_command("flush_reads", stdout=StringIO(), stderr=err)
        self.assertIn("reads log unreadable", err.getvalue())


@tag("slow")  # real nginx and real processes: left out of `make test-fast`
class NginxTests(RealRedisMixin, TransactionTestCase):
    """deploy/nginx.conf as shipped answers the beacons and writes the log flush_reads reads."""

    def setUp(self):
        super().setUp()
        self.work = Path(tempfile.mkdtemp())
        self.addCleanup(shutil.rmtree, self.work, True)
        self.stories = [story(f"稿件{n}") for n in range(30)]
        server = serve.nginx(f"http://127.0.0.1:{serve.free_port()}", self.work / "static", self.work / "nginx")
        self.base = server.__enter__()
        self.addCleanup(server.__exit__, None, None, None)
        self.log = self.work / "nginx" / "reads.log"

    def post(self, path: str, *, agent: str = BROWSER, method: str = "POST", site: str = "same-origin"):
        status, headers, _ = serve.fetch(self.base + path, method=method, data=b"" if method == "POST" else None,
                                         headers={"User-Agent": agent, "Sec-Fetch-Site": site}, timeout=5)
        return status, headers

    def flush_nginx_log(self) -> None:
        # The log is buffered for 5 s; reopening it (what logrotate asks for) writes the buffer.
        subprocess.run(["nginx", "-p", str(self.work / "nginx"), "-c", str(self.work / "nginx" / "nginx.conf"),
                        "-s", "reopen"], check=True)
        time.sleep(0.5)

    def flush_process(self) -> subprocess.Popen:
        return flush_process(self.prefix, "--quiet", env={"NEWSROOM_READS_LOG": str(self.log)})

    def test_nginx_answers_and_logs_what_flush_reads_counts(self):
        one = self.stories[0]
        status, headers = self.post(f"/r/{one.pk}/")
        self.assertEqual((status, headers.get("cache-control")), (204, "no-store"))
        status, headers = self.post(f"/r/{one.pk}/", method="GET")
        self.assertEqual((status, headers.get("allow"), headers.get("cache-control")), (405, "POST", "no-store"))
        self.post(f"/r/{one.pk}/", agent=CURL)
        self.post(f"/r/{one.pk}/", site="cross-site")
        self.post(f"/r/{self.stories[1].pk}/", agent='Mozilla/5.0 "quoted" 微信 \\ (iPhone)'.encode().decode("latin-1"))
        self.flush_nginx_log()
        lines = self.log.read_text().splitlines()
        self.assertEqual(len(lines), 5, lines)
        process = self.flush_process()
        _, err = process.communicate(timeout=120)
        self.assertEqual(process.returncode, 0, err)
        counted = dict(StoryReads.objects.values_list("article_id").annotate(n=Sum("count")))
        self.assertEqual(counted, {one.pk: 1, self.stories[1].pk: 1})

    def test_kill_9_and_two_runs_at_once_count_every_line_once(self):
        rng = random.Random(20)
        with open(self.log, "w", encoding="utf-8") as handle:  # a day's log: every line another reader
            for n in range(60_000):
                handle.write(line(rng.choice(self.stories).pk, address=f"10.{n // 65536}.{n // 256 % 256}.{n % 256}"))
        size, offsets = self.log.stat().st_size, set()
        for _ in range(5):
            process = self.flush_process()
            time.sleep(rng.uniform(0.8, 2.5))
            process.kill()
            process.wait(timeout=30)
            offsets.update(int(self.redis.get(cache.make_key(key))) for key in self.keys("reads:log:*"))
        self.assertTrue(any(0 < offset < size for offset in offsets), f"no run was killed mid-log: {offsets}")
        both = [self.flush_process(), self.flush_process()]
        for process in both:
            _, err = process.communicate(timeout=300)
            self.assertEqual(process.returncode, 0, err)
        last = self.flush_process()
        last.communicate(timeout=120)
        self.assertEqual(StoryReads.objects.aggregate(total=Sum("count"))["total"], 60_000)
