"""Run the site as production does, on loopback, and measure it with wrk (bench_site, loadtest).

gunicorn with gunicorn.conf.py and the production settings (DEBUG unset, a throwaway secret
key, behind-a-proxy mode so wrk's `X-Forwarded-Proto: https` stands in for nginx's TLS), an
optional nginx built from deploy/nginx.conf, and wrk from Debian.
"""

import contextlib
import os
import platform
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

ROOT = Path(settings.BASE_DIR)
PYTHON = sys.executable
FORWARDED = {"X-Forwarded-Proto": "https"}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def production_env(*, database_url: str, static_root: Path, redis_url: str = "",
                   extra: dict | None = None) -> dict[str, str]:
    """The environment of deploy/newsroom.env, pointed at loopback services."""
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("DJANGO_", "GUNICORN_", "NEWSROOM_")) and key not in
           {"DATABASE_URL", "REDIS_URL", "WEB_CONCURRENCY"}}
    env |= {
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DJANGO_BEHIND_PROXY": "1",
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "DJANGO_STATIC_ROOT": str(static_root),
        "NEWSROOM_SITE_URL": "https://news.example.com",
        "LOG_LEVEL": "WARNING",
        # wrk is one client address hammering the API: the per-address limit would refuse it.
        "NEWSROOM_API_RATE": "100000000/60",
    }
    return env | (extra or {})


