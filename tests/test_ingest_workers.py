"""Parse workers: a parse that runs too long is stopped, a worker that dies fails only its own
job, and workers never outlive their parent."""

import os
import signal
import subprocess
import sys
import textwrap
import time

from django.test import SimpleTestCase, tag

from articles.ingest.workers import ParsePool, ParseTimeout, time_limit


def _work(job):
    if job == "die":
        os._exit(9)  # what the OOM killer or a segfaulting C extension does to a worker
    return job * 2


def _crashed(job):
    return f"crashed on {job}"


@tag("slow")  # real processes or a browser: left out of `make test-fast`
class WorkerTests(SimpleTestCase):
    def test_a_parse_past_its_time_limit_is_stopped(self):
        started = time.monotonic()
        with self.assertRaises(ParseTimeout), time_limit(1):
            while True:
                pass
        self.assertLess(time.monotonic() - started, 5)

    def test_a_dying_worker_fails_only_its_own_job_and_the_pool_goes_on(self):
        pool = ParsePool(2, _work, _crashed)
        self.addCleanup(pool.close)
        jobs = [1, 2, "die", 4, 5] + list(range(6, 30))
        results = pool.collect(pool.start(jobs), jobs)
        self.assertEqual(results, [2, 4, "crashed on die", 8, 10] + [n * 2 for n in range(6, 30)])
        self.assertEqual(pool.collect(pool.start([7, 8]), [7, 8]), [14, 16])  # rebuilt, usable

    def test_workers_die_with_a_parent_killed_by_sigkill(self):
        script = textwrap.dedent("""
            import sys, time
            from articles.ingest.workers import ParsePool
            pool = ParsePool(2, time.sleep, print)
            started = pool.start([60] * 4)  # workers busy for a minute
            time.sleep(1.5)
            import multiprocessing
            print(" ".join(str(p.pid) for p in multiprocessing.active_children()), flush=True)
            time.sleep(60)
        """)
        env = {**os.environ, "PYTHONPATH": os.getcwd()}
        parent = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True, env=env)
        children = [int(pid) for pid in parent.stdout.readline().split()]
        self.assertEqual(len(children), 2)
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait()
        deadline = time.monotonic() + 5
        alive = children
        while alive and time.monotonic() < deadline:
            alive = [pid for pid in children if _alive(pid)]
            time.sleep(0.05)
        self.assertEqual(alive, [], "workers outlived their killed parent")


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().split()[2] != "Z"  # a zombie is dead, only not yet reaped
    except FileNotFoundError:
        return False
