"""Environment for the benchmark's processes: which database, which broker folder, Django."""

from __future__ import annotations

import os
from pathlib import Path

VAR = Path(__file__).resolve().parent / "var"
SQLITE_FILE = VAR / "bench.sqlite3"


def configure(db: str) -> None:
    """Point this process (and the subprocesses it starts) at the benchmark's database and
    broker, then set Django up."""
    VAR.mkdir(parents=True, exist_ok=True)
    if db == "sqlite":
        os.environ["DATABASE_URL"] = f"sqlite:///{SQLITE_FILE}"
    elif not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        raise SystemExit("--db postgres needs DATABASE_URL=postgres://...")
    os.environ["BENCH_DB"] = db
    # Production settings (DEBUG off: no query log), with a throwaway key.
    os.environ.setdefault("SECRET_KEY", "benchmark-only-" + "k" * 40)
    os.environ.setdefault("ALLOWED_HOSTS", "127.0.0.1,localhost")
    os.environ.setdefault("BUDGET_ALLOW_INSECURE_KEY", "1")
    os.environ.setdefault("SECURE_SSL_REDIRECT", "0")  # plain HTTP on the loopback
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "entrypoints.settings")
    os.environ.setdefault("CELERY_TASK_DEFAULT_QUEUE", "bench")
    if not os.environ.get("CELERY_BROKER_URL"):
        os.environ["CELERY_BROKER_TRANSPORT_OPTIONS"] = '{"data_folder": "%s"}' % (VAR / "broker")
    import django

    django.setup()
