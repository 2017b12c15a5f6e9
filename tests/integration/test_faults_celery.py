"""Spend queued through the record_spend task reaches the ledger exactly once whatever fails
between "queued" and "in the ledger": PostgreSQL stopped for seconds while batches arrive,
its postmaster killed in the middle of a batch, the broker shut down or killed with batches
waiting in it.

Each test runs a PostgreSQL cluster and a broker of its own (tests/integration/services.py),
a real worker (`celery worker -c 2`), and a producer process that queues through the task
with the service's own settings. At the end it compares the events sent with the ledger, key
by key and amount by amount, checks the counters against the ledger (`manage.py reconcile`)
and the workers' task counts (`manage.py task_counts`), and prints one line: events sent,
recorded, lost, doubled, and how long recovery took (`pytest -s` or `-rA` shows it)."""

from __future__ import annotations

import collections
import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import kombu
import psycopg
import pytest

from .services import PostgresCluster, RabbitNode, RedisServer
from .test_celery import ROOT, Process

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

QUEUE = "spend"
CAMPAIGNS = 20
# Generous: a batch retried through an outage waits up to a minute for its countdown.
SETTLE_TIMEOUT_S = 240
OUTAGE_S = 8

CREATE_CAMPAIGNS = """
import json
from core.use_cases.brands import CreateBrandCommand
from core.use_cases.campaigns import CampaignActionCommand, CreateCampaignCommand
from entrypoints.container import get_container

container = get_container()
brand = container.create_brand()(CreateBrandCommand(name="Fault Test Brand"))
ids = []
for number in range({count}):
    campaign = container.create_campaign()(
        CreateCampaignCommand(
            brand_id=brand.id,
            name=f"Campaign {{number}}",
            daily_budget="100000000",
            monthly_budget="100000000",
            start_date="2020-01-01",
        )
    )
    container.launch_campaign()(CampaignActionCommand(campaign_id=campaign.id))
    ids.append(int(campaign.id))
print(json.dumps(ids))
"""

# Queues the batches in a JSON file through the task, `pause` seconds apart, as any
# producer of the service does (the settings come from the environment).
PRODUCER = """
import json, sys, time
import django
django.setup()
from entrypoints.tasks import record_spend

batches = json.loads(open(sys.argv[1]).read())
pause = float(sys.argv[2])
for number, events in enumerate(batches):
    record_spend.apply_async(kwargs={"events": events, "actor": "fault-test"})
    print("queued", number, flush=True)
    time.sleep(pause)
print("all queued", flush=True)
"""


# -- the service's processes on the private servers ----------------------------------------


