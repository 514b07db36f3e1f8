"""Read replicas (newsroom/replicas.py, newsroom/routers.py): how far behind a replica is, and
the site served with a real PostgreSQL streaming replica.

The second part runs real processes only (tests/replica_support.py): a database of its own on
the suite's PostgreSQL, a replica of that server made with pg_basebackup on a free port, and
gunicorn with DATABASE_REPLICA_URLS naming it. Writes are made on the primary, and replay on the
replica is paused (pg_wal_replay_pause()) to tell the two apart: a page that shows a change the
replica has not replayed was read from the primary.
"""

import json
import shutil
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

from django.test import SimpleTestCase, tag

from newsroom.replicas import SAMPLES_KEPT, LagClock
from newsroom.routers import WROTE_COOKIE
from tests.replica_support import (
    SUPERUSER,
    Browser,
    Database,
    Replica,
    Site,
    connect,
    server_url,
    wait_until,
)
from tests.site_support import SUNING_HAIER
from tests.test_admin_saves import form_as_posted

HOUR = 3600.0


class LagClockTests(SimpleTestCase):
    """The bound on what a replica lacks, from the positions seen at checks (no database)."""

    def test_a_replica_that_has_replayed_everything_lacks_nothing_however_idle_the_primary(self):
        clock = LagClock()
        self.assertEqual(clock.lag(at=0.0, primary=100, replayed=100, replay_age=HOUR), 0.0)
        self.assertEqual(clock.lag(at=60.0, primary=100, replayed=100, replay_age=HOUR + 60), 0.0)

    def test_a_write_on_an_idle_primary_counts_from_the_last_check_not_from_the_last_replay(self):
        clock = LagClock()
        clock.lag(at=0.0, primary=100, replayed=100, replay_age=HOUR)
        # The write came after the check at 0 that the replica had replayed: at most 1 s.
        self.assertEqual(clock.lag(at=1.0, primary=101, replayed=100, replay_age=HOUR + 1), 1.0)
        self.assertEqual(clock.lag(at=1.2, primary=101, replayed=101, replay_age=0.2), 0.0)

    def test_a_replica_whose_replay_stopped_falls_behind_with_time(self):
        clock = LagClock()
        clock.lag(at=0.0, primary=100, replayed=100, replay_age=0.5)
        lags = [clock.lag(at=float(t), primary=100 + 50 * t, replayed=100, replay_age=t + 0.5)
                for t in range(1, 8)]
        self.assertEqual(lags, [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0])

    def test_a_replica_found_behind_by_a_new_process_is_judged_by_its_last_replayed_change(self):
        clock = LagClock()
        self.assertEqual(clock.lag(at=0.0, primary=200, replayed=100, replay_age=HOUR), HOUR)
        # Later checks know no moment it was level with the primary either.
        self.assertEqual(clock.lag(at=1.0, primary=250, replayed=100, replay_age=HOUR + 1), HOUR + 1)
        self.assertEqual(clock.lag(at=2.0, primary=260, replayed=100, replay_age=None), float("inf"))

    def test_a_replica_streaming_close_behind_a_busy_primary_is_current(self):
        clock = LagClock()
        clock.lag(at=0.0, primary=100, replayed=100, replay_age=0.0)
        self.assertEqual(clock.lag(at=1.0, primary=200, replayed=150, replay_age=0.01), 0.01)
        self.assertEqual(clock.lag(at=2.0, primary=300, replayed=250, replay_age=0.02), 0.02)
        # Without the replay time, the newest check it has replayed past bounds it.
        self.assertEqual(clock.lag(at=3.0, primary=400, replayed=350, replay_age=None), 1.0)

    def test_memory_stays_bounded_while_a_replica_stays_behind_and_the_bound_only_grows(self):
        clock = LagClock()
        clock.lag(at=0.0, primary=100, replayed=100, replay_age=0.0)
        lags = [clock.lag(at=float(t), primary=100 + t, replayed=100, replay_age=None) for t in range(1, 1000)]
        self.assertLessEqual(len(clock.samples), SAMPLES_KEPT + 1)
        self.assertEqual(lags, [float(t) for t in range(1, 1000)])
        # Replay moves on, not to the end: it lacks only what came after the check at 950.
        self.assertEqual(clock.lag(at=1000.0, primary=1100, replayed=1050, replay_age=None), 50.0)


