"""Celery with real processes: a worker (and beat) started with `celery -A ...` on the test
database, on the embedded broker everywhere, on Redis where one answers at TEST_REDIS_URL
and on RabbitMQ where one answers at TEST_RABBITMQ_URL.

The test process writes the data through the use cases, queues tasks on the broker the
worker reads, and looks at the database the worker wrote. Every process started here is
stopped when its test ends, whatever happens."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import kombu
import pytest
from django.db import connection

from .conftest import NOW, TODAY

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
RABBITMQ_URL = os.environ.get("TEST_RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:5672//")
READY_TIMEOUT_S = 60
TASK_TIMEOUT_S = 60
# Redis gives a dead worker's unacked task to another worker once it is older than the
# visibility timeout, on a sweep every interval * throttle seconds (10 * 10 by default).
REDELIVER_QUICKLY = json.dumps(
    {"visibility_timeout": 2, "unacked_restore_interval": 1, "unacked_restore_throttle": 1}
)


# -- processes ----------------------------------------------------------------------------


ORPHAN_GUARD = ROOT / "scripts" / "orphan_guard.py"


def spawn_in_group(argv: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """A child process in a process group of its own (one killpg stops it and everything it
    started), run from the repository root, its output in `log`. On Linux it is started
    through the orphan guard, so it is stopped when this test run dies, however it dies:
    a worker left behind would keep a session on the test database and take tasks from
    the next run's queues."""
    if sys.platform == "linux":
        argv = [sys.executable, str(ORPHAN_GUARD), str(os.getpid()), *argv]
    with log.open("w") as out:
        return subprocess.Popen(
            argv,
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


class Process:
    """A child process in its own process group, its output in a log file."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], log: Path) -> None:
        self.name = name
        self.log = log
        self.popen = spawn_in_group(argv, env, log)

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_for_output(self, text: str, timeout_s: float = READY_TIMEOUT_S) -> None:
        deadline = time.monotonic() + timeout_s
        while text not in self.output():
            if self.popen.poll() is not None:
                pytest.fail(f"{self.name} exited before '{text}':\n{self.output()[-3000:]}")
            if time.monotonic() > deadline:
                pytest.fail(f"{self.name} did not say '{text}' in {timeout_s} s:\n{self.tail()}")
            time.sleep(0.1)

    def tail(self) -> str:
        return self.output()[-3000:]

    def kill(self) -> None:
        """SIGKILL to the whole group: the main process and its pool, at once."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, signal.SIGKILL)
        self.popen.wait(timeout=10)


# -- brokers ------------------------------------------------------------------------------


def server_answers(url: str, default_port: int = 6379) -> bool:
    parts = urlsplit(url)
    address = (parts.hostname or "127.0.0.1", parts.port or default_port)
    try:
        with socket.create_connection(address, 2):
            return True
    except OSError:
        return False


def redis_answers(url: str) -> bool:
    return server_answers(url, 6379)


BROKER_URLS = {"embedded": "", "redis": REDIS_URL, "rabbitmq": RABBITMQ_URL}


class Broker:
    """Where the test and its processes queue tasks: the embedded broker in a folder of
    this test, Redis or RabbitMQ; either way on a queue of this test's own."""

    def __init__(self, kind: str, home: Path) -> None:
        self.kind = kind
        self.queue = f"test-{uuid.uuid4().hex[:12]}"
        self.folder = home / "var" / "broker"

    def env(self) -> dict[str, str]:
        return {
            "CELERY_BROKER_URL": BROKER_URLS[self.kind],
            "CELERY_TASK_DEFAULT_QUEUE": self.queue,
        }

    def connection(self) -> kombu.Connection:
        if self.kind == "redis":
            return kombu.Connection(REDIS_URL)
        if self.kind == "rabbitmq":
            # As the service publishes: RabbitMQ confirms each message it has stored.
            return kombu.Connection(RABBITMQ_URL, transport_options={"confirm_publish": True})
        from adapters.filesystem_broker import Transport

        return kombu.Connection(
            "filesystem://",
            transport=Transport,
            transport_options={"data_folder": str(self.folder)},
        )

    def clean_up(self) -> None:
        if self.kind == "redis":
            with self.connection() as conn:
                conn.default_channel.client.delete(
                    self.queue,
                    f"_kombu.binding.{self.queue}",
                    f"_kombu.binding_permanent.{self.queue}",
                )
        elif self.kind == "rabbitmq":
            with self.connection() as conn:
                channel = conn.default_channel
                channel.queue_delete(self.queue)
                channel.exchange_delete(self.queue)


@pytest.fixture(params=["embedded", pytest.param("redis", marks=pytest.mark.redis), "rabbitmq"])
def broker(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Broker]:
    if request.param == "redis" and not redis_answers(REDIS_URL):
        pytest.skip(f"no Redis answers at {REDIS_URL} (start one or set TEST_REDIS_URL)")
    if request.param == "rabbitmq" and not server_answers(RABBITMQ_URL, 5672):
        pytest.skip(f"no RabbitMQ answers at {RABBITMQ_URL} (start one or set TEST_RABBITMQ_URL)")
    broker = Broker(request.param, tmp_path)
    yield broker
    broker.clean_up()


def database_url() -> str:
    """The test database (not the one the settings name), for the processes."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    user = quote(db["USER"] or "")
    password = f":{quote(db['PASSWORD'])}" if db.get("PASSWORD") else ""
    host = db["HOST"] or "127.0.0.1"
    port = f":{db['PORT']}" if db.get("PORT") else ""
    return f"postgres://{user}{password}@{host}{port}/{quote(db['NAME'])}"


# -- the service's processes --------------------------------------------------------------


class Service:
    """Starts workers and beat on the test database and the test's broker."""

    def __init__(self, home: Path, broker: Broker) -> None:
        self.home = home
        self.broker = broker
        self.processes: list[Process] = []

    def env(self, **extra: str) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            BUDGET_HOME=str(self.home),
            DATABASE_URL=database_url(),
            DEBUG="1",
            BUDGET_ALLOW_INSECURE_KEY="1",
            DJANGO_SETTINGS_MODULE="entrypoints.settings",
            PYTHONUNBUFFERED="1",
            # This test's own metrics folder, not the one this process's settings chose.
            PROMETHEUS_MULTIPROC_DIR=str(self.home / "var" / "metrics"),
            **self.broker.env(),
            **extra,
        )
        return env

    def worker(self, app: str = "entrypoints.celery_app", **extra_env: str) -> Process:
        name = f"worker-{len(self.processes)}"
        argv = [sys.executable, "-m", "celery", "-A", app, "worker", "-l", "INFO"]
        argv += ["-c", "1", "-n", f"{name}-{uuid.uuid4().hex[:6]}@%h"]
        argv += ["--without-gossip", "--without-mingle", "--without-heartbeat"]
        process = Process(name, argv, self.env(**extra_env), self.home / f"{name}.log")
        self.processes.append(process)
        process.wait_for_output(" ready.")
        return process

    def beat(self) -> Process:
        argv = [sys.executable, "-m", "celery", "-A", "entrypoints.celery_app", "beat"]
        argv += ["-l", "INFO", "--max-interval", "1", "-s", str(self.home / "beat-schedule")]
        process = Process("beat", argv, self.env(), self.home / "beat.log")
        self.processes.append(process)
        process.wait_for_output("beat: Starting")
        return process

    def logs(self) -> str:
        return "\n".join(f"--- {p.name}\n{p.tail()}" for p in self.processes)

    def stop(self) -> None:
        """Kill every process: nothing here depends on a graceful stop (make run's test
        covers that), and a warm shutdown on the embedded broker takes seconds. Then wait
        until the database has no session of theirs left, so that the test database can
        be emptied and dropped."""
        for process in self.processes:
            process.kill()
        if connection.vendor == "postgresql":
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and self._other_sessions():
                time.sleep(0.1)

    @staticmethod
    def _other_sessions() -> int:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            (count,) = cursor.fetchone()
        return int(count)


