"""Read counter benchmark: a cached story page under wrk, alone and while readers' beacons
arrive (articles/reading), on one gunicorn with the production settings and a private Redis.
Figures for docs/reading.md and docs/benchmarks.md, not a pass/fail test.

Every setup is measured right after the page alone (the machine is shared and drifts), and
reported against that run:
- beacons at fixed rates beside the page's wrk, sent by a few threads here, each beacon a
  complete request from another reader (as nginx hands them to gunicorn; wrk's own pacing
  would leave sync workers waiting on idle connections);
- a flood of beacons from a second wrk (16 connections, as fast as they are answered);
- readers as browsers are: each wrk connection alternating the page and its beacon;
and the beacon alone, for the reads a second it can take.
With --nginx, the same through deploy/nginx.conf: pages from its micro-cache, beacons answered by
nginx and written to its reads log (what flush_reads counts: articles/reading/beaconlog.py).
Afterwards the reads counted in Redis (the log's lines, through nginx) are checked against the
beacons answered.
"""

import concurrent.futures
import http.client
import os
import shutil
import statistics
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import redis

from articles.bench import serve
from articles.bench.outage import start_redis
from articles.bench.site import middle_story
from articles.models import Article
from articles.reading.beacon import beacon_path

BROWSER = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
           "Chrome/120.0.0.0 Safari/537.36")
SENDERS = 4  # threads sending paced beacons
# wrk scripts: beacons, each from another reader (readers `first` on); and readers, a page then
# its beacon on each connection in turn.
BEACONS_LUA = """
local n = %(first)d
wrk.method = "POST"
wrk.headers["User-Agent"] = "%(agent)s"
wrk.headers["Sec-Fetch-Site"] = "same-origin"
function request()
  n = n + 1
  wrk.headers["X-Forwarded-For"] = string.format("10.%%d.%%d.%%d", math.floor(n / 65536) %% 256,
                                                  math.floor(n / 256) %% 256, n %% 256)
  return wrk.format(nil, "%(beacon)s")
end
"""
READERS_LUA = """
local n = %(first)d
function request()
  n = n + 1
  if n %% 2 == 1 then
    return wrk.format("GET", "%(page)s", {["User-Agent"] = "%(agent)s"})
  end
  return wrk.format("POST", "%(beacon)s", {["User-Agent"] = "%(agent)s", ["Sec-Fetch-Site"] = "same-origin",
    ["X-Forwarded-For"] = string.format("10.%%d.%%d.%%d", math.floor(n / 65536) %% 256,
                                         math.floor(n / 256) %% 256, n %% 256)})
end
"""


@dataclass
class Row:
    server: str  # "gunicorn" or "nginx + gunicorn"
    setup: str
    pages: float  # page requests per second (the median of the repeats)
    alone: float  # pages per second alone, measured just before each repeat (median)
    p99_ms: float
    beacons: float = 0.0  # beacons answered per second
    changes: tuple = ()  # each repeat's change against the page alone just before it, in %
    sender_cpu: float = 0.0  # share of one core the paced beacons' senders (this process) used

    @property
    def change(self) -> float:
        """The median of the repeats' changes (each against its own page-alone run)."""
        return statistics.median(self.changes) if self.changes else (self.pages - self.alone) / self.alone * 100


