"""`python -m bench.web [--db sqlite|postgres] [--requests N] [--threads T] [--rounds R] [--json]`

Requests per second through the web process as `make run` starts it: Django's development
server (WEB_SERVER=runserver: a thread per request, each closing its database connection)
and gunicorn (the default: WEB_CONCURRENCY workers of WEB_THREADS threads), one after the
other on the same data and machine, R rounds of both (the median is shown: a shared machine's
load comes and goes). In each: N requests one after another and N from T client threads, of
`GET /api/v1/campaigns?limit=20` and of `POST /api/v1/spend` with one event each, every
request on a fresh connection. Any answer but 200 is counted.

The data: a fresh home under bench/var/web (SQLite there, or the PostgreSQL database named by
DATABASE_URL: use a scratch one), `seed_data` with 10 brands of 10 campaigns, and an API
token. Production settings (DEBUG off, JSON logs to a file)."""

from __future__ import annotations

import argparse
import http.client
import importlib.util
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
HOME = Path(__file__).resolve().parent / "var" / "web"
SERVERS = ("runserver", "gunicorn")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _web_command(server: str, port: int) -> tuple[list[str], dict[str, str]]:
    """The web process's command line, from `make run`'s own script."""
    spec = importlib.util.spec_from_file_location("run_script", ROOT / "scripts" / "run.py")
    assert spec is not None and spec.loader is not None
    run = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(run)
    argv, extra = run.web_command(server, "127.0.0.1", str(port))
    return list(argv), dict(extra)


def _environment(db: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "PROMETHEUS_MULTIPROC_DIR"}}
    if db == "sqlite":
        env["DATABASE_URL"] = f"sqlite:///{HOME / 'db.sqlite3'}"
    elif not env.get("DATABASE_URL", "").startswith("postgres"):
        raise SystemExit("--db postgres needs DATABASE_URL=postgres://... (a scratch database)")
    env.update(
        BUDGET_HOME=str(HOME),
        SECRET_KEY="benchmark-only-" + "k" * 40,
        ALLOWED_HOSTS="127.0.0.1",
        SECURE_SSL_REDIRECT="0",
        LOG_FORMAT="json",
        DJANGO_SETTINGS_MODULE="entrypoints.settings",
        PYTHONUNBUFFERED="1",
        PGAPPNAME="budget-web",
    )
    return env


def _prepare(env: dict[str, str]) -> tuple[str, list[int]]:
    """Migrate and load the data in this process; the API token and the campaign ids."""
    os.environ.update(env)
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connections

    from adapters.django_orm.models import Campaign
    from entrypoints.api.tokens import issue_token

    call_command("migrate", interactive=False, verbosity=0)
    call_command("seed_data", brands=10, campaigns_per_brand=10, verbosity=0)
    username = f"bench-{uuid.uuid4().hex[:8]}"
    get_user_model().objects.create_superuser(username, password=uuid.uuid4().hex)
    token = issue_token(username)
    campaigns = list(Campaign.objects.values_list("pk", flat=True)[:100])
    connections.close_all()
    return token, campaigns


def _request(port: int, method: str, path: str, body: Any, token: str) -> int:
    headers = {"Authorization": f"Bearer {token}"}
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request(method, path, body=data, headers=headers)
        response = connection.getresponse()
        response.read()
        return int(response.status)
    except OSError:
        return 0  # no answer at all
    finally:
        connection.close()


def _timed(count: int, threads: int, call: Callable[[int], int]) -> tuple[float, Counter[int]]:
    """Requests per second for `count` calls spread over `threads` threads, and the answers."""
    answers: Counter[int] = Counter()
    lock = threading.Lock()

    def work(offset: int) -> None:
        for i in range(offset, count, threads):
            status = call(i)
            with lock:
                answers[status] += 1

    started = time.perf_counter()
    if threads == 1:
        work(0)
    else:
        pool = [threading.Thread(target=work, args=(t,)) for t in range(threads)]
        for thread in pool:
            thread.start()
        for thread in pool:
            thread.join()
    return count / (time.perf_counter() - started), answers


def _measure(
    server: str, env: dict[str, str], token: str, campaigns: list[int], n: int, threads: int
) -> dict[str, Any]:
    port = _free_port()
    argv, extra = _web_command(server, port)
    log = (HOME / f"{server}.log").open("w")
    process = subprocess.Popen(
        argv, cwd=ROOT, env={**env, **extra}, stdout=log, stderr=subprocess.STDOUT
    )
    try:
        deadline = time.monotonic() + 60
        while _request(port, "GET", "/api/", None, token) != 404:
            if time.monotonic() > deadline or process.poll() is not None:
                raise SystemExit(f"{server} did not start; see {log.name}")
            time.sleep(0.2)
        run = uuid.uuid4().hex[:8]

        def get(i: int) -> int:
            return _request(port, "GET", "/api/v1/campaigns?limit=20", None, token)

        def post(i: int) -> int:
            event = {
                "campaign_id": campaigns[i % len(campaigns)],
                "amount": "0.01",
                "key": f"web-{server}-{run}-{i}",
            }
            return _request(port, "POST", "/api/v1/spend", {"events": [event]}, token)

        _timed(20, 1, get)  # warm up: imports, caches, first connections
        figures: dict[str, Any] = {}
        offset = 0
        for name, call in (("GET /api/v1/campaigns", get), ("POST /api/v1/spend", post)):
            for label, width in (("sequential", 1), (f"{threads} threads", threads)):

                def shifted(i: int, call: Callable[[int], int] = call, base: int = offset) -> int:
                    return call(base + i)

                rate, answers = _timed(n, width, shifted)
                offset += n
                errors = sum(c for status, c in answers.items() if status != 200)
                figures[f"{name}, {label}"] = {"rps": round(rate, 1), "errors": errors}
        return figures
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--requests", type=int, default=1000, metavar="N")
    parser.add_argument("--threads", type=int, default=16, metavar="T")
    parser.add_argument("--rounds", type=int, default=3, metavar="R")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    options = parser.parse_args()

    shutil.rmtree(HOME, ignore_errors=True)
    HOME.mkdir(parents=True)
    env = _environment(options.db)
    token, campaigns = _prepare(env)
    rounds: dict[str, list[dict[str, Any]]] = {server: [] for server in SERVERS}
    for _ in range(options.rounds):
        for server in SERVERS:
            figures = _measure(server, env, token, campaigns, options.requests, options.threads)
            rounds[server].append(figures)
    results = {
        server: {
            row: {
                "rps": statistics.median(r[row]["rps"] for r in runs),
                "errors": sum(r[row]["errors"] for r in runs),
            }
            for row in runs[0]
        }
        for server, runs in rounds.items()
    }
    if options.json:
        print(json.dumps(results))
        return
    rows = list(results[SERVERS[0]])
    print(f"{'requests/s, median (non-200 answers)':<44}" + "".join(f"{s:>18}" for s in SERVERS))
    for row in rows:
        cells = "".join(
            f"{results[s][row]['rps']:>11.1f} ({results[s][row]['errors']:>3})" for s in SERVERS
        )
        print(f"{row:<44}{cells}")


if __name__ == "__main__":
    sys.exit(main())