@pytest.fixture
def service(tmp_path: Path, broker: Broker, transactional_db: None) -> Iterator[Service]:
    service = Service(tmp_path, broker)
    try:
        yield service
    finally:
        service.stop()


# -- data, tasks and what they did ---------------------------------------------------------


def use_cases(clock_now: datetime | None = None) -> Any:
    """The container, on the real clock or fixed at `clock_now`."""
    from dependency_injector import providers

    from adapters.in_memory.clock import FixedClock
    from entrypoints.container import build_container

    container = build_container()
    if clock_now is not None:
        container.clock.override(providers.Object(FixedClock(clock_now)))
    return container


def make_campaign(
    container: Any,
    *,
    daily_budget: str = "100",
    start: date = date(2020, 1, 1),
    windows: tuple[dict[str, object], ...] = (),
) -> int:
    from core.use_cases.brands import CreateBrandCommand
    from core.use_cases.campaigns import CampaignActionCommand, CreateCampaignCommand

    brand = container.create_brand()(CreateBrandCommand(name=f"Brand {uuid.uuid4().hex[:8]}"))
    campaign = container.create_campaign()(
        CreateCampaignCommand(
            brand_id=brand.id,
            name="Spring Sale",
            daily_budget=daily_budget,
            monthly_budget="10000",
            start_date=start.isoformat(),
            windows=windows,
        )
    )
    container.launch_campaign()(CampaignActionCommand(campaign_id=campaign.id))
    return int(campaign.id)