def collectstatic(env: dict[str, str]) -> None:
    subprocess.run([PYTHON, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=env,
                   check=True)


def get(url: str, *, headers: dict | None = None, timeout: float = 30) -> tuple[int, bytes]:
    status, _, body = fetch(url, headers=headers, timeout=timeout)
    return status, body


def fetch(url: str, *, headers: dict | None = None, timeout: float = 30,
          method: str = "GET", data: bytes | None = None) -> tuple[int, dict[str, str], bytes]:
    """Ask for `url` (GET unless `method`); return its status, headers (names lower-cased) and body."""
    request = urllib.request.Request(url, headers={**FORWARDED, **(headers or {})},  # noqa: S310
                                     method=method, data=data)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 (loopback)
            body = response.read()
            return response.status, {k.lower(): v for k, v in response.headers.items()}, body
    except urllib.error.HTTPError as exc:
        return exc.code, {k.lower(): v for k, v in exc.headers.items()}, exc.read()


@dataclass
class Server:
    base: str
    pid: int


@contextlib.contextmanager
def gunicorn(env: dict[str, str], *, access_log: Path | None = None) -> Iterator[Server]:
    """Serve with gunicorn.conf.py on a free loopback port; yield its URL and master pid."""
    port = free_port()
    env = env | {"GUNICORN_BIND": f"127.0.0.1:{port}"}
    if access_log is None:
        env["GUNICORN_ACCESS_LOG"] = "/dev/null"
    log = open(access_log, "a") if access_log else subprocess.DEVNULL  # noqa: SIM115
    errors = tempfile.TemporaryFile("w+")  # noqa: SIM115
    server = subprocess.Popen([str(Path(PYTHON).with_name("gunicorn"))], cwd=ROOT, env=env,
                              stdout=log, stderr=errors)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if get(base + "/healthz", headers={"Host": "127.0.0.1"})[0] == 200:
                    break
            except OSError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                errors.seek(0)
                raise RuntimeError(f"gunicorn did not start:\n{errors.read()[-3000:]}")
            time.sleep(0.2)
        yield Server(base, server.pid)
    finally:
        server.terminate()
        server.wait(timeout=60)
        if access_log:
            log.close()
        errors.close()


def worker_rss_mib(master_pid: int) -> list[float]:
    """Resident memory of each worker of the gunicorn master `master_pid` (the soak's trend)."""
    sizes = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            status = (proc / "status").read_text()
        except OSError:
            continue
        if int(re.search(r"PPid:\s+(\d+)", status).group(1)) == master_pid:
            match = re.search(r"VmRSS:\s+(\d+) kB", status)
            if match:
                sizes.append(round(int(match.group(1)) / 1024, 1))
    return sorted(sizes)


@contextlib.contextmanager
def nginx(upstream: str | list[str], static_root: Path, work: Path) -> Iterator[str]:
    """deploy/nginx.conf with TLS replaced by a loopback listener, in front of the app server
    `upstream` (or each of a list); yield its base URL. Its readers' beacons go to `work`/reads.log."""
    if not shutil.which("nginx"):
        raise RuntimeError("nginx is not installed (apt-get install -y nginx)")
    work.mkdir(parents=True, exist_ok=True)
    port = free_port()
    params = (ROOT / "deploy" / "newsroom_proxy_params").read_text()
    # TLS is terminated here in production; the bench speaks plain HTTP but tells Django the
    # truth it would see behind TLS.
    (work / "proxy_params").write_text(params.replace("$scheme", "https"))
    site = (ROOT / "deploy" / "nginx.conf").read_text()
    servers = [upstream] if isinstance(upstream, str) else upstream
    site = site.replace("server 127.0.0.1:8000;", " ".join(f"server {one.removeprefix('http://')};" for one in servers))
    site = site.replace("/var/cache/nginx/newsroom", str(work / "cache"))
    site = site.replace("/srv/newsroom/staticfiles/", f"{static_root}/")
    site = site.replace("/etc/nginx/newsroom_proxy_params", str(work / "proxy_params"))
    site = site.replace("/var/log/newsroom/reads.log", str(work / "reads.log"))
    site = re.sub(r"\n\s*listen \[::\]:\d+[^;]*;", "", site)
    site = re.sub(r"listen 80;", f"listen 127.0.0.1:{free_port()};", site)
    site = re.sub(r"listen 443 ssl http2;", f"listen 127.0.0.1:{port};", site)
    site = re.sub(r"\n\s*ssl_[a-z_]+ [^;]*;", "", site)
    (work / "site.conf").write_text(site)
    (work / "nginx.conf").write_text(
        f"pid {work}/nginx.pid;\nerror_log {work}/error.log;\nworker_processes auto;\n"
        "events { worker_connections 4096; }\n"
        f"http {{ include /etc/nginx/mime.types; access_log off; sendfile on; tcp_nopush on;\n"
        f"  client_body_temp_path {work}/body; proxy_temp_path {work}/proxy;\n"
        f"  fastcgi_temp_path {work}/fastcgi; uwsgi_temp_path {work}/uwsgi;\n"
        f"  scgi_temp_path {work}/scgi;\n  include {work}/site.conf;\n}}\n"
    )
    subprocess.run(["nginx", "-p", str(work), "-c", str(work / "nginx.conf"), "-t", "-q"],
                   check=True)
    subprocess.run(["nginx", "-p", str(work), "-c", str(work / "nginx.conf")], check=True)
    try:
        time.sleep(0.5)
        yield f"http://127.0.0.1:{port}"
    finally:
        subprocess.run(["nginx", "-p", str(work), "-c", str(work / "nginx.conf"), "-s", "quit"],
                       check=False)
        time.sleep(0.5)


@dataclass
class WrkResult:
    requests: int
    seconds: float
    rps: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    errors: int  # socket errors + non-2xx/3xx responses
    raw: str


def _ms(value: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", value).groups()
    return float(number) * {"us": 0.001, "ms": 1, "s": 1000, "m": 60000}[unit]


def wrk(url: str, *, seconds: int, connections: int, threads: int = 1,
        script: Path | None = None, headers: dict | None = None) -> WrkResult:
    """Run wrk against `url`; return throughput, latency percentiles and errors."""
    args = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency",
            "--timeout", "10s"]
    for key, value in {**FORWARDED, **(headers or {})}.items():
        args += ["-H", f"{key}: {value}"]
    if script:
        args += ["-s", str(script)]
    out = subprocess.run([*args, url], capture_output=True, text=True, check=True).stdout
    latency = dict(re.findall(r"^\s+(50|90|99)%\s+(\S+)\s*$", out, re.M))
    if len(latency) != 3:
        raise RuntimeError(f"unexpected wrk output:\n{out}")
    requests, secs = re.search(r"(\d+) requests in ([\d.]+)(\w+),", out).groups()[:2]
    unit = re.search(r"\d+ requests in [\d.]+(\w+),", out).group(1)
    elapsed = float(secs) * {"s": 1, "ms": 0.001, "m": 60}[unit]
    found = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    socket_errors = sum(map(int, found.groups())) if found else 0
    non_2xx = int((re.search(r"Non-2xx or 3xx responses: (\d+)", out) or [0, 0])[1])
    return WrkResult(
        requests=int(requests), seconds=elapsed,
        rps=float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        p50_ms=_ms(latency["50"]), p90_ms=_ms(latency["90"]), p99_ms=_ms(latency["99"]),
        max_ms=_ms(re.search(r"Latency\s+\S+\s+\S+\s+(\S+)", out).group(1)),
        errors=socket_errors + non_2xx, raw=out,
    )


def machine() -> str:
    """One line describing where the figures were taken."""
    mem = re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1)
    cpu = re.search(r"model name\s+:\s+(.*)", Path("/proc/cpuinfo").read_text())
    load = os.getloadavg()
    return (f"{os.cpu_count()} CPUs ({cpu.group(1).strip() if cpu else platform.machine()}), "
            f"{int(mem) / 1024 / 1024:.0f} GiB RAM, Python {platform.python_version()}, "
            f"load average before the run {load[0]:.2f}")
