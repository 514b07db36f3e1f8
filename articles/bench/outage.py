"""Redis outage drill: serve the load test's URL mix while a private Redis is killed and restarted.

Starts its own redis-server on a free loopback port (the shared one is left alone), gunicorn
with the production settings pointed at it, and wrk; kills Redis (SIGKILL) a third of the way
in and starts it again at two thirds. Reports responses per 5 s by status class: the site
must keep answering, from PostgreSQL, while Redis is gone (newsroom/redis_cache.py).
"""

import collections
import json
import random
import re
import subprocess
import threading
import time
from datetime import datetime
from pathlib import Path

from articles.bench import load, serve


def start_redis(port: int, work: Path) -> subprocess.Popen:
    process = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "no", "--dir", str(work)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    time.sleep(0.5)
    return process


def run(*, database_url: str, work: Path, seconds: int, connections: int) -> dict:
    """Serve the mix, kill Redis a third of the way in, restart it at two thirds; return the
    wrk result, the events and the responses per 5 s by status class."""
    work.mkdir(parents=True, exist_ok=True)
    port = serve.free_port()
    redis = start_redis(port, work)
    script = work / "mix.lua"
    paths = load.url_mix(random.Random(7))
    script.write_text(load.LUA % {"seed": 7, "paths": ",".join(json.dumps(p) for p in paths)})
    access_log = work / "access.log"
    access_log.unlink(missing_ok=True)
    env = serve.production_env(database_url=database_url,
                               static_root=work / "static", redis_url=f"redis://127.0.0.1:{port}/0")
    serve.collectstatic(env)
    events = {}
    try:
        with serve.gunicorn(env, access_log=access_log) as server:
            results = {}
            runner = threading.Thread(target=lambda: results.update(result=serve.wrk(
                server.base + "/", seconds=seconds, connections=connections,
                script=script)))
            started = time.time()
            runner.start()
            time.sleep(seconds / 3)
            redis.kill()
            redis.wait()
            events["redis killed"] = time.time()
            time.sleep(seconds / 3)
            redis = start_redis(port, work)
            events["redis restarted"] = time.time()
            runner.join()
    finally:
        redis.kill()
    wrk = results["result"]
    buckets: dict[int, collections.Counter] = collections.defaultdict(collections.Counter)
    for line in access_log.read_text().splitlines():
        if "logger=gunicorn.access" not in line:
            continue  # the warning that Redis is unreachable, say
        stamp = re.search(r"^time=(\S+)", line).group(1)
        status = re.search(r" status=(\d+)", line).group(1)
        at = datetime.fromisoformat(stamp).timestamp() - started
        buckets[int(at // 5) * 5][status[0] + "xx"] += 1
    return {"wrk": wrk, "events": {name: moment - started for name, moment in events.items()},
            "buckets": {at: dict(buckets[at]) for at in sorted(buckets)}}


def markdown(outcome: dict) -> str:
    wrk = outcome["wrk"]
    lines = [f"- wrk: {wrk.requests:,} requests, {wrk.rps:.0f} req/s, errors (socket, non-2xx/3xx) {wrk.errors}, "
             f"p99 {wrk.p99_ms:.0f} ms, max {wrk.max_ms:.0f} ms"]
    lines += [f"- {name} at t={at:.0f} s" for name, at in outcome["events"].items()]
    lines += ["", "| t (s) | responses | by status |", "|---:|---:|---|"]
    for at, counts in outcome["buckets"].items():
        lines.append(f"| {at} | {sum(counts.values()):,} | {counts} |")
    return "\n".join(lines) + "\n"