def workers_cpu(master_pid: int) -> float:
    """CPU seconds (user + system) the workers of gunicorn master `master_pid` have used."""
    ticks = 0
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            fields = (proc / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == master_pid:
            ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def pick_story() -> Article:
    return middle_story()


def address(reader: int) -> str:
    return f"10.{reader // 65536 % 256}.{reader // 256 % 256}.{reader % 256}"


def paced_beacons(base: str, path: str, *, rate: int, seconds: float, first: int) -> tuple[int, int]:
    """POST `rate` beacons a second to `base` for `seconds`, each from another reader (readers
    `first` on); return (sent, answered with 204)."""
    parts = urlsplit(base)
    interval = SENDERS / rate
    stop = time.monotonic() + seconds
    totals = [0, 0]
    lock = threading.Lock()

    def send(k: int) -> None:
        sent = answered = 0
        due = time.monotonic() + k * interval / SENDERS
        reader = first + k
        while due < stop:
            pause = due - time.monotonic()
            if pause > 0:
                time.sleep(pause)
            connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
            try:
                connection.request("POST", path, headers={
                    "User-Agent": BROWSER, "Sec-Fetch-Site": "same-origin", "X-Forwarded-For": address(reader),
                    **serve.FORWARDED})
                answered += connection.getresponse().status == 204
            finally:
                connection.close()
            sent += 1
            reader += SENDERS
            due += interval
        with lock:
            totals[0] += sent
            totals[1] += answered

    threads = [threading.Thread(target=send, args=(k,)) for k in range(SENDERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return totals[0], totals[1]


class Bench:
    """The setups against one server; each repeated, every repeat right after the page alone."""

    def __init__(self, *, server: str, base: str, master: int, page: str, beacon: str, work: Path, opts: dict,
                 repeat: int, log):
        self.server, self.base, self.master, self.page, self.beacon = server, base, master, page, beacon
        self.work, self.opts, self.repeat, self.log = work, opts, repeat, log
        self.cpu: dict[str, list[float]] = {"page": [], "beacon": []}  # gunicorn CPU µs a request, alone
        self.rows: list[Row] = []
        self.answered = 0  # beacons wrk or the senders saw answered
        self.counted = 0  # reads Redis counted meanwhile
        self.reader = 0  # every beacon of the run from a new reader

    def readers(self, count: int) -> int:
        first, self.reader = self.reader, self.reader + count
        return first

    def wrk(self, path: str, *, alone: str = "", **extra) -> serve.WrkResult:
        """wrk on `path`; with `alone` ("page", "beacon"), nothing else runs: note the gunicorn
        workers' CPU time per request."""
        started = workers_cpu(self.master)
        result = serve.wrk(self.base + path, **{**self.opts, **extra})
        if result.errors:
            raise RuntimeError(f"{self.server} {path}: errors\n{result.raw}")
        if alone:
            self.cpu[alone].append((workers_cpu(self.master) - started) / result.requests * 1e6)
        return result

    def measure(self, setup: str, beside) -> None:
        """Run `beside()` (it returns (pages/s, page p99 ms, beacons/s)) `repeat` times, each right
        after the page alone, and record the medians."""
        alone, pages, p99, beacons, changes, senders = [], [], [], [], [], []
        for _ in range(self.repeat):
            alone.append(self.wrk(self.page, alone="page").rps)
            before, started = os.times(), time.monotonic()
            rps, page_p99, beacon_rps = beside()
            after = os.times()
            # Only the paced senders are threads of this process; wrk runs as child processes.
            senders.append((after.user + after.system - before.user - before.system) / (time.monotonic() - started))
            pages.append(rps)
            p99.append(page_p99)
            beacons.append(beacon_rps)
            changes.append((rps - alone[-1]) / alone[-1] * 100)
        row = Row(self.server, setup, statistics.median(pages), statistics.median(alone), statistics.median(p99),
                  statistics.median(beacons), tuple(changes), statistics.median(senders))
        self.rows.append(row)
        self.log(f"  {self.server:<16} {setup:<40} pages {row.pages:7.0f}/s (alone {row.alone:7.0f}/s) change "
                 f"{row.change:+6.1f} % [{', '.join(f'{c:+.0f}' for c in changes)}]  beacons {row.beacons:6.0f}/s")

    def capacity(self) -> None:
        """The beacon alone under the same wrk as the page: how many reads a second it takes."""
        def beacons_alone():
            script = self.script(BEACONS_LUA, 10**6)
            result = self.wrk(self.beacon, script=script, alone="beacon")
            self.answered += result.requests
            return 0.0, result.p99_ms, result.rps

        self.measure("(the beacon alone, no pages)", beacons_alone)

    def paced(self, rate: int) -> None:
        seconds = self.opts["seconds"]

        def with_beacons():
            with concurrent.futures.ThreadPoolExecutor(1) as pool:
                beacons = pool.submit(paced_beacons, self.base, self.beacon, rate=rate, seconds=seconds,
                                      first=self.readers(rate * (seconds + 1)))
                pages = self.wrk(self.page)
                sent, answered = beacons.result()
            if answered != sent:
                raise RuntimeError(f"{sent - answered} of {sent} beacons not answered 204")
            self.answered += answered
            return pages.rps, pages.p99_ms, answered / seconds

        self.measure(f"beacons paced at {rate}/s", with_beacons)

    def flood(self) -> None:
        def with_flood():
            script = self.script(BEACONS_LUA, 10**6)
            with concurrent.futures.ThreadPoolExecutor(1) as pool:
                beacons = pool.submit(self.wrk, self.beacon, script=script, seconds=self.opts["seconds"] + 1)
                pages = self.wrk(self.page)
                beacons = beacons.result()
            self.answered += beacons.requests
            return pages.rps, pages.p99_ms, beacons.rps

        self.measure("beacon flood (16 connections)", with_flood)

    def mixed(self) -> None:
        def as_readers():
            result = self.wrk(self.page, script=self.script(READERS_LUA, 2 * 10**6))
            self.answered += result.requests // 2
            return result.rps / 2, result.p99_ms, result.rps / 2

        self.measure("readers: each page then its beacon", as_readers)

    def script(self, template: str, readers: int) -> Path:
        path = self.work / "load.lua"
        path.write_text(template % {"agent": BROWSER, "beacon": self.beacon, "page": self.page,
                                    "first": self.readers(readers)})
        return path


def run(*, database_url: str, work: Path, seconds: int, connections: int, rates: list[int],
        with_nginx: bool, repeat: int, log=print) -> tuple[dict, list[Row]]:
    """Measure every setup; return (context, rows)."""
    story = pick_story()
    page, beacon = story.get_absolute_url(), beacon_path(story.pk)
    work.mkdir(parents=True, exist_ok=True)
    static_root = work / "static"
    shutil.rmtree(static_root, ignore_errors=True)
    (work / "nginx" / "reads.log").unlink(missing_ok=True)
    port = serve.free_port()
    redis_server = start_redis(port, work)
    redis_url = f"redis://127.0.0.1:{port}/0"
    # Workers not recycled during the run: their CPU time is read from /proc.
    env = serve.production_env(database_url=database_url, static_root=static_root, redis_url=redis_url,
                               extra={"GUNICORN_MAX_REQUESTS": "0"})
    serve.collectstatic(env)
    opts = {"seconds": seconds, "connections": connections}
    benches = []
    try:
        with serve.gunicorn(env) as server:
            targets = [("gunicorn", server.base)]
            with (serve.nginx(server.base, static_root, work / "nginx") if with_nginx
                  else _nothing()) as proxy:
                if proxy:
                    targets.append(("nginx + gunicorn", proxy))
                for name, base in targets:
                    for _ in range(3):
                        status, _ = serve.get(base + page)
                        if status != 200:
                            raise RuntimeError(f"{name}: {page} answered {status}")
                    bench = Bench(server=name, base=base, master=server.pid, page=page, beacon=beacon, work=work,
                                  opts=opts, repeat=repeat, log=log)
                    bench.reader = len(benches) * 10**7
                    bench.capacity()
                    for rate in rates:
                        bench.paced(rate)
                    bench.flood()
                    bench.mixed()
                    if not proxy or name == "gunicorn":
                        bench.counted = _counted(redis_url) - sum(b.counted for b in benches)
                    benches.append(bench)
            if proxy:  # nginx wrote its buffered log when it stopped
                benches[-1].counted = _logged(work / "nginx" / "reads.log")
    finally:
        redis_server.kill()
        redis_server.wait()
    context = {
        "machine": serve.machine(),
        "articles": Article.objects.published().count(),
        "page": page,
        "beacon": beacon,
        "wrk": f"wrk -t1 -c{connections} -d{seconds}s --latency",
        "repeat": repeat,
        "counts": [(bench.server, bench.answered, bench.counted) for bench in benches],
        # The gunicorn workers' CPU per request when nothing else is sent (medians): what a page
        # answered from the page cache costs, and what a beacon does.
        "cpu": {kind: statistics.median(values) for kind, values in benches[0].cpu.items() if values},
    }
    return context, [row for bench in benches for row in bench.rows]


class _nothing:
    def __enter__(self):
        return None

    def __exit__(self, *exc):
        return False


def _counted(redis_url: str) -> int:
    """Every read counted in the private Redis's hour buckets."""
    client = redis.Redis.from_url(redis_url)
    return sum(int(value) for key in client.scan_iter(match="*reads:hour:*") for value in client.hvals(key))


def _logged(log: Path) -> int:
    """The beacons nginx wrote to its reads log."""
    with open(log, "rb") as handle:
        return sum(block.count(b"\n") for block in iter(lambda: handle.read(1 << 20), b""))


def markdown(context: dict, rows: list[Row]) -> str:
    lines = [
        f"- Machine: {context['machine']}",
        f"- Data: {context['articles']:,} published articles in PostgreSQL; page `{context['page']}` "
        f"(a page cache hit, Redis), beacon `POST {context['beacon']}`",
        f"- Load: `{context['wrk']}` on the page; each setup {context['repeat']} times, each time right after "
        "the page alone (medians; the change is the median of each time's change); paced beacons "
        f"from {SENDERS} threads, the flood from a second wrk; every beacon from another reader; "
        "gunicorn.conf.py and the production settings",
        "- Beacons answered / reads counted in Redis (gunicorn) or lines in nginx's reads log: " + "; ".join(
            f"{server} {answered:,} / {counted:,}" for server, answered, counted in context["counts"]),
        "- gunicorn workers' CPU a request, alone (medians): "
        + ", ".join(f"{kind} {micros:.0f} µs" for kind, micros in context["cpu"].items()),
        "",
        "| server | beside the page | pages/s | pages/s alone | change (each time) | page p99 ms | beacons/s "
        "| senders' CPU |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        if not row.pages:  # the beacon's capacity
            lines.append(f"| {row.server} | {row.setup} | — | {row.alone:,.0f} | — | — | {row.beacons:,.0f} | — |")
            continue
        each = ", ".join(f"{change:+.0f}" for change in row.changes)
        senders = f"{row.sender_cpu * 100:.0f} % of a core" if row.setup.startswith("beacons paced") else "—"
        lines.append(f"| {row.server} | {row.setup} | {row.pages:,.0f} | {row.alone:,.0f} | {row.change:+.1f} % "
                     f"({each}) | {row.p99_ms:.2f} | {row.beacons:,.0f} | {senders} |")
    return "\n".join(lines)