@tag("slow")  # real processes or a browser: left out of `make test-fast`
class StreamingReplicaTests(SimpleTestCase):
    """The site with a replica: routing, read-your-writes, lag and fail-over."""

    MAX_LAG = 3.0  # long enough for a test's reads after a write on a slow machine
    CHECK = 0.2
    RETRY = 0.5
    READ_YOUR_WRITES = 5.0

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        server = server_url()
        cls.work = Path(tempfile.mkdtemp(prefix="newsroom-replica-site-"))
        cls.addClassCleanup(shutil.rmtree, cls.work, True)
        # Torn down in reverse, whatever fails: gunicorn, the replica (stopped, folder deleted),
        # the database.
        cls.database = Database(server)
        cls.addClassCleanup(cls.database.drop)
        cls.database.create(cls.work)
        cls.replica = Replica(server)
        cls.addClassCleanup(cls.replica.remove)
        cls.replica.create()
        cls.site = Site(cls.database, cls.replica, cls.work,
                        NEWSROOM_REPLICA_MAX_LAG=str(cls.MAX_LAG), NEWSROOM_REPLICA_CHECK_SECONDS=str(cls.CHECK),
                        NEWSROOM_REPLICA_RETRY_SECONDS=str(cls.RETRY),
                        NEWSROOM_READ_YOUR_WRITES_SECONDS=str(cls.READ_YOUR_WRITES),
                        # Pages straight from the database: the writes below bypass the ORM's
                        # signals, which are what retires cached pages.
                        NEWSROOM_PAGE_CACHE_SECONDS="0")
        cls.addClassCleanup(cls.site.stop)
        cls.site.start()
        [(cls.story_id, slug, cls.source_slug)] = cls.database.sql(
            "SELECT a.id, a.slug, s.slug FROM articles_article a JOIN articles_source s ON s.id = a.source_id "
            "WHERE a.external_id = %s", (SUNING_HAIER,))
        cls.story = f"/articles/{cls.story_id}/{slug or 'a'}/"

    def setUp(self):
        self.db = self.database.name
        self.replica.start()  # again, after the fail-over test
        self.replica.resume(self.db)
        self.replica.catch_up(self.db)
        wait_until(lambda: self.site.replica_status()["status"] == "ok", 10,
                   lambda: f"the site does not use the replica: {self.site.replica_status()}")

    def retitle(self, title: str) -> None:
        """Change the story's title on the primary (behind the ORM's back: no cache to retire)."""
        self.database.sql("UPDATE articles_article SET title = %s WHERE id = %s", (title, self.story_id))

    def checked_now(self) -> float:
        """Let the site check the replica (level with the primary) afresh: what it lacks from
        now on counts from this moment, which is returned."""
        time.sleep(self.CHECK * 1.5)
        self.assertEqual(self.site.replica_status()["status"], "ok")
        return time.monotonic()

    def assert_within_bound(self, checked: float) -> None:
        """The reads made since the check at `checked` came before the replica could count as
        lagging: they show where reads go, not what the lag bound does."""
        self.assertLess(time.monotonic() - checked, self.MAX_LAG - self.CHECK, "too slow to tell")

    def test_readers_pages_and_the_api_read_the_replica(self):
        self.retitle("副本读取测试·原题")
        self.replica.catch_up(self.db)
        checked = self.checked_now()
        self.replica.pause(self.db)
        self.retitle("副本读取测试·新题")
        reader = Browser(self.site.base)
        status, page = reader.get(self.story)
        self.assertEqual(status, 200)
        self.assertIn("副本读取测试·原题", page)
        self.assertNotIn("副本读取测试·新题", page)
        status, body = reader.get(f"/api/v1/articles/{self.story_id}/")
        self.assertEqual((status, json.loads(body)["title"]), (200, "副本读取测试·原题"))
        self.assertIsNone(reader.cookie(WROTE_COOKIE))  # readers' pages write nothing
        self.assert_within_bound(checked)
        # The site's worker holds a session on the replica, in this database.
        [(sessions,)] = self.replica.sql(self.db, (
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND backend_type = 'client backend' AND pid <> pg_backend_pid()"))
        self.assertGreaterEqual(sessions, 1)
        self.replica.resume(self.db)
        wait_until(lambda: "副本读取测试·新题" in reader.get(self.story)[1], 10,
                   "replay resumed, the page did not follow")

    def test_an_editor_sees_a_save_made_in_the_admin_at_once_readers_when_the_replica_has_it(self):
        editor = Browser(self.site.base)
        editor.log_in(*SUPERUSER)
        change = f"/admin/articles/article/{self.story_id}/change/"
        status, form = editor.get(change)
        self.assertEqual(status, 200)
        self.replica.catch_up(self.db)
        checked = self.checked_now()
        self.replica.pause(self.db)
        status, _ = editor.post(change, form_as_posted(form.encode(), title="编辑保存测试·新题"))
        self.assertEqual(status, 302)
        self.assertIn("编辑保存测试·新题", editor.get(self.story)[1])  # signed in: the primary
        self.assertNotIn("编辑保存测试·新题", Browser(self.site.base).get(self.story)[1])  # a reader: the replica
        # The save's response marked the browser: with that cookie alone (signed out, another
        # tab without the session) it still reads the primary; a forged one is a reader's.
        wrote = editor.cookie(WROTE_COOKIE)
        self.assertIsNotNone(wrote)
        tab = Browser(self.site.base)
        tab.set_cookie(WROTE_COOKIE, wrote)
        self.assertIn("编辑保存测试·新题", tab.get(self.story)[1])
        forged = Browser(self.site.base)
        forged.set_cookie(WROTE_COOKIE, "1")
        self.assertNotIn("编辑保存测试·新题", forged.get(self.story)[1])
        self.assert_within_bound(checked)
        self.replica.resume(self.db)
        wait_until(lambda: "编辑保存测试·新题" in Browser(self.site.base).get(self.story)[1], 10,
                   "replay resumed, readers did not get the save")

    def test_a_lagging_replica_is_skipped_until_it_catches_up(self):
        self.retitle("滞后测试·原题")
        self.replica.catch_up(self.db)
        checked = self.checked_now()
        self.replica.pause(self.db)
        self.retitle("滞后测试·新题")
        reader = Browser(self.site.base)
        self.assertIn("滞后测试·原题", reader.get(self.story)[1])
        self.assert_within_bound(checked)
        wait_until(lambda: "滞后测试·新题" in reader.get(self.story)[1], self.MAX_LAG + 5,
                   "the lagging replica was never skipped")
        # Once it may lack more than the bound, counted from the last check it was level at
        # (that check's answer took a moment to arrive), and within a check of that.
        switched = time.monotonic() - checked
        self.assertGreater(switched, self.MAX_LAG - 0.1)
        self.assertLess(switched, self.MAX_LAG + 2)
        status = self.site.replica_status()
        self.assertEqual(status["status"], "lagging")
        self.assertGreater(status["lag"], self.MAX_LAG)
        status, body = reader.get(f"/api/v1/articles/{self.story_id}/")
        self.assertEqual((status, json.loads(body)["title"]), (200, "滞后测试·新题"))
        # Caught up, it is read again: pause once more, and readers see its state.
        self.replica.resume(self.db)
        self.replica.catch_up(self.db)
        wait_until(lambda: self.site.replica_status()["status"] == "ok", 10, "the replica was not taken back")
        checked = self.checked_now()
        self.replica.pause(self.db)
        self.retitle("滞后测试·再题")
        self.assertIn("滞后测试·新题", reader.get(self.story)[1])
        self.assert_within_bound(checked)

    def test_a_stopped_replica_leaves_every_page_200_from_the_primary(self):
        self.checked_now()
        self.replica.pause(self.db)
        self.retitle("故障切换测试·新题")  # only the primary will ever have it before the restart
        self.replica.stop()
        reader = Browser(self.site.base)
        status, page = reader.get(self.story)
        self.assertEqual(status, 200)
        self.assertIn("故障切换测试·新题", page)
        for path in ("/", f"/sources/{self.source_slug}/", "/search/?q=%E6%B5%B7%E5%B0%94", "/live/", "/feed/",
                     "/api/v1/articles/", f"/api/v1/articles/{self.story_id}/"):
            with self.subTest(path):
                self.assertEqual(reader.get(path)[0], 200)
        health = json.loads(reader.get("/healthz")[1])
        self.assertEqual(health["status"], "ok")  # the primary answers: the server stays in rotation
        self.assertEqual(health["replicas"]["replica1"]["status"], "down")
        self.replica.start()
        wait_until(lambda: self.site.replica_status()["status"] == "ok", self.RETRY + 10,
                   "the replica was not taken back")
        self.assertIn("故障切换测试·新题", reader.get(self.story)[1])

    def test_sessions_cut_on_the_replica_mid_request_never_give_a_reader_a_500(self):
        stop, cut = threading.Event(), Counter()

        def cut_sessions():
            with connect(self.replica.url, self.db) as replica:
                while not stop.is_set():
                    for (done,) in replica.execute(
                            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = "
                            "current_database() AND backend_type = 'client backend' AND pid <> pg_backend_pid()"):
                        cut["sessions"] += done
                    time.sleep(0.01)

        cutter = threading.Thread(target=cut_sessions)
        cutter.start()
        statuses = Counter()
        reader = Browser(self.site.base)
        started = time.monotonic()
        try:
            # 3 s at least; until a session has been cut in the middle of a page (10 s at most).
            while time.monotonic() - started < 3 or (
                    "served from the primary" not in self.site.errors() and time.monotonic() - started < 10):
                for path in (self.story, f"/api/v1/articles/{self.story_id}/", "/"):
                    statuses[reader.get(path)[0]] += 1
        finally:
            stop.set()
            cutter.join()
        self.assertEqual(set(statuses), {200}, (statuses, self.site.errors()[-3000:]))
        self.assertGreaterEqual(cut["sessions"], 3)
        # Pages whose session was cut while they were made came from the primary.
        self.assertIn("served from the primary", self.site.errors())
