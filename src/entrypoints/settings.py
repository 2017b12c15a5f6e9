"""Django settings, read from the environment.

SECRET_KEY   required unless DEBUG is on (a development key is made up then)
DEBUG        "1"/"true" turns debug on (default off)
DATABASE_URL e.g. postgres://user@host:5432/db; default SQLite in ./var/db.sqlite3
ALLOWED_HOSTS comma-separated; default localhost names when DEBUG is on
CELERY_BROKER_URL e.g. redis://127.0.0.1:6379/0; default an embedded broker
CELERY_TASK_DEFAULT_QUEUE the queue tasks go to and workers read (default "celery")
CELERY_BROKER_TRANSPORT_OPTIONS JSON for the broker, e.g. {"visibility_timeout": 600}
DB_CONN_MAX_AGE seconds a PostgreSQL connection is kept open (default 60)
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
from pathlib import Path
from typing import Any

import dj_database_url

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
    # Management commands (entrypoints/management) and the admin (entrypoints/admin.py).
    "entrypoints",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
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
        "DIRS": [],
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
DATABASES: dict[str, Any] = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or _default_sqlite,
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "60")),
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
STATIC_ROOT = VAR_DIR / "static"
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
# (adapters/filesystem_broker.py); in production, Redis.
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL") or "filesystem://"
if CELERY_BROKER_URL == "filesystem://":
    CELERY_BROKER_TRANSPORT = "adapters.filesystem_broker:Transport"
    CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, Any] = {"data_folder": str(VAR_DIR / "broker")}
else:
    # Redis gives an unacked task (its worker died) to another worker after this long; it
    # must exceed the longest task plus its retry countdown.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_BROKER_TRANSPORT_OPTIONS.update(
    json.loads(os.environ.get("CELERY_BROKER_TRANSPORT_OPTIONS") or "{}")
)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
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
CELERY_RESULT_BACKEND = "django-db"
CELERY_RESULT_EXTENDED = True
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
}

# Production hardening: on unless DEBUG. Behind a TLS-terminating proxy set
# SECURE_PROXY_SSL_HEADER=1 so Django trusts X-Forwarded-Proto; SECURE_SSL_REDIRECT=0 leaves
# redirects to the proxy; SECURE_HSTS_SECONDS=0 turns HSTS off.
SECURE_SSL_REDIRECT = _flag("SECURE_SSL_REDIRECT", default=not DEBUG)
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
