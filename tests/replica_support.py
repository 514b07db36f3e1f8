"""A real PostgreSQL streaming replica for tests/test_replicas.py, and the site served from it.

- A database of its own on the PostgreSQL the suite uses (DATABASE_URL on the PostgreSQL pass,
  127.0.0.1:5432 on the SQLite pass), migrated and seeded by a `manage.py` process.
- A second cluster made from that server with `pg_basebackup -R` in a temporary folder, started
  on a free loopback port as the `postgres` OS user: `postgres` itself is the test's child and
  gets SIGQUIT (immediate shutdown) if the test process dies, and stop() and remove() take it
  down and delete its folder.
- gunicorn (gunicorn.conf.py, one worker) with DATABASE_REPLICA_URLS naming the replica.

The primary must accept replication connections from 127.0.0.1. If its pg_hba.conf has no such
rule, `host replication all 127.0.0.1/32 trust` is appended once and the configuration reloaded
(the only change made to the server; docs/operations.md).
"""

import ctypes
import http.cookiejar
import json
import os
import pwd
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
from django.conf import settings

from articles.bench.serve import free_port

ROOT = Path(settings.BASE_DIR)
HBA_RULE = "host replication all 127.0.0.1/32 trust"
# The settings a hot standby must have at least as high as its primary's.
STANDBY_MINIMUMS = ("max_connections", "max_worker_processes", "max_wal_senders",
                    "max_prepared_transactions", "max_locks_per_transaction")
SUPERUSER = ("chief", "Zhubian-2024-pass")
PR_SET_PDEATHSIG = 1


def server_url() -> str:
    """The PostgreSQL server the suite uses (DATABASE_URL on the PostgreSQL pass; on the SQLite
    pass .ci/run's CI_DATABASE_URL, else 127.0.0.1:5432), as a URL without a database name."""
    postgres = ("postgres://", "postgresql://")
    url = next((os.environ[name] for name in ("DATABASE_URL", "CI_DATABASE_URL")
                if os.environ.get(name, "").startswith(postgres)), "postgres://postgres@127.0.0.1:5432/postgres")
    parts = urlsplit(url)
    return f"postgres://{parts.username or 'postgres'}@{parts.hostname or '127.0.0.1'}:{parts.port or 5432}"


def connect(url: str, dbname: str, **kwargs) -> psycopg.Connection:
    parts = urlsplit(url)
    return psycopg.connect(host=parts.hostname, port=parts.port, user=parts.username, dbname=dbname,
                           autocommit=True, connect_timeout=5, **kwargs)


def _die_with_parent(signum: int):
    def prepare():
        # After the user change (which clears it): the kernel signals the child if we die.
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signum, 0, 0, 0)
    return prepare


def _as_postgres() -> dict:
    """Popen arguments that run a command as the `postgres` OS user (PostgreSQL refuses root)."""
    account = pwd.getpwnam("postgres")
    if os.geteuid() == account.pw_uid:
        return {}
    if os.geteuid() != 0:
        raise RuntimeError("the replica tests run as root or as postgres: the replica's files "
                           "must belong to the postgres user")
    return {"user": account.pw_uid, "group": account.pw_gid, "extra_groups": []}


class Database:
    """A database of the test's own on the primary, migrated and seeded by a real process."""

    def __init__(self, server: str):
        self.server = server
        self.name = f"nr_replica_{os.getpid()}"
        self.url = f"{server}/{self.name}"

    def create(self, var_dir: Path) -> None:
        with connect(self.server, "postgres") as primary:
            primary.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
            primary.execute(f'CREATE DATABASE "{self.name}"')
        script = (
            "import django\ndjango.setup()\n"
            "from django.contrib.auth.models import User\n"
            "from django.core.management import call_command\n"
            "from tests.site_support import SEEDS, import_published\n"
            "call_command('migrate', verbosity=0, interactive=False)\n"
            "import_published(SEEDS)\n"
            f"User.objects.create_superuser({SUPERUSER[0]!r}, password={SUPERUSER[1]!r})\n"
        )
        env = clean_env() | {"DATABASE_URL": self.url, "NEWSROOM_VAR_DIR": str(var_dir)}
        done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True,
                              text=True, timeout=300)
        if done.returncode != 0:
            raise RuntimeError(f"preparing {self.name} failed:\n{done.stderr[-3000:]}")

    def drop(self) -> None:
        with connect(self.server, "postgres") as primary:
            primary.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')

    def sql(self, query: str, params=()) -> list[tuple]:
        with connect(self.server, self.name) as primary:
            cursor = primary.execute(query, params)
            return cursor.fetchall() if cursor.description else []