@dataclass
class Site:
    """One test's service: its folder, its private PostgreSQL cluster (a migrated database
    with campaigns) and broker, and the processes it started."""

    home: Path
    cluster: PostgresCluster
    broker: RedisServer | RabbitNode
    database_url: str
    campaigns: list[int]
    processes: list[Process]

    @property
    def broker_url(self) -> str:
        return self.broker.url()

    def env(self, **extra: str) -> dict[str, str]:
        env = dict(os.environ)
        env.pop("CELERY_BROKER_TRANSPORT_OPTIONS", None)
        env.update(
            BUDGET_HOME=str(self.home),
            DATABASE_URL=self.database_url,
            CELERY_BROKER_URL=self.broker_url,
            CELERY_TASK_DEFAULT_QUEUE=QUEUE,
            PROMETHEUS_MULTIPROC_DIR=str(self.home / "metrics"),
            DEBUG="1",
            BUDGET_ALLOW_INSECURE_KEY="1",
            DJANGO_SETTINGS_MODULE="entrypoints.settings",
            PYTHONUNBUFFERED="1",
        )
        env.update(extra)
        return env

    def manage(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=180,
        )
        if check and done.returncode != 0:
            pytest.fail(f"manage.py {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
        return done

    def worker(self) -> Process:
        name = f"worker-{len(self.processes)}"
        argv = [sys.executable, "-m", "celery", "-A", "entrypoints.celery_app", "worker"]
        argv += ["-l", "INFO", "-c", "2", "-n", f"{name}-{uuid.uuid4().hex[:6]}@%h"]
        argv += ["--without-gossip", "--without-mingle", "--without-heartbeat"]
        process = Process(name, argv, self.env(), self.home / f"{name}.log")
        self.processes.append(process)
        process.wait_for_output(" ready.")
        return process

    def producer(self, batches: list[list[dict[str, Any]]], pause_s: float) -> Process:
        path = self.home / f"batches-{len(self.processes)}.json"
        path.write_text(json.dumps(batches))
        argv = [sys.executable, "-c", PRODUCER, str(path), str(pause_s)]
        process = Process("producer", argv, self.env(), self.home / "producer.log")
        self.processes.append(process)
        return process

    def logs(self) -> str:
        return "\n".join(f"--- {p.name}\n{p.tail()}" for p in self.processes)


BROKERS = {"redis": "private_redis", "rabbitmq": "private_rabbit"}
MakeSite = Callable[[str], Site]


@pytest.fixture
def make_site(request: pytest.FixtureRequest, tmp_path: Path) -> MakeSite:
    """Makes the Site of a test on a private cluster and a private broker ("redis", durable,
    or "rabbitmq"); every process it starts is killed when the test ends, before the
    servers are destroyed."""

    def make(broker: str) -> Site:
        cluster: PostgresCluster = request.getfixturevalue("private_postgres")
        server: RedisServer | RabbitNode = request.getfixturevalue(BROKERS[broker])
        (tmp_path / "metrics").mkdir()
        site = Site(tmp_path, cluster, server, cluster.create_database("budget"), [], [])
        # On the test's node, after the servers' own teardown, so that it runs before it.
        request.node.addfinalizer(lambda: [p.kill() for p in site.processes])
        site.manage("migrate", "--noinput", "-v", "0")
        created = site.manage("shell", "-c", CREATE_CAMPAIGNS.format(count=CAMPAIGNS))
        site.campaigns = json.loads(created.stdout.strip().splitlines()[-1])
        return site

    return make


def spend_batches(campaigns: list[int], tasks: int, events: int) -> list[list[dict[str, Any]]]:
    """`tasks` batches of `events` events each, spread over the campaigns, every key unique,
    amounts with cents."""
    return [
        [
            {
                "campaign_id": campaigns[(t * events + i) % len(campaigns)],
                "amount": f"{(t * events + i) % 997 + 1}.{i % 100:02d}",
                "key": f"fault-{t:03d}-{i:05d}",
            }
            for i in range(events)
        ]
        for t in range(tasks)
    ]


# -- what reached the ledger ---------------------------------------------------------------


def ledger_rows(url: str) -> list[tuple[int, str, Decimal]]:
    with psycopg.connect(url, connect_timeout=5) as conn:
        rows = conn.execute("SELECT campaign_id, key, amount FROM budget_spendentry").fetchall()
    return [(int(c), str(k), Decimal(a)) for c, k, a in rows]


def ledger_size(url: str) -> int | None:
    """Rows in the ledger, or None while the database does not answer."""
    try:
        with psycopg.connect(url, connect_timeout=3) as conn:
            row = conn.execute("SELECT count(*) FROM budget_spendentry").fetchone()
    except psycopg.OperationalError:
        return None
    return int(row[0]) if row else 0


def wait_for_ledger(site: Site, expected: int, since: float) -> float | None:
    """Seconds from `since` until the ledger holds `expected` rows, or None if it does not
    within the settle timeout."""
    deadline = time.monotonic() + SETTLE_TIMEOUT_S
    while time.monotonic() < deadline:
        if ledger_size(site.database_url) == expected:
            return time.monotonic() - since
        time.sleep(0.5)
    return None


@dataclass
class Tally:
    sent: int
    recorded: int
    lost: int
    doubled: int
    strangers: int
    wrong_amounts: int


def tally(batches: list[list[dict[str, Any]]], rows: list[tuple[int, str, Decimal]]) -> Tally:
    sent = {(e["campaign_id"], e["key"]): Decimal(e["amount"]) for b in batches for e in b}
    seen = collections.Counter((c, k) for c, k, _ in rows)
    recorded = sum(1 for key in sent if seen[key])
    return Tally(
        sent=len(sent),
        recorded=recorded,
        lost=len(sent) - recorded,
        doubled=sum(n - 1 for n in seen.values() if n > 1),
        strangers=sum(1 for key in seen if key not in sent),
        wrong_amounts=sum(1 for c, k, a in rows if (c, k) in sent and sent[(c, k)] != a),
    )


def task_counts(site: Site, tasks: int) -> dict[str, Any]:
    """The workers' counts once every delivery of record_spend has ended (the last success
    is counted a moment after its commit)."""
    deadline = time.monotonic() + 30
    while True:
        done = site.manage("task_counts", "--json", check=False)
        counts = json.loads(done.stdout)
        spend = counts["tasks"].get("budget.record_spend", {})
        if spend.get("succeeded", 0) >= tasks and spend.get("unfinished") == 0:
            return dict(counts)
        if time.monotonic() > deadline:
            pytest.fail(f"task counts did not settle: {counts}\n{site.logs()}")
        time.sleep(0.5)


def settle_and_check(
    site: Site, title: str, batches: list[list[dict[str, Any]]], since: float
) -> dict[str, Any]:
    """Wait for the ledger, compare it with what was sent, print the figures, and check the
    counters and the workers' task counts. Returns the record_spend counts."""
    expected = sum(len(b) for b in batches)
    recovery = wait_for_ledger(site, expected, since)
    result = tally(batches, ledger_rows(site.database_url))
    took = f"{recovery:.1f} s" if recovery is not None else f"not within {SETTLE_TIMEOUT_S} s"
    print(
        f"\n[fault] {title}: events sent {result.sent}, recorded {result.recorded}, "
        f"lost {result.lost}, doubled {result.doubled}, recovery {took}"
    )
    assert (result.lost, result.doubled, result.strangers, result.wrong_amounts) == (
        0,
        0,
        0,
        0,
    ), f"{result}\n{site.logs()}"
    reconcile = site.manage("reconcile", check=False)
    assert reconcile.returncode == 0, reconcile.stdout + reconcile.stderr
    counts = task_counts(site, len(batches))
    spend = counts["tasks"]["budget.record_spend"]
    assert counts["lost_spend_batches"] == 0, counts
    assert (spend["failed"], spend["internal_error"], spend["bad_input"]) == (0, 0, 0), counts
    for process in site.processes:
        assert "Lost spend" not in process.output(), process.tail()
    return dict(spend)


# -- the database fails ----------------------------------------------------------------------


def test_spend_queued_while_postgres_is_stopped_for_seconds_reaches_the_ledger_once(
    make_site: MakeSite,
) -> None:
    """The reported outage: batches keep arriving while PostgreSQL is stopped (`-m fast`)
    for several seconds; every batch picked up meanwhile is retried, none dropped."""
    site = make_site("redis")
    batches = spend_batches(site.campaigns, tasks=60, events=300)
    site.worker()
    producer = site.producer(batches, pause_s=0.2)
    producer.wait_for_output("queued 9\n")

    site.cluster.stop("fast")
    time.sleep(OUTAGE_S)  # the length of the outage, not a wait for a condition
    site.cluster.start()
    back = time.monotonic()
    producer.wait_for_output("all queued")

    spend = settle_and_check(site, "PostgreSQL stopped 8 s while queueing", batches, back)
    assert spend["retried"] > 0, "the outage should have sent some batches to retry"


def test_spend_in_flight_when_the_postmaster_is_killed_reaches_the_ledger_once(
    make_site: MakeSite,
) -> None:
    """kill -9 of the postmaster while a worker is inside a batch's transaction (and others
    are committed or waiting), then a restart with crash recovery."""
    site = make_site("redis")
    batches = spend_batches(site.campaigns, tasks=16, events=5000)
    site.producer(batches, pause_s=0).wait_for_output("all queued")
    site.worker()

    def inside_a_batch() -> bool:
        if not ledger_size(site.database_url):
            return False
        with psycopg.connect(site.database_url, connect_timeout=3) as conn:
            row = conn.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                " AND pid <> pg_backend_pid() AND xact_start IS NOT NULL AND state <> 'idle'"
                " AND query LIKE '%budget\\_%'"
            ).fetchone()
        return bool(row and row[0])

    deadline = time.monotonic() + 120
    while not inside_a_batch():
        assert time.monotonic() < deadline, f"no batch in progress\n{site.logs()}"
        time.sleep(0.02)
    committed = ledger_size(site.database_url)
    site.cluster.kill_postmaster()
    site.cluster.start()
    back = time.monotonic()

    settle_and_check(
        site, f"postmaster killed mid-batch ({committed} events committed)", batches, back
    )


