"""`GET /health` through the served web process (gunicorn as `make run` starts it), with a real
worker and beat on the test database and broker: 200 with every part ok, and 503 naming the
part that is down: no worker, a periodic task overdue, the database or the broker unreachable,
or hanging (then the answer still comes within HEALTH_TIMEOUT)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.test import Client, override_settings

from .services import free_port
from .serving import WebServer, silent_server, wait_for, web_server
from .test_celery import (
    Broker,
    Service,
    broker,  # noqa: F401  (the fixture)
    service,  # noqa: F401  (the fixture)
    task_result,
)

pytestmark = pytest.mark.slow

PARTS = {"database", "broker", "worker", "periodic_tasks", "beat"}
TIMEOUT_S = 2  # HEALTH_TIMEOUT of the web processes started here
# The longest /health may take when a part hangs: its timeout, and a generous margin for a
# busy machine.
ANSWER_BOUND_S = TIMEOUT_S + 15


def health(web: WebServer) -> tuple[int, dict[str, Any]]:
    answer = web.get("/health")
    assert answer.headers["content-type"] == "application/json", answer.text()
    return answer.status, answer.json()


def run_every_periodic_task(on: Broker, worked_by: Service) -> list[str]:
    """The default beat schedule (a test's database is emptied after each test, migration
    data included), and each of its tasks run once on the worker, so that each has a
    success on record; their names."""
    from django_celery_beat.models import CrontabSchedule, PeriodicTask, PeriodicTasks

    from entrypoints import tasks  # noqa: F401  (registers the tasks)
    from entrypoints.beat import ensure_default_schedules
    from entrypoints.celery_app import app

    ensure_default_schedules(PeriodicTask, CrontabSchedule, PeriodicTasks)
    names = []
    entries = PeriodicTask.objects.filter(enabled=True, one_off=False, clocked__isnull=True)
    with on.connection() as conn:
        for entry in entries:
            kwargs = json.loads(entry.kwargs or "{}")
            sent = app.tasks[entry.task].apply_async(kwargs=kwargs, connection=conn, queue=on.queue)
            task_result(str(sent.id), worked_by)
            names.append(entry.name)
    return names


@pytest.fixture
def running(service: Service, broker: Broker) -> Iterator[Service]:  # noqa: F811
    """A worker and beat, and a success on record for every periodic task."""
    service.worker()
    run_every_periodic_task(broker, service)
    service.beat()
    yield service


def test_health_is_ok_with_every_part_up(
    running: Service,
    broker: Broker,  # noqa: F811
    tmp_path: Path,
) -> None:
    with web_server(running.env(HEALTH_TIMEOUT=str(TIMEOUT_S)), tmp_path / "web.log") as web:
        status, body = wait_for(
            lambda: (answer := health(web))[0] == 200 and answer,
            f"/health answers 200 (last: {health(web)})",
        )
        assert (status, body["status"], body["down"]) == (200, "ok", [])
        parts = body["parts"]
        assert set(parts) == PARTS
        assert all(part["status"] == "ok" for part in parts.values()), parts
        url = broker.env()["CELERY_BROKER_URL"]
        assert parts["broker"]["transport"] == (url.partition("://")[0] or "filesystem")
        assert parts["broker"]["queue"] == broker.queue
        assert parts["worker"]["answered"]
        assert parts["beat"]["holder"]
        tasks = {t["task"]: t for t in parts["periodic_tasks"]["tasks"]}
        for name in ("budget.reset_periods", "budget.apply_dayparting", "budget.enforce_budgets"):
            assert tasks[name]["state"] == "ok" and tasks[name]["last_success"], tasks
        assert web.get("/health").headers["cache-control"] == "no-store"


@pytest.mark.parametrize("broker", ["embedded"], indirect=True)
def test_health_names_the_worker_when_no_worker_answers(running: Service, tmp_path: Path) -> None:
    workers = [p for p in running.processes if p.name.startswith("worker")]
    for worker in workers:
        worker.kill()

    with web_server(running.env(HEALTH_TIMEOUT=str(TIMEOUT_S)), tmp_path / "web.log") as web:
        status, body = health(web)

    assert (status, body["status"], body["down"]) == (503, "down", ["worker"]), body
    assert "no worker answered" in body["parts"]["worker"]["error"]
    assert body["parts"]["beat"]["status"] == "ok"


@pytest.mark.parametrize("broker", ["embedded"], indirect=True)
def test_health_names_a_periodic_task_that_is_overdue(
    service: Service,  # noqa: F811
    broker: Broker,  # noqa: F811
    tmp_path: Path,
) -> None:
    from django.utils import timezone
    from django_celery_beat.models import PeriodicTask
    from django_celery_results.models import TaskResult

    service.worker()
    run_every_periodic_task(broker, service)
    # Beat's ticks for this entry go to a queue no worker reads (set before beat starts, so
    # that not one tick reaches the worker), and its last success was ten minutes ago: an
    # every-minute task that stopped running.
    entry = PeriodicTask.objects.get(task="budget.reset_periods")
    entry.queue = "no-worker-reads-this"
    entry.save()
    TaskResult.objects.filter(task_name="budget.reset_periods").update(
        date_done=timezone.now() - timedelta(minutes=10)
    )
    service.beat()

    with web_server(service.env(HEALTH_TIMEOUT=str(TIMEOUT_S)), tmp_path / "web.log") as web:
        status, body = health(web)

    assert (status, body["down"]) == (503, ["periodic_tasks"]), body
    part = body["parts"]["periodic_tasks"]
    assert part["error"] == f"overdue: {entry.name}"
    states = {t["task"]: t["state"] for t in part["tasks"]}
    assert states["budget.reset_periods"] == "overdue"
    assert states["budget.apply_dayparting"] == "ok"


def test_health_names_the_database_when_it_cannot_be_reached(tmp_path: Path) -> None:
    env = Service(tmp_path, Broker("embedded", tmp_path)).env(HEALTH_TIMEOUT=str(TIMEOUT_S))
    env["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:{free_port()}/nothing"

    with web_server(env, tmp_path / "web.log") as web:
        status, body = health(web)

    assert status == 503 and "database" in body["down"], body
    assert body["parts"]["database"]["error"].startswith("OperationalError")
    assert body["parts"]["periodic_tasks"]["status"] == "unknown"
    assert body["parts"]["broker"]["status"] == "ok"


@pytest.mark.django_db(transaction=True)
def test_health_names_the_broker_when_it_cannot_be_reached(tmp_path: Path) -> None:
    env = Service(tmp_path, Broker("embedded", tmp_path)).env(HEALTH_TIMEOUT=str(TIMEOUT_S))
    env["CELERY_BROKER_URL"] = f"redis://127.0.0.1:{free_port()}/0"

    with web_server(env, tmp_path / "web.log") as web:
        status, body = health(web)

    # (No beat runs here either.)
    assert (status, body["down"]) == (503, ["beat", "broker"]), body
    assert body["parts"]["broker"]["transport"] == "redis"
    assert "Connection refused" in body["parts"]["broker"]["error"]
    assert body["parts"]["worker"]["status"] == "unknown"
    assert body["parts"]["database"]["status"] == "ok"


def test_health_answers_within_its_timeout_when_the_database_and_the_broker_hang(
    tmp_path: Path,
) -> None:
    with silent_server() as database_port, silent_server() as broker_port:
        env = Service(tmp_path, Broker("embedded", tmp_path)).env(HEALTH_TIMEOUT=str(TIMEOUT_S))
        env["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:{database_port}/frozen"
        env["CELERY_BROKER_URL"] = f"redis://127.0.0.1:{broker_port}/0"
        with web_server(env, tmp_path / "web.log") as web:
            for attempt in ("first", "while the first checks still hang"):
                started = time.monotonic()
                status, body = health(web)
                took = time.monotonic() - started

                assert status == 503 and {"database", "broker"} <= set(body["down"]), body
                assert took < ANSWER_BOUND_S, f"{attempt}: {took:.1f} s"
                for part in ("database", "broker"):
                    assert "no answer" in body["parts"][part]["error"], (attempt, body)


@pytest.mark.django_db
def test_health_is_answered_over_plain_http_where_everything_else_is_redirected_to_https(
    client: Client,
) -> None:
    with override_settings(SECURE_SSL_REDIRECT=True, HEALTH_TIMEOUT=0.5):
        assert client.get("/admin/login/").status_code == 301
        assert client.get("/health").status_code in (200, 503)