class Replica:
    """A streaming replica of the whole primary cluster, on its own port."""

    def __init__(self, server: str):
        self.server = server
        self.user = _as_postgres()
        self.bin = server_binaries(server)
        self.port = free_port()
        self.url = f"postgres://postgres@127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None
        self.dir = Path(tempfile.mkdtemp(prefix="newsroom-replica-"))
        self.data = self.dir / "data"

    def create(self) -> None:
        """Copy the primary with pg_basebackup -R into a new cluster and start it."""
        os.chown(self.dir, pwd.getpwnam("postgres").pw_uid, -1)
        allow_replication(self.server)
        parts = urlsplit(self.server)
        backup = subprocess.run(
            [str(self.bin / "pg_basebackup"), "-h", parts.hostname, "-p", str(parts.port), "-U",
             parts.username, "-D", str(self.data), "-R", "-X", "stream", "-c", "fast", "--no-sync"],
            capture_output=True, text=True, timeout=600, **self.user,
        )
        if backup.returncode != 0:
            raise RuntimeError(f"pg_basebackup failed: {backup.stderr}")
        with connect(self.server, "postgres") as primary:
            minimums = {name: primary.execute(f"SHOW {name}").fetchone()[0] for name in STANDBY_MINIMUMS}
        # Debian keeps a cluster's configuration outside its data folder: the copy gets its own.
        (self.data / "postgresql.conf").write_text(
            f"port = {self.port}\nlisten_addresses = '127.0.0.1'\n"
            f"unix_socket_directories = '{self.dir}'\nhot_standby = on\nssl = off\n"
            "shared_buffers = 32MB\nfsync = off\nlogging_collector = off\n"
            + "".join(f"{name} = {value}\n" for name, value in minimums.items())
        )
        (self.data / "pg_hba.conf").write_text("local all all trust\nhost all all 127.0.0.1/32 trust\n")
        (self.data / "pg_ident.conf").write_text("")
        for name in ("postgresql.conf", "pg_hba.conf", "pg_ident.conf"):
            shutil.chown(self.data / name, user="postgres", group="postgres")
        self.start()

    def start(self) -> None:
        if self.process is not None and self.process.poll() is None:
            return
        log = open(self.dir / "replica.log", "a")  # noqa: SIM115 (the child keeps it)
        self.process = subprocess.Popen(
            [str(self.bin / "postgres"), "-D", str(self.data)], stdout=log, stderr=log,
            preexec_fn=_die_with_parent(signal.SIGQUIT), **self.user,
        )
        log.close()
        deadline = time.monotonic() + 60
        while True:
            try:
                connect(self.url, "postgres").close()
                return
            except psycopg.OperationalError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"the replica did not start:\n{self.log()[-3000:]}") from None
                time.sleep(0.1)

    def stop(self) -> None:
        """Fast shutdown: sessions are cut, as by a crash or a restart."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=30)

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    def log(self) -> str:
        path = self.dir / "replica.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def sql(self, dbname: str, query: str, params=()) -> list[tuple]:
        with connect(self.url, dbname) as replica:
            cursor = replica.execute(query, params)
            return cursor.fetchall() if cursor.description else []

    def pause(self, dbname: str) -> None:
        self.sql(dbname, "SELECT pg_wal_replay_pause()")

    def resume(self, dbname: str) -> None:
        self.sql(dbname, "SELECT pg_wal_replay_resume()")

    def catch_up(self, dbname: str, timeout: float = 30) -> None:
        """Wait until the replica has replayed everything the primary has written so far."""
        with connect(self.server, "postgres") as primary:
            position = primary.execute("SELECT pg_current_wal_flush_lsn()").fetchone()[0]
        wait_until(lambda: self.sql(dbname, "SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn",
                                    (position,))[0][0], timeout, "the replica did not catch up")


def server_binaries(server: str) -> Path:
    """The folder of pg_basebackup and postgres of the primary's major version."""
    with connect(server, "postgres") as primary:
        major = int(primary.execute("SHOW server_version_num").fetchone()[0]) // 10000
    for folder in (Path(f"/usr/lib/postgresql/{major}/bin"), Path(shutil.which("pg_basebackup") or ".").parent):
        if (folder / "pg_basebackup").exists() and (folder / "postgres").exists():
            return folder
    raise RuntimeError(f"PostgreSQL {major}'s server binaries (pg_basebackup, postgres) are not installed")


