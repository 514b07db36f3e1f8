"""Production settings, /healthz and the gunicorn configuration, run as a real deployment would.

Settings are read once per process, so each production scenario runs Django in a subprocess
with exactly the environment an operator would give it (deploy/newsroom.env).
"""

import atexit
import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from django.test import SimpleTestCase, TestCase, override_settings, tag
from django.test.client import RequestFactory

from newsroom.health import client_ip

BASE_DIR = Path(__file__).resolve().parent.parent
ENV_FILE = BASE_DIR / "deploy" / "newsroom.env"


def documented_env() -> dict[str, str]:
    """deploy/newsroom.env as systemd would read it, with a real secret key."""
    env = {}
    for line in ENV_FILE.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            env[key] = value
    env["DJANGO_SECRET_KEY"] = secrets.token_urlsafe(50)
    return env


def run_django(code: str, env: dict[str, str], timeout: int = 60) -> subprocess.CompletedProcess:
    """Run `code` after django.setup() in a fresh interpreter with only `env` (+ PATH)."""
    script = (
        "import json, os, django\n"
        "os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'newsroom.settings')\n"
        "django.setup()\n" + code
    )
    return subprocess.run(
        [sys.executable, "-c", script],
        cwd=BASE_DIR,
        env={"PATH": os.environ.get("PATH", ""), **env},
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def last_json(result: subprocess.CompletedProcess):
    """The JSON the script printed last (Django's own log lines also go to stdout)."""
    return json.loads(result.stdout.splitlines()[-1])


LOGFMT_PAIR = re.compile(r'(\w+)=("(?:[^"\\]|\\.)*"|\S*)')


def parse_logfmt(line: str) -> dict[str, str]:
    return {
        key: json.loads(value) if value.startswith('"') else value
        for key, value in LOGFMT_PAIR.findall(line)
    }


_static_root: Path | None = None


def production_static_root() -> Path:
    """Run collectstatic once per test process with production settings; return STATIC_ROOT.

    Production stores static files under hashed names from a manifest, so a page rendered
    without it fails: production-mode requests in tests need this directory.
    """
    global _static_root
    if _static_root is None:
        root = Path(tempfile.mkdtemp(prefix="newsroom-static-"))
        atexit.register(shutil.rmtree, root, True)
        env = documented_env() | {"DJANGO_STATIC_ROOT": str(root), "DATABASE_URL": "sqlite:///:memory:"}
        result = manage("collectstatic", "--noinput", "-v0", env=env)
        if result.returncode != 0:
            raise RuntimeError(f"collectstatic failed:\n{result.stderr}")
        _static_root = root
    return _static_root


def manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env={"PATH": os.environ.get("PATH", ""), **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


@tag("slow")  # real processes or a browser: left out of `make test-fast`
class ProductionSettingsTests(SimpleTestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)
        self.sqlite_url = f"sqlite:///{self.tmp.name}/prod.sqlite3"

    def test_refuses_to_start_without_secret_key(self):
        env = {"DJANGO_ALLOWED_HOSTS": "news.example.com", "DATABASE_URL": self.sqlite_url}
        result = manage("check", env=env)
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("ImproperlyConfigured", result.stderr)
        self.assertIn("DJANGO_SECRET_KEY must be set", result.stderr)

    def test_refuses_to_start_without_allowed_hosts(self):
        env = {"DJANGO_SECRET_KEY": secrets.token_urlsafe(50), "DATABASE_URL": self.sqlite_url}
        result = manage("check", env=env)
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("DJANGO_ALLOWED_HOSTS must be set", result.stderr)

    def test_development_is_opt_in(self):
        """With DJANGO_DEBUG=1 and nothing else, the development defaults apply."""
        result = run_django(
            "from django.conf import settings\n"
            "print(json.dumps([settings.DEBUG, settings.ALLOWED_HOSTS]))",
            env={"DJANGO_DEBUG": "1", "DATABASE_URL": self.sqlite_url},
        )
        self.assertEqual(result.returncode, 0, result.stderr)
        debug, hosts = last_json(result)
        self.assertTrue(debug)
        self.assertIn("127.0.0.1", hosts)

    def test_check_deploy_is_clean_with_the_documented_environment(self):
        result = manage("check", "--deploy", "--fail-level", "WARNING", env=documented_env())
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        self.assertIn("System check identified no issues", result.stdout)

    def test_check_deploy_rejects_the_placeholder_secret(self):
        """The example file's placeholder key is too weak to pass: operators must replace it."""
        env = documented_env()
        env["DJANGO_SECRET_KEY"] = "replace-me-with-50-random-characters"
        result = manage("check", "--deploy", "--fail-level", "WARNING", env=env)
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("security.W009", result.stdout + result.stderr)

    def test_documented_environment_hardens_everything(self):
        result = run_django(
            "from django.conf import settings as s\n"
            "print(json.dumps({k: getattr(s, k) for k in ["
            "'DEBUG', 'SESSION_COOKIE_SECURE', 'CSRF_COOKIE_SECURE', 'SECURE_SSL_REDIRECT',"
            "'SECURE_HSTS_SECONDS', 'SECURE_HSTS_INCLUDE_SUBDOMAINS', 'X_FRAME_OPTIONS',"
            "'SECURE_PROXY_SSL_HEADER', 'ADMIN_URL', 'AXES_ENABLED']} | {"
            "'static': s.STORAGES['staticfiles']['BACKEND'],"
            "'cache': s.CACHES['default']['BACKEND'],"
            "'middleware': s.MIDDLEWARE}))",
            env=documented_env(),
        )
        self.assertEqual(result.returncode, 0, result.stderr)
        values = last_json(result)
        self.assertFalse(values["DEBUG"])
        self.assertTrue(values["SESSION_COOKIE_SECURE"])
        self.assertTrue(values["CSRF_COOKIE_SECURE"])
        self.assertTrue(values["SECURE_SSL_REDIRECT"])
        self.assertGreaterEqual(values["SECURE_HSTS_SECONDS"], 31536000)
        self.assertTrue(values["SECURE_HSTS_INCLUDE_SUBDOMAINS"])
        self.assertEqual(values["X_FRAME_OPTIONS"], "DENY")
        self.assertEqual(values["SECURE_PROXY_SSL_HEADER"], ["HTTP_X_FORWARDED_PROTO", "https"])
        self.assertEqual(values["ADMIN_URL"], "desk/")
        self.assertTrue(values["AXES_ENABLED"])
        self.assertEqual(
            values["static"], "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
        self.assertEqual(values["cache"], "newsroom.redis_cache.ResilientRedisCache")
        self.assertIn("csp.middleware.CSPMiddleware", values["middleware"])
        self.assertIn("axes.middleware.AxesMiddleware", values["middleware"])

    def test_collectstatic_writes_hashed_compressed_files_for_every_static_file(self):
        root = production_static_root()
        manifest = json.loads((root / "staticfiles.json").read_text())["paths"]
        ours = [p.relative_to(BASE_DIR / "static").as_posix()
                for p in (BASE_DIR / "static").rglob("*") if p.is_file()]
        for name in [*ours, "admin/css/base.css"]:
            hashed = manifest[name]
            self.assertRegex(hashed, r"\.[0-9a-f]{12}\.\w+$")
            self.assertTrue((root / hashed).exists(), hashed)
            # WhiteNoise keeps a compressed copy only where it saves space (not tiny files).
            if name.endswith((".css", ".js")) and (root / hashed).stat().st_size > 4096:
                self.assertTrue((root / f"{hashed}.gz").exists(), hashed)
                self.assertTrue((root / f"{hashed}.br").exists(), hashed)

    def test_https_redirect_security_headers_and_healthz_exemption(self):
        """Plain HTTP is redirected, except /healthz; HTTPS (via the proxy) gets HSTS and CSP."""
        env = documented_env() | {"DATABASE_URL": self.sqlite_url, "REDIS_URL": ""}
        result = run_django(
            "from django.test import Client\n"
            "c = Client(HTTP_HOST='news.example.com')\n"
            "home = c.get('/')\n"
            "health = c.get('/healthz')\n"
            "secure = c.get('/healthz', HTTP_X_FORWARDED_PROTO='https')\n"
            "print(json.dumps({'home': [home.status_code, home.get('Location')],"
            " 'health': [health.status_code, health.json()['database']['status']],"
            " 'hsts': secure.get('Strict-Transport-Security'),"
            " 'csp': secure.get('Content-Security-Policy'),"
            " 'frame': secure.get('X-Frame-Options'),"
            " 'nosniff': secure.get('X-Content-Type-Options')}))",
            env=env,
        )
        self.assertEqual(result.returncode, 0, result.stderr)
        values = last_json(result)
        self.assertEqual(values["home"], [301, "https://news.example.com/"])
        self.assertEqual(values["health"], [200, "ok"])
        self.assertIn("max-age=31536000", values["hsts"])
        self.assertIn("includeSubDomains", values["hsts"])
        self.assertIn("script-src 'self'", values["csp"])
        self.assertIn("object-src 'none'", values["csp"])
        self.assertNotIn("unsafe-inline", values["csp"].split("script-src")[1].split(";")[0])
        self.assertEqual(values["frame"], "DENY")
        self.assertEqual(values["nosniff"], "nosniff")

    def test_admin_url_is_configurable(self):
        env = documented_env() | {"DATABASE_URL": self.sqlite_url, "DJANGO_ADMIN_URL": "/bianji/"}
        result = run_django(
            "from django.urls import reverse\nprint(reverse('admin:index'))", env=env
        )
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(result.stdout.splitlines()[-1], "/bianji/")


class CacheSelectionTests(SimpleTestCase):
    def test_local_memory_without_redis_url(self):
        result = run_django(
            "from django.core.cache import caches\nprint(type(caches['default']).__name__)",
            env={"DJANGO_DEBUG": "1"},
        )
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(result.stdout.splitlines()[-1], "LocMemCache")

    def test_production_caches_pages_only_with_a_shared_cache(self):
        """Without Redis, a page cached by one worker would outlive an edit made in another."""
        code = "from django.conf import settings\nprint(settings.PAGE_CACHE_SECONDS)"
        env = documented_env() | {"DATABASE_URL": "sqlite:///:memory:"}
        without = run_django(code, env=env | {"REDIS_URL": ""})
        with_redis = run_django(code, env=env)
        self.assertEqual(without.returncode, 0, without.stderr)
        self.assertEqual(without.stdout.splitlines()[-1], "0")
        self.assertEqual(with_redis.stdout.splitlines()[-1], "300")

    def test_redis_url_selects_django_redis_cache_and_it_round_trips(self):
        """Against the real Redis on loopback (database 15, left as found)."""
        result = run_django(
            "from django.core.cache import caches\n"
            "cache = caches['default']\n"
            "cache.set('production-test', '缓存', 30)\n"
            "value = cache.get('production-test')\n"
            "cache.delete('production-test')\n"
            "print(json.dumps([type(cache).__name__, value]))",
            env={"DJANGO_DEBUG": "1", "REDIS_URL": "redis://127.0.0.1:6379/15"},
        )
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(last_json(result), ["ResilientRedisCache", "缓存"])


class HealthzTests(TestCase):
    def test_reports_database_and_cache(self):
        response = self.client.get("/healthz")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response["Content-Type"], "application/json")
        self.assertIn("no-store", response["Cache-Control"])
        body = response.json()
        self.assertEqual(body["status"], "ok")
        self.assertEqual(body["database"]["status"], "ok")
        self.assertIn(body["database"]["vendor"], {"sqlite", "postgresql"})
        self.assertEqual(body["cache"]["status"], "ok")

    def test_answers_head_and_refuses_writes(self):
        self.assertEqual(self.client.head("/healthz").status_code, 200)
        self.assertEqual(self.client.post("/healthz").status_code, 405)

    def test_sets_no_cookies(self):
        response = self.client.get("/healthz")
        self.assertEqual(response.cookies, {})

    def test_503_when_the_database_is_unreachable(self):
        """A real connection attempt to a closed port, not a mock."""
        with socket.socket() as probe:  # a port nothing listens on
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        result = run_django(
            "from django.test import Client\n"
            "r = Client().get('/healthz')\n"
            "print(json.dumps([r.status_code, r.json()]))",
            env={
                "DJANGO_DEBUG": "1",
                "DATABASE_URL": f"postgres://postgres@127.0.0.1:{port}/none?connect_timeout=2",
            },
        )
        self.assertEqual(result.returncode, 0, result.stderr)
        status, body = last_json(result)
        self.assertEqual(status, 503)
        self.assertEqual(body["status"], "error")
        self.assertEqual(body["database"]["status"], "error")
        self.assertEqual(body["database"]["error"], "OperationalError")


class ClientIpTests(SimpleTestCase):
    def test_remote_addr_when_not_behind_a_proxy(self):
        request = RequestFactory().get("/", REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR="1.2.3.4")
        with override_settings(BEHIND_PROXY=False):
            self.assertEqual(client_ip(request), "203.0.113.9")

    def test_last_forwarded_entry_behind_the_proxy(self):
        """Earlier entries are whatever the client sent; the proxy appended the last one."""
        request = RequestFactory().get(
            "/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="6.6.6.6, 198.51.100.7"
        )
        with override_settings(BEHIND_PROXY=True):
            self.assertEqual(client_ip(request), "198.51.100.7")


@tag("slow")  # real processes or a browser: left out of `make test-fast`
class GunicornTests(SimpleTestCase):
    """gunicorn.conf.py as shipped: boots, serves /healthz, writes parseable access lines."""

    def test_serves_healthz_and_logs_logfmt(self):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        tmp = tempfile.TemporaryDirectory()
        self.addCleanup(tmp.cleanup)
        env = {
            "PATH": os.environ.get("PATH", ""),
            "DJANGO_DEBUG": "1",
            "DATABASE_URL": os.environ.get("DATABASE_URL") or f"sqlite:///{tmp.name}/g.sqlite3",
            "GUNICORN_BIND": f"127.0.0.1:{port}",
            "WEB_CONCURRENCY": "2",
        }
        log = open(Path(tmp.name) / "access.log", "w+")  # noqa: SIM115 (closed below)
        self.addCleanup(log.close)
        server = subprocess.Popen(
            [str(Path(sys.executable).with_name("gunicorn"))],
            cwd=BASE_DIR, env=env, stdout=log, stderr=subprocess.PIPE, text=True,
        )
        try:
            body = None
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and body is None:
                try:
                    with urllib.request.urlopen(  # noqa: S310 (loopback)
                        f"http://127.0.0.1:{port}/healthz?probe=1", timeout=5
                    ) as response:
                        body = json.loads(response.read())
                except OSError:
                    time.sleep(0.2)
        finally:
            server.terminate()
            _, errors = server.communicate(timeout=30)
        self.assertEqual(body and body["status"], "ok", errors)
        self.assertIn("Using worker: sync", errors)
        log.seek(0)
        lines = [line for line in log.read().splitlines() if "path=/healthz" in line]
        self.assertEqual(len(lines), 1, lines)
        fields = parse_logfmt(lines[0])
        self.assertEqual(fields["logger"], "gunicorn.access")
        self.assertEqual(fields["status"], "200")
        self.assertEqual(fields["query"], "probe=1")
        self.assertGreater(float(fields["duration_ms"]), 0)
        self.assertRegex(fields["time"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00$")
        # The error log (stderr) is logfmt too.
        self.assertRegex(errors.splitlines()[0], r'^time=\S+ level=info logger=gunicorn\.error ')

