"""The web process as it is served for real: gunicorn, started by `make run` or as the README
tells production to start it.

- Its database connections stay within workers x threads however many requests come (the
  development server, a thread per request, left one connection behind per request until
  PostgreSQL refused new ones).
- With DEBUG off it serves the admin's styles itself (WhiteNoise, after collectstatic) and
  logs one JSON line per request; a Celery worker logs one JSON line per task.
- Settings come from a `.env` file in the working directory, the real environment winning."""

from __future__ import annotations

import contextlib
import re
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from .services import PostgresCluster, free_port
from .serving import ROOT, in_threads, json_lines, request, service_env, wait_for, web_server
from .test_celery import (
    Broker,
    Service,
    broker,  # noqa: F401
    database_url,
    make_campaign,
    queue_spend,
    service,  # noqa: F401
    spend_events,
    task_result,
    use_cases,
)
from .test_run import MakeRun

pytestmark = pytest.mark.slow

# The bound the connection test holds the server to: gunicorn_conf's defaults, set explicitly.
WORKERS, THREADS = 2, 4
REQUESTS_EACH_WAY = 1000
CLIENT_THREADS = 16


class ConnectionSampler:
    """Counts, every few milliseconds until stopped, the connections that processes named
    `application` hold to database `dbname`; keeps the peak."""

    def __init__(self, url: str, dbname: str, application: str) -> None:
        self.peak = 0
        self.samples = 0
        self._query = (url, dbname, application)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        url, dbname, application = self._query
        with psycopg.connect(url, autocommit=True) as conn:
            while not self._stop.is_set():
                row = conn.execute(
                    "SELECT count(*) FROM pg_stat_activity"
                    " WHERE datname = %s AND application_name = %s",
                    (dbname, application),
                ).fetchone()
                assert row is not None
                self.peak = max(self.peak, int(row[0]))
                self.samples += 1
                time.sleep(0.005)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)


