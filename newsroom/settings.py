"""Settings for newsroom, read from the environment.

Production is the default: development is opt-in with DJANGO_DEBUG=1, as `make run` and the
test suite do. In production the process refuses to start without a secret key and allowed
hosts instead of silently falling back to unsafe values.
"""

import os
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("NEWSROOM_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def parse_database_url(url: str) -> dict:
    """Return a DATABASES entry for a postgres:// or sqlite:/// URL."""
    parts = urlsplit(url)
    scheme = parts.scheme.split("+")[0]
    if scheme == "sqlite":
        # sqlite:///relative/to/project.db or sqlite:////absolute/path.db
        raw = unquote(url.split(":///", 1)[1]) if ":///" in url else ""
        path = raw if not raw or raw == ":memory:" or Path(raw).is_absolute() else str(BASE_DIR / raw)
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": path or ":memory:",
            "OPTIONS": {
                # WAL lets readers work while the importer writes; IMMEDIATE takes the write
                # lock at BEGIN so two writers queue on busy_timeout instead of deadlocking.
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": (
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                    "PRAGMA foreign_keys=ON; PRAGMA busy_timeout=20000;"
                ),
            },
            # A file (not :memory:) so tests can run real import processes against it; one per
            # test process so parallel runs on one machine don't share it.
            "TEST": {"NAME": str(VAR_DIR / f"test-{os.getpid()}.sqlite3")},
        }
    if scheme in {"postgres", "postgresql", "pgsql"}:
        options = {key: values[-1] for key, values in parse_qs(parts.query).items()}
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": unquote(parts.path.lstrip("/")) or "postgres",
            "USER": unquote(parts.username or ""),
            "PASSWORD": unquote(parts.password or ""),
            "HOST": parts.hostname or "",
            "PORT": str(parts.port or ""),
            "CONN_MAX_AGE": int(os.environ.get("DB_CONN_MAX_AGE", "60")),
            "CONN_HEALTH_CHECKS": True,
            "TEST": {"NAME": f"test_{unquote(parts.path.lstrip('/')) or 'postgres'}_{os.getpid()}"},
            "OPTIONS": options,
        }
    raise ImproperlyConfigured(f"DATABASE_URL scheme {parts.scheme!r} is not supported")


DEBUG = env_bool("DJANGO_DEBUG")

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY must be set in production (or set DJANGO_DEBUG=1 for development)"
        )
    SECRET_KEY = "django-insecure-development-only-key-do-not-use-in-production"  # noqa: S105

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS")
if not ALLOWED_HOSTS:
    if not DEBUG:
        raise ImproperlyConfigured("DJANGO_ALLOWED_HOSTS must be set in production")
    ALLOWED_HOSTS = ["localhost", "127.0.0.1", "[::1]", "testserver"]
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    "django.contrib.humanize",
    "taggit",
    "ninja",  # the read API's docs page from the package's static files (no CDN)
    "newsroom.apps.LoginGuardConfig",  # django-axes
    "articles",
]

