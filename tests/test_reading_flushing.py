"""flush_reads (articles/reading/flushing.py) against the real Redis and database: every read
counted by the beacon reaches StoryReads exactly once, also when a run stops between its steps
(the states a kill -9 leaves), when reads arrive during a run, and when Redis is down."""

import datetime
import random
import subprocess
import time
from io import StringIO

from django.core.cache import cache
from django.core.management import call_command
from django.db import IntegrityError
from django.db.models import Sum
from django.test import TestCase, TransactionTestCase, override_settings, tag
from django.utils import timezone

from articles.reading import flushing
from articles.reading.counting import count_read, hour_of
from articles.reading.models import HotPick, ReadBatch, StoryReads
from tests.reading_support import ReaderMixin, RealRedisMixin, flush_process, redis_caches, story
from tests.test_redis_cache import closed_port


def stored() -> dict[tuple[int, datetime.datetime], int]:
    return {(row.article_id, row.hour): row.count for row in StoryReads.objects.all()}


class FlushTests(RealRedisMixin, ReaderMixin, TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.one = story("紫金矿业收购金矿")
        cls.two = story("中国平安发布年报")

    def setUp(self):
        super().setUp()
        self.hour = hour_of(timezone.now())

    def count(self, article, readers: int, *, hours_ago: int = 0, first: int = 0) -> None:
        at = timezone.now() - datetime.timedelta(hours=hours_ago)
        for n in range(first, first + readers):
            self.assertTrue(count_read(article.pk, reader=f"reader-{n}", at=at))

    def assertRedisEmpty(self):
        self.assertEqual(self.keys("reads:hour:*") + self.keys("reads:batch:*") + self.keys("reads:pending"), [])

    def test_flush_moves_every_hours_counts_into_the_database_once(self):
        self.count(self.one, 5)
        self.count(self.two, 2)
        self.count(self.one, 3, hours_ago=2, first=100)  # other readers: one's mark spans hours
        out = StringIO()
        call_command("flush_reads", stdout=out)
        earlier = self.hour - datetime.timedelta(hours=2)
        self.assertEqual(stored(), {(self.one.pk, self.hour): 5, (self.two.pk, self.hour): 2,
                                    (self.one.pk, earlier): 3})
        self.assertIn("moved 2 batches, 10 reads", out.getvalue())
        self.assertIn("24小时热读 2 篇", out.getvalue())
        self.assertRedisEmpty()
        call_command("flush_reads", stdout=StringIO())  # nothing new: nothing added
        self.assertEqual(sum(stored().values()), 10)

    def test_reads_after_a_flush_are_added_to_the_hours_row(self):
        self.count(self.one, 4)
        flushing.flush()
        self.count(self.one, 2, first=100)
        flushing.flush()
        self.assertEqual(stored(), {(self.one.pk, self.hour): 6})

    def test_a_run_stopped_after_moving_the_buckets_loses_nothing(self):
        self.count(self.one, 5)
        flushing.move(self.redis, at=timezone.now())  # ... and the run dies here
        self.assertEqual(len(self.keys("reads:batch:*")), 1)
        self.assertEqual(self.keys("reads:hour:*"), [])
        self.count(self.one, 2, first=100)  # beacons meanwhile start a new bucket
        flushing.flush()
        self.assertEqual(stored(), {(self.one.pk, self.hour): 7})
        self.assertRedisEmpty()

    def test_a_run_stopped_after_writing_a_batch_does_not_count_it_twice(self):
        self.count(self.one, 5)
        self.count(self.two, 1)
        flushing.move(self.redis, at=timezone.now())
        [name] = [key.decode() for key in self.redis.smembers(cache.make_key(flushing.PENDING))]
        flushing.apply(self.redis, name)  # committed ... and the run dies before forget()
        self.assertEqual(stored(), {(self.one.pk, self.hour): 5, (self.two.pk, self.hour): 1})
        self.assertTrue(ReadBatch.objects.filter(name=name).exists())
        flushed = flushing.flush()
        self.assertEqual(stored(), {(self.one.pk, self.hour): 5, (self.two.pk, self.hour): 1})
        self.assertEqual(flushed.reads, 0)
        self.assertRedisEmpty()

    def test_two_runs_cannot_apply_one_batch_twice(self):
        self.count(self.one, 3)
        flushing.move(self.redis, at=timezone.now())
        [name] = [key.decode() for key in self.redis.smembers(cache.make_key(flushing.PENDING))]
        flushing.apply(self.redis, name)
        with self.assertRaises(IntegrityError):  # the batch's name is unique: the second one fails
            flushing.apply(self.redis, name)
        self.assertEqual(stored(), {(self.one.pk, self.hour): 3})

    def test_reads_of_a_story_deleted_before_the_flush_are_left_out(self):
        gone = story("已删除的稿件")
        self.count(gone, 4)
        self.count(self.one, 1)
        gone.delete()
        flushed = flushing.flush()
        self.assertEqual(stored(), {(self.one.pk, self.hour): 1})
        self.assertEqual((flushed.reads, flushed.dropped), (1, 4))
        self.assertRedisEmpty()

    def test_beacon_to_hot_list(self):
        """The whole path: readers' browsers, Redis, the database, the ranked list."""
        for address in ("203.0.113.1", "203.0.113.2", "203.0.113.2"):
            self.read(self.two, address=address)
        self.read(self.one, address="203.0.113.1")
        call_command("flush_reads", "--quiet", stdout=StringIO())
        from articles.models import Article

        self.assertEqual([(a.pk, a.reads) for a in Article.objects.hot("day")],
                         [(self.two.pk, 2), (self.one.pk, 1)])

    def test_redis_down_fails_the_run_and_keeps_the_lists(self):
        self.count(self.one, 2)
        flushing.flush()
        down = redis_caches(prefix=self.prefix, location=f"redis://127.0.0.1:{closed_port()}/0")
        err = StringIO()
        with override_settings(CACHES=down), self.assertRaises(SystemExit) as exit_:
            call_command("flush_reads", stdout=StringIO(), stderr=err)
        self.assertEqual(exit_.exception.code, 1)
        self.assertIn("Redis unreachable", err.getvalue())
        from articles.models import Article

        self.assertEqual([a.pk for a in Article.objects.hot("day")], [self.one.pk])

    def test_prune_keeps_what_the_lists_need(self):
        now = timezone.now()
        StoryReads.objects.create(article=self.one, hour=hour_of(now - datetime.timedelta(days=40)), count=9)
        StoryReads.objects.create(article=self.one, hour=hour_of(now - datetime.timedelta(days=6)), count=2)
        ReadBatch.objects.create(name="old")
        ReadBatch.objects.filter(name="old").update(applied_at=now - datetime.timedelta(days=30))
        ReadBatch.objects.create(name="recent")
        HotPick.objects.create(article=self.one, action=HotPick.Action.PIN, until=now - datetime.timedelta(minutes=1))
        HotPick.objects.create(article=self.two, action=HotPick.Action.HIDE)
        self.assertEqual(flushing.prune(keep_days=31), 1)
        self.assertEqual(list(StoryReads.objects.values_list("count", flat=True)), [2])
        self.assertEqual(list(ReadBatch.objects.values_list("name", flat=True)), ["recent"])
        self.assertEqual(list(HotPick.objects.values_list("article_id", flat=True)), [self.two.pk])

    def test_keep_days_below_a_week_is_refused(self):
        from django.core.management.base import CommandError

        with self.assertRaises(CommandError):
            call_command("flush_reads", "--keep-days", "3", stdout=StringIO())


@tag("slow")  # real processes: left out of `make test-fast`
class KillTests(RealRedisMixin, TransactionTestCase):
    """flush_reads killed with -9 at random moments, rounds after rounds of new reads, then a
    run to the end: the database holds every read exactly once."""

    STORIES, HOURS, ROUNDS = 60, 160, 6

    def flush_process(self) -> subprocess.Popen:
        return flush_process(self.prefix)

    def test_kill_9_at_random_moments_loses_and_doubles_nothing(self):
        stories = [story(f"稿件{n}") for n in range(self.STORIES)]
        rng = random.Random(19)
        counted, killed_mid_run = 0, 0
        now = timezone.now()
        for round_ in range(self.ROUNDS):
            for hours_ago in range(self.HOURS):
                at = now - datetime.timedelta(hours=hours_ago)
                for article in rng.sample(stories, 20):
                    counted += count_read(article.pk, reader=f"{round_}-{hours_ago}", at=at)
            applied_before = ReadBatch.objects.count()
            process = self.flush_process()
            # Killed at a random moment once it has begun to write (its start, Django's, takes
            # longer on a loaded machine than any fixed delay allows for).
            deadline = time.monotonic() + 60
            while (process.poll() is None and time.monotonic() < deadline
                   and ReadBatch.objects.count() == applied_before
                   and not self.redis.scard(cache.make_key(flushing.PENDING))):
                time.sleep(0.01)
            time.sleep(rng.uniform(0, 0.3))
            process.kill()
            process.wait(timeout=30)
            if ReadBatch.objects.count() > applied_before and self.redis.scard(cache.make_key(flushing.PENDING)):
                killed_mid_run += 1
        final = self.flush_process()
        _, err = final.communicate(timeout=120)
        self.assertEqual(final.returncode, 0, err)
        self.assertGreater(killed_mid_run, 0, "no run was killed while it was writing")
        self.assertEqual(StoryReads.objects.aggregate(total=Sum("count"))["total"], counted)
        self.assertEqual(self.keys("reads:hour:*") + self.keys("reads:batch:*") + self.keys("reads:pending"), [])