def api_token(env: dict[str, str]) -> str:
    done = subprocess.run(
        [sys.executable, "manage.py", "create_api_token", "admin"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return done.stdout.splitlines()[-1]


@pytest.mark.postgres
def test_make_runs_web_server_keeps_database_connections_within_workers_times_threads(
    private_postgres: PostgresCluster,
    tmp_path: Path,
) -> None:
    """2,000 API requests through `make run`'s web server, half one after another, half
    from 16 threads: every answer is 200, every spend event sent is in the ledger once, and
    the server never holds more than workers x threads + 2 connections. (On its own
    PostgreSQL, at the default max_connections of 100: the development server this
    replaced ran out of them within the first hundred requests.)"""
    dbname = "budget"
    url = private_postgres.create_database(dbname)
    port = free_port()
    env = service_env(
        tmp_path,
        PORT=str(port),
        DATABASE_URL=url,
        WEB_CONCURRENCY=str(WORKERS),
        WEB_THREADS=str(THREADS),
    )
    run = MakeRun(tmp_path, env)
    sampler: ConnectionSampler | None = None
    try:
        run.wait_until_serving()
        run.wait_for_output(r"user (\S+)\s+password (\S+)")
        auth = {"Authorization": f"Bearer {api_token({**env, 'DEBUG': '1'})}"}
        listed = request(port, "GET", "/api/v1/campaigns?limit=20", headers=auth)
        assert listed.status == 200, listed.text()
        campaigns = [c["id"] for c in listed.json()["items"]]
        statuses: Counter[int] = Counter()
        keys_sent: list[str] = []

        def call(i: int) -> None:
            if i % 2:
                key = f"conn-{i}"
                keys_sent.append(key)
                event = {"campaign_id": campaigns[i % len(campaigns)], "amount": "0.01", "key": key}
                answer = request(port, "POST", "/api/v1/spend", {"events": [event]}, auth)
                if answer.status == 200:
                    assert answer.json()["results"][0]["outcome"] == "recorded", answer.text()
            else:
                answer = request(port, "GET", "/api/v1/campaigns?limit=20", headers=auth)
            statuses[answer.status] += 1

        sampler = ConnectionSampler(private_postgres.url(), dbname, "budget-web")
        started = time.monotonic()
        for i in range(REQUESTS_EACH_WAY):
            call(i)
        sequential_s = time.monotonic() - started
        started = time.monotonic()
        in_threads(
            CLIENT_THREADS,
            lambda t: [
                call(i) for i in range(REQUESTS_EACH_WAY + t, 2 * REQUESTS_EACH_WAY, CLIENT_THREADS)
            ],
        )
        threaded_s = time.monotonic() - started
        sampler.stop()

        print(
            f"\nconnections: peak {sampler.peak} of at most {WORKERS * THREADS + 2} "
            f"({sampler.samples} samples); {REQUESTS_EACH_WAY} sequential requests in "
            f"{sequential_s:.1f} s, {REQUESTS_EACH_WAY} from {CLIENT_THREADS} threads in "
            f"{threaded_s:.1f} s; answers {dict(statuses)}"
        )
        assert statuses == {200: 2 * REQUESTS_EACH_WAY}, run.output()[-5000:]
        assert 0 < sampler.peak <= WORKERS * THREADS + 2
        ledger = private_postgres.psql(
            "SELECT key FROM budget_spendentry WHERE key LIKE 'conn-%'", dbname
        ).split()
        assert sorted(ledger) == sorted(keys_sent)
    finally:
        if sampler is not None:
            sampler.stop()
        if run.popen.poll() is None:
            run.popen.send_signal(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                run.popen.wait(timeout=60)
        run.kill_leftovers()


@pytest.fixture
def production_env(tmp_path: Path, transactional_db: None) -> Iterator[dict[str, str]]:
    """The environment of a production web process (DEBUG off) on the test database."""
    yield service_env(
        tmp_path,
        DATABASE_URL=database_url(),
        SECRET_KEY="a-production-secret-" + uuid.uuid4().hex,
        ALLOWED_HOSTS="127.0.0.1",
        SECURE_SSL_REDIRECT="0",
        DJANGO_SETTINGS_MODULE="entrypoints.settings",
    )


def test_in_production_gunicorn_serves_the_admin_styles_and_logs_one_json_line_per_request(
    production_env: dict[str, str], tmp_path: Path
) -> None:
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
        cwd=ROOT,
        env=production_env,
        check=True,
        timeout=120,
    )
    with web_server(production_env, tmp_path / "web.log") as web:
        page = web.get("/admin/login/")
        assert page.status == 200
        stylesheets = re.findall(r'href="(/static/admin/css/[^"]+\.css)"', page.text())
        assert stylesheets, page.text()
        for path in stylesheets:
            plain = web.get(path)
            assert plain.status == 200, path
            assert plain.headers["content-type"].startswith("text/css")
            assert "max-age" in plain.headers["cache-control"]
            zipped = web.get(path, **{"Accept-Encoding": "gzip"})
            assert zipped.headers.get("content-encoding") == "gzip"

        logged = wait_for(
            lambda: [
                line for line in json_lines(web.output()) if line.get("path") == "/admin/login/"
            ],
            "the request's log line",
        )
        assert len(logged) == 1
        line = logged[0]
        assert (line["logger"], line["level"], line["method"], line["status"]) == (
            "budget.request",
            "INFO",
            "GET",
            200,
        )
        assert line["duration_ms"] >= 0 and line["bytes"] > 0
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", line["time"])
        # Everything the web process writes is JSON, gunicorn's own lines included.
        lines = [line for line in web.output().splitlines() if line.strip()]
        assert lines and all(line.startswith("{") for line in lines), web.output()
        assert any(line.get("logger") == "gunicorn.error" for line in json_lines(web.output()))


@pytest.mark.parametrize("broker", ["embedded"], indirect=True)
def test_a_task_writes_one_json_line_on_the_worker(
    service: Service,  # noqa: F811  (the fixtures, imported above)
    broker: Broker,  # noqa: F811
) -> None:
    campaign_id = make_campaign(use_cases(), daily_budget="100")
    worker = service.worker(LOG_FORMAT="json")

    task_id = queue_spend(broker, spend_events(campaign_id, 3, "1.50"))
    task_result(task_id, service)

    logged = wait_for(
        lambda: [line for line in json_lines(worker.output()) if line.get("task_id") == task_id],
        "the task's log line",
    )
    assert len(logged) == 1
    line: dict[str, Any] = logged[0]
    assert (line["logger"], line["task"], line["state"]) == (
        "budget.task",
        "budget.record_spend",
        "SUCCESS",
    )
    assert (line["recorded"], line["duplicate"], line["rejected"]) == (3, 0, 0)
    assert line["duration_ms"] > 0 and line["retries"] == 0


def settings_seen(cwd: Path, env: dict[str, str], *names: str) -> list[str]:
    """The values the settings give `names` in a fresh process started in `cwd`."""
    code = (
        "import sys, django; django.setup(); from django.conf import settings; "
        "print(*[getattr(settings, n) for n in sys.argv[1:]], sep='\\n')"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, *names],
        cwd=cwd,
        env={
            **env,
            "DJANGO_SETTINGS_MODULE": "entrypoints.settings",
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()


def test_settings_come_from_a_dotenv_file_in_the_working_directory_the_environment_winning(
    tmp_path: Path,
) -> None:
    (tmp_path / ".env").write_text(
        "# a comment\nHEALTH_TIMEOUT=7\nSWEEP_SHARDS=3\nLOG_FORMAT=json\nDEBUG=1\n"
    )
    env = service_env(tmp_path)
    env.pop("HEALTH_TIMEOUT", None)
    env.pop("SWEEP_SHARDS", None)

    assert settings_seen(tmp_path, env, "HEALTH_TIMEOUT", "SWEEP_SHARDS", "LOG_FORMAT") == [
        "7.0",
        "3",
        "json",
    ]
    real = {**env, "HEALTH_TIMEOUT": "5", "LOG_FORMAT": "text"}
    assert settings_seen(tmp_path, real, "HEALTH_TIMEOUT", "LOG_FORMAT") == ["5.0", "text"]
    # Elsewhere the file is not read.
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    assert settings_seen(elsewhere, {**env, "DEBUG": "1"}, "HEALTH_TIMEOUT") == ["3.0"]


@pytest.mark.parametrize(
    ("name", "value", "module"),
    [
        ("LOG_FORMAT", "xml", "entrypoints.settings"),
        ("HEALTH_TIMEOUT", "soon", "entrypoints.settings"),
        ("METRICS_CAMPAIGNS_TTL", "-1", "entrypoints.settings"),
        ("WEB_CONCURRENCY", "0", "entrypoints.gunicorn_conf"),
        ("WEB_THREADS", "four", "entrypoints.gunicorn_conf"),
    ],
)
def test_a_bad_serving_setting_stops_the_process_naming_it(
    tmp_path: Path, name: str, value: str, module: str
) -> None:
    done = subprocess.run(
        [sys.executable, "-c", f"import {module}"],
        cwd=tmp_path,
        env=service_env(tmp_path, DEBUG="1", **{name: value}),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0
    assert f"{name} must be" in done.stderr.splitlines()[-1], done.stderr