# -- the broker fails ------------------------------------------------------------------------


def waiting_messages(url: str) -> int:
    with kombu.Connection(url, connect_timeout=10) as conn:
        _, count, _ = conn.default_channel.queue_declare(queue=QUEUE, passive=True)
    return int(count)


@pytest.mark.parametrize("stop", ["shutdown", "kill"])
@pytest.mark.parametrize("kind", ["redis", "rabbitmq"])
def test_spend_queued_before_the_broker_restarts_reaches_the_ledger_once(
    make_site: MakeSite, kind: str, stop: str
) -> None:
    """Batches queued with no worker running, then the broker is shut down (or killed with
    SIGKILL) and started again, as the production settings run it (Redis with an
    append-only file synced on every write; RabbitMQ with durable queues, persistent
    messages and publisher confirms); then a worker starts and records every batch."""
    site = make_site(kind)
    broker = site.broker
    batches = spend_batches(site.campaigns, tasks=30, events=1000)
    site.producer(batches, pause_s=0).wait_for_output("all queued")
    assert waiting_messages(site.broker_url) == len(batches)

    if stop == "shutdown":
        broker.shutdown()
    else:
        broker.kill()
    broker.start()
    back = time.monotonic()
    assert waiting_messages(site.broker_url) == len(batches), "the restart lost queued batches"
    site.worker()

    settle_and_check(site, f"{kind} {stop} and restart with batches queued", batches, back)
