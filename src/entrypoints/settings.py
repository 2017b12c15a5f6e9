"""Django settings, read from the environment.

SECRET_KEY   required unless DEBUG is on (a development key is made up then)
DEBUG        "1"/"true" turns debug on (default off)
DATABASE_URL e.g. postgres://user@host:5432/db; default SQLite in ./var/db.sqlite3
ALLOWED_HOSTS comma-separated; default localhost names when DEBUG is on
CELERY_BROKER_URL e.g. redis://127.0.0.1:6379/0; default an embedded broker
CELERY_TASK_DEFAULT_QUEUE the queue tasks go to and workers read (default "celery")
CELERY_BROKER_TRANSPORT_OPTIONS JSON for the broker, over the defaults set below, e.g.
             {"visibility_timeout": 600}
DB_CONN_MAX_AGE seconds a PostgreSQL connection is kept open between requests (default 60;
             0 closes it after each request); see DATABASES below
DB_CONNECT_TIMEOUT seconds to connect to PostgreSQL before giving up, in every process
             (whole seconds, 2-600; default 3)
DB_REQUEST_TIMEOUT seconds a web request may wait for the database (above 0, up to 600;
             default 5): its statements are cancelled after this long, its connection cut
             a second later, and it answers 503; see entrypoints/outage.py
BEAT_LEASE_SECONDS a beat that stops renewing its lease loses it after this long, and a
             standing-by beat takes over (whole seconds, 3-3600; default 30)
LOG_FORMAT   "text" (one readable line per record) or "json" (one JSON object per line);
             default json, text when DEBUG is on (and under `make run`); LOG_LEVEL (INFO)
METRICS_TOKEN /metrics answers a request with `Authorization: Bearer <METRICS_TOKEN>`;
METRICS_PUBLIC=1 opens it to anyone (without either it answers 403)
PROMETHEUS_MULTIPROC_DIR where every process writes its metrics for /metrics (default
             ./var/metrics; empty it when the service starts, as `make run` does)
METRICS_CAMPAIGNS_TTL seconds /metrics reuses its count of campaigns by status (default 30)
HEALTH_TIMEOUT seconds /health waits for each part at most (default 3)
SWEEP_SHARDS  parts a sweep works on at once, each on its own connection (1-16; default 2
             on PostgreSQL, 1 on SQLite, which has one writer at a time anyway)
GC_THRESHOLD allocations between the garbage collector's youngest-generation runs (default
             20000; 0 keeps Python's own settings); see entrypoints/apps.py
ALERT_WEBHOOK_URL budget alerts are also POSTed here as JSON when set
ALERT_EMAILS comma-separated addresses budget alerts are also e-mailed to
DEFAULT_FROM_EMAIL, EMAIL_HOST, EMAIL_PORT the sender and SMTP server for those e-mails
SECURE_SSL_REDIRECT, SECURE_HSTS_SECONDS, SECURE_PROXY_SSL_HEADER, CSRF_TRUSTED_ORIGINS
             HTTPS hardening, on by default when DEBUG is off (see the end of this file)
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import dj_database_url
from dotenv import load_dotenv

from entrypoints.logs import FORMATS, logging_config

# Settings may also come from a `.env` file (NAME=value lines) in the working directory;
# a variable set in the real environment wins over the file.
load_dotenv(Path.cwd() / ".env", override=False)

BASE_DIR = Path(os.environ.get("BUDGET_HOME", Path.cwd())).resolve()
VAR_DIR = BASE_DIR / "var"


def _flag(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


DEBUG = _flag("DEBUG")
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG and not _flag("BUDGET_ALLOW_INSECURE_KEY"):
        raise RuntimeError("SECRET_KEY must be set (or DEBUG=1 for development)")
    SECRET_KEY = "insecure-development-key-" + "x" * 40

ALLOWED_HOSTS = [h.strip() for h in os.environ.get("ALLOWED_HOSTS", "").split(",") if h.strip()]
if not ALLOWED_HOSTS and DEBUG:
    ALLOWED_HOSTS = ["localhost", "127.0.0.1", "[::1]", "testserver"]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_celery_beat",
    "django_celery_results",
    "entrypoints.beat.apps.BeatConfig",
    "adapters.django_orm.apps.BudgetConfig",
    "ninja",  # serves the API docs' scripts and styles itself, no CDN
    "entrypoints.api.apps.ApiConfig",
    # Management commands (entrypoints/management) and the admin (entrypoints/admin/).
    "entrypoints",
]

MIDDLEWARE = [
    # First, so that it logs every answer, static files and error pages included.
    "entrypoints.logs.RequestLogMiddleware",
    # A database outage anywhere inside answers 503; the request's database waits are limited.
    "entrypoints.outage.DatabaseOutageMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Static files (the admin's styles and scripts) from the web process itself.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # API bodies: JSON only (415), chunked ones read or refused (411), before anything reads.
    "entrypoints.api.middleware.ApiRequestBodyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "entrypoints.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        # Ahead of the apps' folders: the admin's own index page would otherwise win over
        # the dashboard that replaces it (django.contrib.admin comes first in INSTALLED_APPS).
        "DIRS": [Path(__file__).resolve().parent / "templates"],
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

WSGI_APPLICATION = "entrypoints.wsgi.application"

_default_sqlite = f"sqlite:///{VAR_DIR / 'db.sqlite3'}"
# Under gunicorn's threaded workers each thread keeps at most one connection, so a web
# process holds at most WEB_CONCURRENCY x WEB_THREADS however many requests come; reusing
# them saves a connection set-up per request (it doubled requests per second on PostgreSQL),
# and the health check replaces one the database dropped. Django's development server starts
# a thread per request instead: a connection kept by one would never be used again, and they
# would pile up until the database refused new ones.
_conn_max_age = (
    0 if sys.argv[1:2] == ["runserver"] else int(os.environ.get("DB_CONN_MAX_AGE", "60"))
)
DATABASES: dict[str, Any] = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or _default_sqlite,
        conn_max_age=_conn_max_age,
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Several processes and threads write at once (web, worker, beat). Immediate
    # transactions take the write lock at BEGIN, so a unit of work never has to upgrade a
    # read lock (which SQLite answers with "database is locked" at once); the busy timeout
    # makes writers queue for it; WAL lets readers go on while one writes.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
    }
    # A file, not the in-memory default: tests run writers in several threads, and shared
    # in-memory databases lock whole tables regardless of the busy timeout.
    _sqlite_name = Path(DATABASES["default"]["NAME"])
    DATABASES["default"]["TEST"] = {
        "NAME": str(_sqlite_name.with_name(f"test_{_sqlite_name.name}"))
    }
    _sqlite_name.parent.mkdir(parents=True, exist_ok=True)

if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Parameters travel apart from the statement: an array of a thousand ids is one
    # parameter, not a literal that Python quotes element by element.
    DATABASES["default"].setdefault("OPTIONS", {})["server_side_binding"] = True


def _seconds(name: str, default: str, low: float, high: float, whole: bool) -> float:
    raw = os.environ.get(name, "").strip() or default
    try:
        value = int(raw) if whole else float(raw)
    except ValueError:
        value = -1
    if not low <= value <= high or (not whole and value == 0):
        kind = "a whole number of seconds from" if whole else "a number of seconds above"
        raise RuntimeError(f"{name} must be {kind} {low:g} up to {high:g}, not {raw!r}")
    return value


# Without a limit libpq waits for a server that accepts connections but never answers (one
# stopped, not down) for minutes; no process here needs more than a few seconds to connect.
DB_CONNECT_TIMEOUT = int(_seconds("DB_CONNECT_TIMEOUT", "3", 2, 600, whole=True))
# Web requests only: a worker's batch or a migration may take far longer (outage.py).
DB_REQUEST_TIMEOUT = _seconds("DB_REQUEST_TIMEOUT", "5", 0, 600, whole=False)
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"]["OPTIONS"]["connect_timeout"] = DB_CONNECT_TIMEOUT


def _shards() -> int:
    raw = os.environ.get("SWEEP_SHARDS", "").strip()
    if not raw:
        return 2 if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" else 1
    if not raw.isdigit() or not 1 <= int(raw) <= 16:
        raise RuntimeError(f"SWEEP_SHARDS must be a whole number from 1 to 16, not {raw!r}")
    return int(raw)


SWEEP_SHARDS = _shards()


def _gc_threshold() -> int:
    raw = os.environ.get("GC_THRESHOLD", "").strip() or "20000"
    if not raw.isdigit() or int(raw) > 10_000_000:
        raise RuntimeError(f"GC_THRESHOLD must be a whole number from 0 to 10000000, not {raw!r}")
    return int(raw)


GC_THRESHOLD = _gc_threshold()

USE_TZ = True
TIME_ZONE = "UTC"
LANGUAGE_CODE = "en-us"
USE_I18N = True
STATIC_URL = "static/"
# `manage.py collectstatic` copies (and compresses) the files here, and WhiteNoise serves
# them; with DEBUG on it serves them from the apps directly. `make run` collects at start.
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise warns of a missing one
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# A spend batch of 10,000 events with long keys and descriptions is several megabytes.
DATA_UPLOAD_MAX_MEMORY_SIZE = 16 * 1024 * 1024

ALERT_WEBHOOK_URL = os.environ.get("ALERT_WEBHOOK_URL", "")
ALERT_EMAILS = [a.strip() for a in os.environ.get("ALERT_EMAILS", "").split(",") if a.strip()]
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "budget-control@localhost")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))

# Celery (entrypoints/celery_app.py reads every CELERY_ name). Without CELERY_BROKER_URL the
# broker is a folder, ./var/broker, that any process on this machine can use
# (adapters/filesystem_broker.py); in production, Redis (with an append-only file) or
# RabbitMQ (amqp://).
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL") or "filesystem://"
if CELERY_BROKER_URL == "filesystem://":
    CELERY_BROKER_TRANSPORT = "adapters.filesystem_broker:Transport"
    CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, Any] = {"data_folder": str(VAR_DIR / "broker")}
elif CELERY_BROKER_URL.startswith(("amqp://", "amqps://", "pyamqp://")):
    # Queues are durable and messages persistent (Celery's defaults); with confirms a
    # publisher returns only once RabbitMQ has taken the message, so "queued" means kept.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"confirm_publish": True}
else:
    # Redis gives a task a worker took but never acked (the worker died) to another worker
    # once it is older than the visibility timeout, looking every restore interval (times
    # the throttle; kombu's 10 x 10 s made it up to 100 s late). The timeout must exceed the
    # longest a live worker holds a task: the hard time limit (300 s) plus the longest retry
    # countdown (60 s), or a running task would be handed out twice. So a killed worker's
    # tasks run again after 420 to 425 s.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": 420,
        "unacked_restore_interval": 5,
        "unacked_restore_throttle": 1,
    }
CELERY_BROKER_TRANSPORT_OPTIONS.update(
    json.loads(os.environ.get("CELERY_BROKER_TRANSPORT_OPTIONS") or "{}")
)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A worker whose broker is down waits for it however long it takes, instead of giving up
# after 100 attempts.
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("CELERY_TASK_DEFAULT_QUEUE", "celery")
CELERY_TASK_SERIALIZER = CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
CELERY_ENABLE_UTC = True
# A task is acked when it finishes, and given back when its worker dies: every task is
# idempotent, so running one twice is safe and losing one is not.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = 240
CELERY_TASK_TIME_LIMIT = 300
CELERY_TASK_TRACK_STARTED = True
# django-celery-results' table, through a backend that never lets an unreachable database
# turn a task's state change into a dropped message (entrypoints/result_backend.py).
CELERY_RESULT_BACKEND = "entrypoints.result_backend:ResilientDatabaseBackend"
CELERY_RESULT_EXTENDED = True
# django-celery-beat's schedule, sent by one beat at a time: the one holding the lease.
CELERY_BEAT_SCHEDULER = "entrypoints.beat.scheduler:LeasedDatabaseScheduler"
BEAT_LEASE_SECONDS = int(_seconds("BEAT_LEASE_SECONDS", "30", 3, 3600, whole=True))

LOG_FORMAT = os.environ.get("LOG_FORMAT", "").strip().lower() or ("text" if DEBUG else "json")
if LOG_FORMAT not in FORMATS:
    raise RuntimeError(f"LOG_FORMAT must be one of {', '.join(FORMATS)}, not {LOG_FORMAT!r}")
LOGGING = logging_config(LOG_FORMAT, os.environ.get("LOG_LEVEL", "INFO"))

# Metrics (entrypoints/metrics.py). Every process on this machine (web workers, Celery pool
# processes, commands) keeps its figures in files in one folder, and /metrics adds them up.
# prometheus_client reads the variable when it is first imported, so it is set here, before
# anything imports it.
PROMETHEUS_MULTIPROC_DIR = Path(
    os.environ.get("PROMETHEUS_MULTIPROC_DIR") or VAR_DIR / "metrics"
).resolve()
os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(PROMETHEUS_MULTIPROC_DIR)
PROMETHEUS_MULTIPROC_DIR.mkdir(parents=True, exist_ok=True)
METRICS_TOKEN = os.environ.get("METRICS_TOKEN", "")
METRICS_PUBLIC = _flag("METRICS_PUBLIC")
# Campaigns by status and hold are counted from the database at most this often (seconds):
# a count over a million campaigns takes a fraction of a second.
METRICS_CAMPAIGNS_TTL = _seconds("METRICS_CAMPAIGNS_TTL", "30", 0, 600, whole=False)
HEALTH_TIMEOUT = _seconds("HEALTH_TIMEOUT", "3", 0, 600, whole=False)

# Production hardening: on unless DEBUG. Behind a TLS-terminating proxy set
# SECURE_PROXY_SSL_HEADER=1 so Django trusts X-Forwarded-Proto; SECURE_SSL_REDIRECT=0 leaves
# redirects to the proxy; SECURE_HSTS_SECONDS=0 turns HSTS off.
SECURE_SSL_REDIRECT = _flag("SECURE_SSL_REDIRECT", default=not DEBUG)
# Load balancers and orchestrators probe /health over plain HTTP; it carries no secret.
SECURE_REDIRECT_EXEMPT = [r"^health$"]
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "0" if DEBUG else "31536000"))
# Subdomains and preload are on by default in production (the deploy check asks for them);
# SECURE_HSTS_INCLUDE_SUBDOMAINS=0 / SECURE_HSTS_PRELOAD=0 for a domain that cannot commit.
SECURE_HSTS_INCLUDE_SUBDOMAINS = _flag("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG)
SECURE_HSTS_PRELOAD = _flag("SECURE_HSTS_PRELOAD", default=not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
if _flag("SECURE_PROXY_SSL_HEADER"):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
CSRF_TRUSTED_ORIGINS = [
    o.strip() for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()
]