def allow_replication(server: str) -> None:
    """Let pg_basebackup and the replica connect to the primary for replication from loopback:
    add HBA_RULE to its pg_hba.conf unless a rule already does (idempotent)."""
    with connect(server, "postgres") as primary:
        found = primary.execute(
            "SELECT count(*) FROM pg_hba_file_rules WHERE 'replication' = ANY(database) "
            "AND type LIKE 'host%' AND address IN ('127.0.0.1', '0.0.0.0', 'all') "
            "AND auth_method = 'trust'").fetchone()[0]
        if found:
            return
        hba = Path(primary.execute("SHOW hba_file").fetchone()[0])
        if not os.access(hba, os.W_OK):
            raise RuntimeError(f"{hba} has no replication rule for 127.0.0.1 and cannot be "
                               f"changed by this user: add `{HBA_RULE}` and reload PostgreSQL")
        with hba.open("a") as rules:
            rules.write(f"\n# newsroom's replica tests (tests/replica_support.py)\n{HBA_RULE}\n")
        primary.execute("SELECT pg_reload_conf()")
    time.sleep(0.5)  # the postmaster rereads the file on its signal, not at once


def clean_env() -> dict[str, str]:
    """This process's environment without the settings a test's processes get from it."""
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("DJANGO_", "GUNICORN_", "NEWSROOM_", "DATABASE_"))
           and key not in {"REDIS_URL", "WEB_CONCURRENCY"}}
    return env | {"DJANGO_DEBUG": "1", "DJANGO_SETTINGS_MODULE": "newsroom.settings"}


class Site:
    """gunicorn serving the site from `database` with `replica` as its read replica."""

    def __init__(self, database: Database, replica: Replica, work: Path, **settings_env: str):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.errors_path = work / "gunicorn-errors.log"
        self.env = clean_env() | {
            "DATABASE_URL": database.url,
            "DATABASE_REPLICA_URLS": f"{replica.url}/{database.name}",
            "NEWSROOM_VAR_DIR": str(work),
            "GUNICORN_BIND": f"127.0.0.1:{self.port}",
            "GUNICORN_ACCESS_LOG": "/dev/null",
            "WEB_CONCURRENCY": "1",  # one process: one set of verdicts, which /healthz shows
            "NEWSROOM_API_RATE": "100000/60",
            "AXES_ENABLED": "0",
            "LOG_LEVEL": "INFO",  # the replicas' and the router's warnings are read by the tests
        } | settings_env
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        errors = open(self.errors_path, "a")  # noqa: SIM115 (the child keeps it)
        self.process = subprocess.Popen(
            [str(Path(sys.executable).with_name("gunicorn"))], cwd=ROOT, env=self.env,
            stdout=subprocess.DEVNULL, stderr=errors, preexec_fn=_die_with_parent(signal.SIGTERM),
        )
        errors.close()
        wait_until(lambda: self._answers(), 60, lambda: f"gunicorn did not start:\n{self.errors()[-3000:]}")

    def _answers(self) -> bool:
        if self.process.poll() is not None:
            raise RuntimeError(f"gunicorn exited:\n{self.errors()[-3000:]}")
        try:
            return Browser(self.base).get("/healthz")[0] == 200
        except OSError:
            return False

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=60)

    def errors(self) -> str:
        return self.errors_path.read_text(errors="replace") if self.errors_path.exists() else ""

    def replica_status(self) -> dict:
        """What the server's process thinks of replica1 (/healthz)."""
        return json.loads(Browser(self.base).get("/healthz")[1])["replicas"]["replica1"]


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Browser:
    """A browser's cookies and requests, over real HTTP."""

    def __init__(self, base: str):
        self.base = base
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies), _NoRedirect)

    def get(self, path: str) -> tuple[int, str]:
        return self._open(urllib.request.Request(self.base + path))  # noqa: S310 (loopback)

    def post(self, path: str, data: dict) -> tuple[int, str]:
        body = urllib.parse.urlencode(data, doseq=True).encode()
        return self._open(urllib.request.Request(  # noqa: S310 (loopback)
            self.base + path, data=body,
            headers={"Content-Type": "application/x-www-form-urlencoded", "Referer": self.base + path}))

    def _open(self, request) -> tuple[int, str]:
        try:
            with self.opener.open(request, timeout=30) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode(errors="replace")

    def cookie(self, name: str) -> str | None:
        return next((cookie.value for cookie in self.cookies if cookie.name == name), None)

    def set_cookie(self, name: str, value: str) -> None:
        self.cookies.set_cookie(http.cookiejar.Cookie(
            0, name, value, None, False, "127.0.0.1", False, False, "/", True, False, None, False,
            None, None, {}))

    def log_in(self, username: str, password: str) -> None:
        status, page = self.get("/admin/login/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        assert status == 200 and token, (status, page[:500])
        status, page = self.post("/admin/login/?next=/admin/", {
            "username": username, "password": password, "csrfmiddlewaretoken": token[1],
            "next": "/admin/"})
        assert status == 302, (status, page[:2000])


def wait_until(condition, timeout: float, message, every: float = 0.05):
    """Poll `condition` until it returns something true; return that, or fail after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        found = condition()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(message() if callable(message) else message)
        time.sleep(every)