MIDDLEWARE = [
    # Request latency by view for Prometheus (newsroom/metrics.py): everything below is timed.
    "newsroom.metrics.MetricsMiddleware",
    # Readers' read beacons (POST /r/<id>/), one with every page view: an empty 204 that none
    # of the rest has anything to add to (articles/reading/beacon.py).
    "articles.reading.beacon.ReadBeaconMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # /api/: rate limits and CORS, before the page cache answers.
    "articles.api.edge.ApiEdgeMiddleware",
    # Anonymous readers' repeat visits, stored with the headers the middleware below adds.
    "articles.cache.PageCacheMiddleware",
    "django.middleware.http.ConditionalGetMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "newsroom.urls"
WSGI_APPLICATION = "newsroom.wsgi.application"

TEMPLATES = [
    {
        # The public site's templates (templates/, not admin/): newsroom/jinja2.py.
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": False,
        "OPTIONS": {"environment": "newsroom.jinja2.environment"},
    },
    {
        # The admin's, with its overrides in templates/admin/, and Django's sitemaps.
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

if not os.environ.get("DATABASE_URL"):
    VAR_DIR.mkdir(parents=True, exist_ok=True)
# PostgreSQL: the public pages' plan-stable reads (articles/reads.py) are prepared statements,
# planned once per connection. The session keeps their generic plan (the server otherwise
# re-plans each execution, which costs twice the execution of these index look-ups); only
# those statements are prepared, Django's own bind their values on the client. Turn off
# behind a pooler that cannot keep prepared statements (PgBouncer in transaction mode < 1.21).
NEWSROOM_PREPARED_READS = env_bool("NEWSROOM_PREPARED_READS", default=True)
DATABASES = {
    "default": parse_database_url(
        os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'newsroom.sqlite3'}"
    )
}
# No JIT: it compiles any plan whose estimated cost is high, and a prepared read's generic plan
# (its LIMIT unknown) looks costly over a million stories: the home page's list took 0.5 s to
# compile for 0.4 ms of work (docs/benchmarks.md, a million stories). Every statement here is short.
POSTGRES_OPTIONS = " ".join(["-c plan_cache_mode=force_generic_plan"] * NEWSROOM_PREPARED_READS + ["-c jit=off"])
if DATABASES["default"]["ENGINE"].endswith("postgresql"):
    DATABASES["default"]["OPTIONS"].setdefault("options", POSTGRES_OPTIONS)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "zh-hans"
# The desk's own translations of third-party apps that ship no Chinese (django-axes).
LOCALE_PATHS = [BASE_DIR / "locale"]
LANGUAGES = [("zh-hans", "简体中文")]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("DJANGO_STATIC_ROOT", BASE_DIR / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            # Django's Redis cache, except that an unreachable Redis means cache misses (pages
            # from PostgreSQL) rather than 500s; the timeouts bound what an outage costs.
            "BACKEND": "newsroom.redis_cache.ResilientRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "newsroom",
            "TIMEOUT": 300,
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "newsroom",
            "TIMEOUT": 300,
        }
    }
# Who may read /metrics (Prometheus): addresses or networks, comma-separated; the address is
# the one nginx saw behind the proxy (newsroom.health.client_ip).
NEWSROOM_METRICS_ALLOW = os.environ.get("NEWSROOM_METRICS_ALLOW", "127.0.0.1,::1")
# The log nginx writes readers' read beacons to when it answers /r/ itself (deploy/nginx.conf):
# flush_reads counts its new lines (docs/reading.md). Empty: beacons reach the app.
NEWSROOM_READS_LOG = os.environ.get("NEWSROOM_READS_LOG", "")
# How long anonymous public pages may be served from the cache; edits bump a version key so
# readers see them at once (articles.cache). The version must be shared by every process (web
# workers, the cron importer), so production caches pages only with REDIS_URL: a per-process
# local-memory cache would keep serving a page after another process changed it.
PAGE_CACHE_SECONDS = int(
    os.environ.get("NEWSROOM_PAGE_CACHE_SECONDS", "300" if REDIS_URL or DEBUG else "0")
)
# The version's authoritative part lives in the database (Redis may lose a change while it is
# frozen or failing over); each process reads it at most this often, so a change another
# process made reaches every reader within this many seconds whatever the cache does.
PAGE_CACHE_GENERATION_SECONDS = float(os.environ.get("NEWSROOM_PAGE_CACHE_GENERATION_SECONDS", "1"))

# The import pipeline
NEWSROOM_IMPORT_MAX_BYTES = int(os.environ.get("NEWSROOM_IMPORT_MAX_BYTES", str(5 * 1024 * 1024)))
# Folders (besides the paths given to import_articles) that symlinks in a drop folder may lead
# into, separated by ":". A link anywhere else (an env file, /etc/passwd, /dev/zero) is refused.
# Feed keys (front matter `categories`) whose files are not news: the site's own notices.
NEWSROOM_IGNORED_FEEDS = frozenset(
    key.strip() for key in os.environ.get("NEWSROOM_IGNORED_FEEDS", "sitenews").split(",") if key.strip()
)
# Hosts of the scrapers' mirrors: a story's link there is shown as a reprint page, not 原文.
NEWSROOM_MIRROR_HOSTS = frozenset(
    host.strip().lower()
    for host in os.environ.get("NEWSROOM_MIRROR_HOSTS", "finews.zning.xyz").split(",") if host.strip()
)
NEWSROOM_IMPORT_ROOTS = [p for p in os.environ.get("NEWSROOM_IMPORT_ROOTS", "").split(os.pathsep) if p]
NEWSROOM_SITE_NAME = os.environ.get("NEWSROOM_SITE_NAME", "财经新闻台")
NEWSROOM_SITE_URL = os.environ.get("NEWSROOM_SITE_URL", "")
ADMIN_URL = os.environ.get("DJANGO_ADMIN_URL", "admin/").strip("/") + "/"

# Security
# Behind nginx (or any TLS-terminating proxy) that sets X-Forwarded-Proto and appends the peer
# to X-Forwarded-For. Never enable it when the app server is reachable directly: a client could
# then claim HTTPS, or another address, by sending the headers itself.
BEHIND_PROXY = env_bool("DJANGO_BEHIND_PROXY")
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if BEHIND_PROXY else None
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^metrics$"]  # probes and Prometheus speak plain HTTP
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SESSION_COOKIE_HTTPONLY = True
SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_HSTS_SECONDS", "0" if DEBUG else "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
# Preloading is a promise to browsers, for the domain and every subdomain, that is hard to take
# back for months; the site owner opts in (DJANGO_HSTS_PRELOAD=1) rather than a default making
# it. Hence the one silenced deploy check.
SECURE_HSTS_PRELOAD = env_bool("DJANGO_HSTS_PRELOAD")
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
X_FRAME_OPTIONS = "DENY"

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        # Article bodies embed images hosted by the publishers.
        "img-src": ["'self'", "data:", "https:", "http:"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}

# Login throttling for the admin (django-axes)
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = 1  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
AXES_ENABLED = env_bool("AXES_ENABLED", default=True)
AXES_CLIENT_IP_CALLABLE = "newsroom.health.client_ip"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "logfmt": {"()": "newsroom.logfmt.LogfmtFormatter"},
    },
    "handlers": {
        # stderr, as gunicorn's error log: stdout is the commands' output (import_articles
        # --json is read by scripts) and gunicorn's access log.
        "stderr": {"class": "logging.StreamHandler", "formatter": "logfmt",
                   "stream": "ext://sys.stderr"},
    },
    "root": {"handlers": ["stderr"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        "axes": {"level": "WARNING"},
        # Scanners probing by IP address send foreign Host headers all day; Django answers
        # 400 either way, and logging each at ERROR would bury real errors.
        "django.security.DisallowedHost": {"level": "CRITICAL"},
    },
}