def spend_events(campaign_id: int, count: int, amount: str) -> list[dict[str, Any]]:
    return [
        {"campaign_id": campaign_id, "amount": amount, "key": f"evt-{i:03d}"} for i in range(count)
    ]


def queue_spend(broker: Broker, events: list[dict[str, Any]]) -> str:
    """Queue a batch through the record_spend task, on the test's broker."""
    from entrypoints.tasks import record_spend

    with broker.connection() as conn:
        result = record_spend.apply_async(
            kwargs={"events": events, "actor": "test"}, connection=conn, queue=broker.queue
        )
    return str(result.id)


def task_result(task_id: str, service: Service, timeout_s: float = TASK_TIMEOUT_S) -> Any:
    """The stored result of a task, once it has finished."""
    from django_celery_results.models import TaskResult

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        row = TaskResult.objects.filter(task_id=task_id, status__in=["SUCCESS", "FAILURE"]).first()
        if row is not None:
            assert row.status == "SUCCESS", f"{row.status}: {row.result}\n{service.logs()}"
            return json.loads(row.result)
        time.sleep(0.2)
    pytest.fail(f"task {task_id} did not finish in {timeout_s} s\n{service.logs()}")


def results_of(task_name: str) -> list[dict[str, Any]]:
    from django_celery_results.models import TaskResult

    rows = TaskResult.objects.filter(task_name=task_name, status="SUCCESS")
    return [json.loads(row.result) for row in rows]


def wait_until(
    condition: Callable[[], bool], what: str, service: Service, timeout_s: float = 60
) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"{what}: not within {timeout_s} s\n{service.logs()}")
        time.sleep(0.2)


def ledger_keys(campaign_id: int) -> list[str]:
    from adapters.django_orm.models import SpendEntry

    return sorted(SpendEntry.objects.filter(campaign_id=campaign_id).values_list("key", flat=True))


def campaign_row(campaign_id: int) -> Any:
    from adapters.django_orm.models import Campaign

    return Campaign.objects.get(pk=campaign_id)


# -- the tests ----------------------------------------------------------------------------


def test_a_spend_batch_queued_through_the_task_reaches_the_ledger_and_holds_the_campaign(
    service: Service, broker: Broker
) -> None:
    campaign_id = make_campaign(use_cases(), daily_budget="100")
    service.worker()

    summary = task_result(queue_spend(broker, spend_events(campaign_id, 3, "40")), service)

    assert (summary["recorded"], summary["rejected"], summary["held"]) == (3, 0, 1)
    assert ledger_keys(campaign_id) == ["evt-000", "evt-001", "evt-002"]
    campaign = campaign_row(campaign_id)
    assert (campaign.status, campaign.hold_names) == ("paused", ["DAILY_BUDGET"])
    assert campaign.daily_spend == Decimal("120")
    # The 80 % and 100 % alerts were queued with the spend and sent right after it.
    wait_until(
        lambda: sum(r["delivered"] for r in results_of("budget.deliver_alerts")) >= 2,
        "the alerts are delivered",
        service,
    )


