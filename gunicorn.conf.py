"""Gunicorn settings for newsroom, read automatically by `gunicorn` started in this directory.

Production start, after `migrate` and `collectstatic` (docs/deploy.md):

    .venv/bin/gunicorn

Every value can be overridden from the environment (the systemd unit's EnvironmentFile) or the
command line (`gunicorn --workers 3`, GUNICORN_CMD_ARGS="--workers 3").
"""

import multiprocessing
import os
import shutil
import tempfile


def _env_int(name: str, default: int) -> int:
    return int(os.environ.get(name) or default)


wsgi_app = "newsroom.wsgi:application"
proc_name = "newsroom"
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000").split(",")

# Rendering a Django page is CPU work under the GIL, so processes, not threads, give throughput.
# cores + 1: a page waits on PostgreSQL for ~0.3 ms of its ~3 ms (articles/reads.py), so one
# spare worker keeps every core busy; more only contend for the cores and their caches with
# each other and with PostgreSQL. On 2 cores (docs/benchmarks.md) 3 workers served the same
# uncached pages with 15-30 % less machine CPU per request than the classic 2 x cores + 1.
# Sync workers, because nginx sits in front and buffers slow clients, and because a sync worker
# accepts a connection only when it is idle. gthread workers keep connections alive and each
# accepts as many as arrive: in the soak (docs/benchmarks.md, "Load and soak") two of five
# workers ended up holding every connection while the other three idled, and requests queued
# behind slow ones on the busy workers: p99 629 ms seen by the client against 31 ms measured
# inside gunicorn. Sync: p99 93 ms and 17% more requests/s on the same mix.
# Without a buffering proxy in front, use GUNICORN_WORKER_CLASS=gthread.
workers = _env_int("WEB_CONCURRENCY", multiprocessing.cpu_count() + 1)
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "sync")
threads = _env_int("GUNICORN_THREADS", 1)

# A request that takes longer than this is stuck (a page renders in milliseconds): the master
# kills and replaces the worker rather than letting it hold a connection slot forever.
timeout = _env_int("GUNICORN_TIMEOUT", 30)
graceful_timeout = _env_int("GUNICORN_GRACEFUL_TIMEOUT", 30)
# Only for gthread (sync closes each connection): longer than nginx's upstream
# keepalive_timeout (deploy/nginx.conf), so nginx never reuses a connection gunicorn is closing.
keepalive = _env_int("GUNICORN_KEEPALIVE", 75)

# Recycle workers now and then so a slow leak in any library cannot grow without bound; the
# jitter keeps them from all restarting at once.
max_requests = _env_int("GUNICORN_MAX_REQUESTS", 5000)
max_requests_jitter = _env_int("GUNICORN_MAX_REQUESTS_JITTER", 500)

# No preload: `systemctl reload` (SIGHUP) then starts workers on the new code with no dropped
# requests, which is how upgrades are rolled out (docs/operations.md).
preload_app = False

# The heartbeat file on tmpfs: on a disk-backed /tmp, fchmod can stall a worker for seconds.
# (gunicorn creates it with mkstemp, so a shared directory is safe.)
SHM = "/dev/shm"  # noqa: S108
if os.path.isdir(SHM) and os.access(SHM, os.W_OK):
    worker_tmp_dir = SHM

# gunicorn >= 25 opens a control socket under $HOME by default; a service user's home may not be
# writable, so it is opt-in here.
control_socket_disable = not os.environ.get("GUNICORN_CONTROL_SOCKET")
if not control_socket_disable:
    control_socket = os.environ["GUNICORN_CONTROL_SOCKET"]

# Logs: one logfmt line per event, access log on stdout, errors on stderr (journald keeps both).
logger_class = "newsroom.logfmt.GunicornLogger"
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
access_log_format = (
    "time=%(time)s level=info logger=gunicorn.access pid=%(pid)s remote=%(h)s "
    "forwarded_for=%({x-forwarded-for}i)s method=%(m)s path=%(U)s query=%(q)s status=%(s)s "
    "bytes=%(B)s duration_ms=%(duration_ms)s referer=%(f)s user_agent=%(a)s"
)


# Prometheus metrics (newsroom/metrics.py): each worker writes its counts to files in a directory
# of this server's own, which /metrics adds up. Made empty when the server starts, removed when it
# stops; a worker's files stay after it exits (its counts are part of the totals).
def on_starting(server):
    if "PROMETHEUS_MULTIPROC_DIR" not in os.environ:
        folder = os.path.join(SHM if os.path.isdir(SHM) else tempfile.gettempdir(), f"newsroom-metrics-{os.getpid()}")
        shutil.rmtree(folder, ignore_errors=True)
        os.makedirs(folder, mode=0o700)
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = folder


def child_exit(server, worker):
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server):
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR", "")
    if os.path.basename(folder).startswith("newsroom-metrics-"):
        shutil.rmtree(folder, ignore_errors=True)