# Status given to newly imported articles (editors triage them in the admin).
NEWSROOM_IMPORT_STATUS = os.environ.get("NEWSROOM_IMPORT_STATUS", "review")
# Same-story clusters at import (docs/clusters.md). Off, new stories are stored without their
# likeness; `manage.py cluster_articles` clusters them later.
NEWSROOM_SAME_STORY = os.environ.get("NEWSROOM_SAME_STORY", "1") != "0"

# The read API: requests per client address per window of seconds ("120/60").
NEWSROOM_API_RATE = tuple(int(n) for n in os.environ.get("NEWSROOM_API_RATE", "120/60").split("/"))
# The change feed serves changes this many seconds old: longer than any write transaction.
NEWSROOM_API_CHANGES_SETTLE = float(os.environ.get("NEWSROOM_API_CHANGES_SETTLE", "10"))

# Read replicas (docs/operations.md, "Read replicas"): PostgreSQL streaming replicas of
# DATABASE_URL, comma-separated URLs, become the aliases replica1, replica2…; readers' pages and
# the API read from a fit one, everything else uses the primary (newsroom/routers.py).
DATABASE_REPLICAS: list[str] = []
for _number, _url in enumerate(env_list("DATABASE_REPLICA_URLS"), 1):
    _replica = parse_database_url(_url)
    if not (_replica["ENGINE"].endswith("postgresql") and DATABASES["default"]["ENGINE"].endswith("postgresql")):
        raise ImproperlyConfigured(
            f"DATABASE_REPLICA_URLS entry {_number}: a replica is a PostgreSQL streaming replica "
            "of a PostgreSQL DATABASE_URL"
        )
    # libpq's shortest: a replica that does not answer costs one reader this long, and is then
    # skipped for NEWSROOM_REPLICA_RETRY_SECONDS.
    _replica["OPTIONS"].setdefault("connect_timeout", "2")
    _replica["OPTIONS"].setdefault("options", POSTGRES_OPTIONS)
    # The test runner creates no database on a read-only server: the alias mirrors `default`.
    _replica["TEST"] = {"MIRROR": "default"}
    DATABASES[f"replica{_number}"] = _replica
    DATABASE_REPLICAS.append(f"replica{_number}")
# Readers are not sent to a replica that may lack more than this many seconds of changes,
NEWSROOM_REPLICA_MAX_LAG = float(os.environ.get("NEWSROOM_REPLICA_MAX_LAG", "5"))
# judged by each process at most this often (one that could not be reached: RETRY).
NEWSROOM_REPLICA_CHECK_SECONDS = float(os.environ.get("NEWSROOM_REPLICA_CHECK_SECONDS", "1"))
NEWSROOM_REPLICA_RETRY_SECONDS = float(os.environ.get("NEWSROOM_REPLICA_RETRY_SECONDS", "5"))
# A browser that wrote reads the primary this long: longer than a fit replica can lag.
NEWSROOM_READ_YOUR_WRITES_SECONDS = float(os.environ.get("NEWSROOM_READ_YOUR_WRITES_SECONDS", "15"))
if DATABASE_REPLICAS:
    # The most a reader's page can lag the primary: the bound, plus the verdict's age.
    _staleness = NEWSROOM_REPLICA_MAX_LAG + NEWSROOM_REPLICA_CHECK_SECONDS
    if _staleness >= NEWSROOM_READ_YOUR_WRITES_SECONDS:
        raise ImproperlyConfigured(
            "NEWSROOM_READ_YOUR_WRITES_SECONDS must exceed NEWSROOM_REPLICA_MAX_LAG + "
            f"NEWSROOM_REPLICA_CHECK_SECONDS ({_staleness:g}), or editors may not see their saves"
        )
    DATABASE_ROUTERS = ["newsroom.routers.ReplicaRouter"]
    # Above the API's edge too: it makes the page cache's look-up (and reads its version).
    MIDDLEWARE.insert(MIDDLEWARE.index("articles.api.edge.ApiEdgeMiddleware"),
                      "newsroom.routers.ReplicaReadsMiddleware")
    # A change enters the API's change feed once every replica readers may be sent to has it.
    NEWSROOM_API_CHANGES_SETTLE += _staleness