@pytest.mark.parametrize("pause_at", ["ledger", "commit"])
def test_a_worker_killed_in_the_middle_of_a_batch_leaves_every_event_in_the_ledger_once(
    service: Service, broker: Broker, tmp_path: Path, pause_at: str
) -> None:
    """`ledger`: killed with the batch written but not committed; `commit`: killed after
    the commit, before the message was acked. Either way the task is delivered again, to
    another worker, and the ledger ends with each event exactly once."""
    campaign_id = make_campaign(use_cases(), daily_budget="1000")
    marker = tmp_path / "paused"
    doomed = service.worker(
        "tests.integration.celery_paused_worker",
        BUDGET_TEST_PAUSE_AT=pause_at,
        BUDGET_TEST_PAUSE_MARKER=str(marker),
    )
    events = spend_events(campaign_id, 50, "1.25")
    task_id = queue_spend(broker, events)
    wait_until(marker.exists, "the worker reaches the middle of the batch", service)

    doomed.kill()
    expected_before = [] if pause_at == "ledger" else [e["key"] for e in events]
    assert ledger_keys(campaign_id) == expected_before

    service.worker(CELERY_BROKER_TRANSPORT_OPTIONS=REDELIVER_QUICKLY)
    summary = task_result(task_id, service)

    assert ledger_keys(campaign_id) == sorted(e["key"] for e in events)
    outcome = "recorded" if pause_at == "ledger" else "duplicate"
    assert summary[outcome] == 50, summary
    assert campaign_row(campaign_id).daily_spend == Decimal("62.5")


def test_beat_fires_the_period_reset_and_dayparting_from_the_stored_schedule(
    service: Service, broker: Broker
) -> None:
    """The default schedule's entries, made to tick every second and to run as of the next
    day (as an operator could in the admin): the reset releases yesterday's budget hold,
    dayparting holds a campaign whose window has closed."""
    from django_celery_beat.models import (
        CrontabSchedule,
        IntervalSchedule,
        PeriodicTask,
        PeriodicTasks,
    )

    from core.use_cases.record_spend import RecordSpendCommand
    from entrypoints.beat import ensure_default_schedules

    container = use_cases(clock_now=NOW)
    spent = make_campaign(container, daily_budget="100", start=TODAY)
    container.record_spend()(RecordSpendCommand(events=spend_events(spent, 1, "100")))
    # Open on Fridays (NOW is a Friday noon) from 09:00 to 17:00 UTC.
    windowed = make_campaign(
        container,
        start=TODAY,
        windows=({"day_of_week": 5, "start_time": "09:00", "end_time": "17:00"},),
    )
    assert campaign_row(spent).hold_names == ["DAILY_BUDGET"]
    assert campaign_row(windowed).status == "active"

    ensure_default_schedules(PeriodicTask, CrontabSchedule, PeriodicTasks)
    every_second, _ = IntervalSchedule.objects.get_or_create(every=1, period="seconds")
    next_morning = (NOW + timedelta(hours=13)).isoformat()  # Saturday 01:00 UTC
    for entry in PeriodicTask.objects.all():
        if entry.task in {"budget.reset_periods", "budget.apply_dayparting"}:
            entry.crontab = None
            entry.interval = every_second
            entry.kwargs = json.dumps({"now": next_morning})
        else:
            entry.enabled = False
        entry.save()

    service.worker()
    service.beat()

    def reset_and_held() -> bool:
        # A task's result row is written a moment after its transaction commits.
        return bool(
            any(r["counters_reset"] for r in results_of("budget.reset_periods"))
            and any(
                r["holds_added"].get("OUTSIDE_SCHEDULE")
                for r in results_of("budget.apply_dayparting")
            )
        )

    wait_until(reset_and_held, "the reset and dayparting ticks take effect", service)
    assert campaign_row(spent).hold_names == []
    assert campaign_row(spent).daily_spend == Decimal("0")
    assert campaign_row(spent).status == "active"
    assert campaign_row(windowed).hold_names == ["OUTSIDE_SCHEDULE"]
    resets = results_of("budget.reset_periods")
    daypartings = results_of("budget.apply_dayparting")
    assert {r["now"] for r in resets + daypartings} == {next_morning}


