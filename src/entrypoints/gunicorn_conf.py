"""gunicorn's configuration for the web process:

    gunicorn -c python:entrypoints.gunicorn_conf entrypoints.wsgi

(`make run` starts it so.) Threaded workers (gthread): WEB_CONCURRENCY processes of
WEB_THREADS threads each answer at most WEB_CONCURRENCY x WEB_THREADS requests at once, and
each thread keeps at most one database connection, so that is also the web server's bound
on database connections (DB_CONN_MAX_AGE, see the settings).

Environment (also read from `.env`, like the settings):
  HOST, PORT        where to listen; default 127.0.0.1:8000 (0.0.0.0 for every interface)
  WEB_CONCURRENCY   worker processes; default 2 (one per core of a 2-core machine: the
                    Python work of a request holds a core, the threads overlap its waits)
  WEB_THREADS       threads per worker; default 4
  WEB_TIMEOUT       seconds a worker may stay silent (one request running that long) before
                    it is killed and replaced; default 60
  SHUTDOWN_TIMEOUT  seconds running requests get to finish after SIGTERM; default 30

Its log lines (start, workers booting or dying) go through the settings' LOGGING, in
LOG_FORMAT. There is no separate access log: the application writes one line per request
(entrypoints.logs.RequestLogMiddleware)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

# The settings module itself (not Django's lazy object): it reads `.env`, and names the
# metrics folder before anything imports prometheus_client.
from entrypoints import settings as _settings


def _whole(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip() or str(default)
    if not raw.isdigit() or not 1 <= int(raw) <= 256:
        raise RuntimeError(f"{name} must be a whole number from 1 to 256, not {raw!r}")
    return int(raw)


def _bind() -> str:
    host = os.environ.get("HOST", "").strip() or "127.0.0.1"
    port = os.environ.get("PORT", "").strip() or "8000"
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


wsgi_app = "entrypoints.wsgi:application"
bind = [_bind()]
worker_class = "gthread"
workers = _whole("WEB_CONCURRENCY", 2)
threads = _whole("WEB_THREADS", 4)
timeout = _whole("WEB_TIMEOUT", 60)
graceful_timeout = _whole("SHUTDOWN_TIMEOUT", 30)
keepalive = 5
accesslog = None
logconfig_dict = _settings.LOGGING
# gunicorn's control socket defaults to one path per user, shared by every gunicorn on
# the machine; this service does not use it.
control_socket_disable = True
# The workers' heartbeat files: in memory where there is /dev/shm (a slow disk would make a
# busy worker look dead).
if Path("/dev/shm").is_dir():
    worker_tmp_dir = "/dev/shm"


def child_exit(server: Any, worker: Any) -> None:
    """A worker ended: its metrics files stay (counters keep their totals), but its live
    gauges no longer count."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)  # type: ignore[no-untyped-call]