@pytest.mark.parametrize("broker", ["embedded"], indirect=True)
def test_the_periodic_commands_with_async_queue_their_task_for_the_worker(
    service: Service, broker: Broker
) -> None:
    from django_celery_results.models import TaskResult

    service.worker()
    commands = {
        "check_budgets": "budget.enforce_budgets",
        "reset_daily_spends": "budget.reset_periods",
        "reset_monthly_spends": "budget.reset_periods",
        "enforce_dayparting": "budget.apply_dayparting",
        "activate_eligible_campaigns": "budget.check_flight",
    }
    for command, task in commands.items():
        done = subprocess.run(
            [sys.executable, "manage.py", command, "--async", "--now", NOW.isoformat()],
            cwd=ROOT,
            env=service.env(),
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        task_id = done.stdout.splitlines()[-1]
        assert task_result(task_id, service)["now"] == NOW.isoformat()
        assert TaskResult.objects.get(task_id=task_id).task_name == task


# -- redelivery, counts, and the broker check ---------------------------------------------


VISIBILITY_TIMEOUT_S = 20


@pytest.mark.parametrize("broker", [pytest.param("redis", marks=pytest.mark.redis)], indirect=True)
def test_on_redis_a_killed_workers_task_runs_again_soon_after_the_visibility_timeout(
    service: Service, broker: Broker, tmp_path: Path
) -> None:
    """With the settings' restore interval and throttle (only the visibility timeout is
    shortened here), another worker finishes a killed worker's task within a few seconds
    of the timeout; kombu's defaults (a look every 10 x 10 s) took up to 100 s more."""
    campaign_id = make_campaign(use_cases(), daily_budget="1000")
    marker = tmp_path / "paused"
    doomed = service.worker(
        "tests.integration.celery_paused_worker",
        BUDGET_TEST_PAUSE_AT="ledger",
        BUDGET_TEST_PAUSE_MARKER=str(marker),
    )
    task_id = queue_spend(broker, spend_events(campaign_id, 5, "1"))
    wait_until(marker.exists, "the worker is inside the batch", service)
    doomed.kill()
    killed = time.monotonic()

    service.worker(
        CELERY_BROKER_TRANSPORT_OPTIONS=json.dumps({"visibility_timeout": VISIBILITY_TIMEOUT_S})
    )
    task_result(task_id, service, timeout_s=VISIBILITY_TIMEOUT_S + 45)
    took = time.monotonic() - killed

    print(
        f"\n[redelivery] a killed worker's task finished {took:.1f} s after the kill "
        f"(visibility timeout {VISIBILITY_TIMEOUT_S} s)"
    )
    assert ledger_keys(campaign_id) == [f"evt-{i:03d}" for i in range(5)]


def task_counts(service: Service) -> tuple[int, dict[str, Any]]:
    done = subprocess.run(
        [sys.executable, "manage.py", "task_counts", "--json"],
        cwd=ROOT,
        env=service.env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.stdout, done.stderr
    return done.returncode, json.loads(done.stdout)


@pytest.mark.parametrize("broker", ["embedded"], indirect=True)
def test_workers_count_the_tasks_they_take_and_a_spend_batch_lost_for_good_is_logged(
    service: Service, broker: Broker
) -> None:
    """One sweep that succeeds, one spend batch refused as bad input (no events), and one
    that fails for good (the use case raises): every delivery is counted once by outcome,
    the lost batch is logged at ERROR with its task id and number of events, and
    `manage.py task_counts` exits with status 1 because of it."""
    from entrypoints.tasks import record_spend, reset_periods

    campaign_id = make_campaign(use_cases(), daily_budget="1000")
    worker = service.worker(
        "tests.integration.celery_paused_worker", BUDGET_TEST_SPEND_RAISES="broken on purpose"
    )
    with broker.connection() as conn:
        reset_periods.apply_async(
            kwargs={"now": NOW.isoformat()}, connection=conn, queue=broker.queue
        )
        record_spend.apply_async(kwargs={"events": []}, connection=conn, queue=broker.queue)
    lost_id = queue_spend(broker, spend_events(campaign_id, 3, "1"))

    def settled() -> bool:
        spend = task_counts(service)[1]["tasks"].get("budget.record_spend", {})
        return spend.get("accepted") == 2 and spend.get("unfinished") == 0

    wait_until(settled, "the workers' counts show both spend batches ended", service)
    status, counts = task_counts(service)

    spend = counts["tasks"]["budget.record_spend"]
    sweep = counts["tasks"]["budget.reset_periods"]
    assert (spend["bad_input"], spend["failed"], spend["succeeded"]) == (1, 1, 0), spend
    assert (sweep["accepted"], sweep["succeeded"], sweep["unfinished"]) == (1, 1, 0), sweep
    assert (status, counts["lost_spend_batches"]) == (1, 1)
    log_lines = [line for line in worker.output().splitlines() if "Lost spend" in line]
    assert len(log_lines) == 1, worker.tail()
    assert "ERROR" in log_lines[0]
    assert f"task {lost_id} (budget.record_spend) with 3 events ended in failed" in log_lines[0]


def bare_worker(home: Path, broker_url: str) -> Process:
    """A worker on `broker_url` alone (it takes no task, so it needs no database)."""
    env = dict(os.environ)
    env.pop("DATABASE_URL", None)
    env.update(
        BUDGET_HOME=str(home),
        DEBUG="1",
        BUDGET_ALLOW_INSECURE_KEY="1",
        PYTHONUNBUFFERED="1",
        PROMETHEUS_MULTIPROC_DIR=str(home / "var" / "metrics"),
        CELERY_BROKER_URL=broker_url,
        CELERY_TASK_DEFAULT_QUEUE=f"test-{uuid.uuid4().hex[:12]}",
    )
    argv = [sys.executable, "-m", "celery", "-A", "entrypoints.celery_app", "worker"]
    argv += ["-l", "INFO", "-c", "1", "--without-gossip", "--without-mingle"]
    argv += ["--without-heartbeat"]
    return Process("worker", argv, env, home / "worker.log")


def test_a_worker_warns_at_start_when_its_redis_keeps_nothing_on_disk(tmp_path: Path) -> None:
    """A private Redis started as the machine's (no append-only file, no snapshots) and
    with a password: the worker's log warns, naming the URL without the password."""
    from .services import RedisServer

    server = RedisServer(tmp_path / "redis", durable=False)
    worker = None
    try:
        server.start()
        redis_client(server.url()).config_set("requirepass", "s3cret")
        url = f"redis://:s3cret@127.0.0.1:{server.port}/0"
        worker = bare_worker(tmp_path, url)
        worker.wait_for_output(" ready.")
    finally:
        if worker is not None:
            worker.kill()
        server.destroy()

    warnings = [line for line in worker.output().splitlines() if "keeps nothing on disk" in line]
    assert len(warnings) == 1, worker.tail()
    assert "WARNING" in warnings[0]
    assert f"redis://127.0.0.1:{server.port}/0 keeps nothing on disk" in warnings[0]
    assert "s3cret" not in worker.output()


def redis_client(url: str, **options: Any) -> Any:
    import redis

    return redis.Redis.from_url(url, socket_timeout=5, **options)


def test_the_redis_persistence_check_reads_the_servers_own_settings(tmp_path: Path) -> None:
    """An append-only file passes; snapshots alone, nothing at all, and a server that
    refuses CONFIG (as managed ones do) are each named for what they risk."""
    from entrypoints.broker_check import redis_persistence_warning

    from .services import RedisServer

    server = RedisServer(tmp_path / "redis", durable=True)
    try:
        server.start()
        url = server.url()
        admin = redis_client(url)
        durable = redis_persistence_warning(url)
        admin.config_set("appendonly", "no")
        admin.config_set("save", "900 1")
        snapshots = redis_persistence_warning(url)
        admin.config_set("save", "")
        nothing = redis_persistence_warning(url)
        admin.execute_command("ACL", "SETUSER", "app", "on", ">pw", "~*", "&*", "+@all", "-config")
        refused = redis_persistence_warning(f"redis://app:pw@127.0.0.1:{server.port}/0")
    finally:
        server.destroy()

    assert durable is None
    assert snapshots is not None and "keeps only snapshots (save '900 1'" in snapshots
    assert nothing is not None and "keeps nothing on disk" in nothing
    assert refused is not None and "cannot be read (CONFIG is refused)" in refused
    assert "app:pw" not in refused
