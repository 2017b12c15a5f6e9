"""`GET /metrics`: Prometheus text, behind a bearer token (or open when METRICS_PUBLIC says so),
and figures that add up across processes: spend posted to two gunicorn workers, a sweep and
an alert delivery run by a Celery worker's pool process, all counted once in whichever web
worker answers the scrape."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from django.test import Client, override_settings
from prometheus_client.parser import text_string_to_metric_families

from .serving import in_threads, json_lines, request, wait_for, web_server
from .test_celery import (
    Broker,
    Service,
    broker,  # noqa: F401  (the fixture)
    make_campaign,
    service,  # noqa: F401  (the fixture)
    task_result,
    use_cases,
)

TOKEN = "metrics-" + uuid.uuid4().hex

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def samples(text: str) -> Samples:
    """Every sample of a scrape by name and labels."""
    found: Samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def value(scrape: Samples, name: str, **labels: str) -> float:
    return scrape.get((name, tuple(sorted(labels.items()))), 0.0)


# -- who may read them ----------------------------------------------------------------------


@pytest.mark.django_db
def test_metrics_need_the_bearer_token_unless_opened_by_a_setting(client: Client) -> None:
    with override_settings(METRICS_TOKEN=TOKEN, METRICS_PUBLIC=False):
        assert client.get("/metrics").status_code == 401
        assert client.get("/metrics").headers["WWW-Authenticate"] == "Bearer"
        wrong = client.get("/metrics", headers={"Authorization": "Bearer not-" + TOKEN})
        assert wrong.status_code == 401
        right = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
        assert right.status_code == 200
        assert right.headers["Content-Type"].startswith("text/plain; version=")
        assert b"# TYPE budget_campaigns gauge" in right.content
    with override_settings(METRICS_TOKEN="", METRICS_PUBLIC=True):
        assert client.get("/metrics").status_code == 200
    with override_settings(METRICS_TOKEN="", METRICS_PUBLIC=False):
        closed = client.get("/metrics")
        assert closed.status_code == 403
        assert b"METRICS_TOKEN" in closed.content
    with override_settings(METRICS_TOKEN=TOKEN):
        assert (
            client.post("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 405
        )


# -- figures across processes ---------------------------------------------------------------


class Webhook:
    """An HTTP server that takes alert POSTs and keeps their JSON bodies."""

    def __init__(self) -> None:
        received: list[dict[str, Any]] = []

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers["Content-Length"])
                received.append(json.loads(self.rfile.read(length)))
                self.send_response(200)
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.received = received
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/alerts"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def webhook() -> Iterator[Webhook]:
    hook = Webhook()
    yield hook
    hook.close()


def api_token() -> str:
    from django.contrib.auth import get_user_model

    from entrypoints.api.tokens import issue_token

    get_user_model().objects.create_superuser("metrics-test", password=uuid.uuid4().hex)
    return issue_token("metrics-test")


def run_task(name: str, on: Broker, worked_by: Service) -> Any:
    from entrypoints import tasks  # noqa: F401  (registers the tasks)
    from entrypoints.celery_app import app

    with on.connection() as conn:
        sent = app.tasks[name].apply_async(kwargs={}, connection=conn, queue=on.queue)
    return task_result(str(sent.id), worked_by)


def campaigns_in_the_database() -> tuple[dict[str, int], dict[str, int]]:
    from adapters.django_orm.models import Campaign

    statuses: dict[str, int] = {}
    holds: dict[str, int] = {}
    for campaign in Campaign.objects.all():
        statuses[campaign.status] = statuses.get(campaign.status, 0) + 1
        for hold in campaign.hold_names:
            holds[hold] = holds.get(hold, 0) + 1
    return statuses, holds


@pytest.mark.slow
@pytest.mark.parametrize("broker", ["embedded"], indirect=True)
def test_figures_add_up_across_two_web_workers_and_a_celery_worker(
    service: Service,  # noqa: F811
    broker: Broker,  # noqa: F811
    webhook: Webhook,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Every process finds the metrics folder through the settings, under its home.
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)
    folder = tmp_path / "var" / "metrics"
    env = {
        "METRICS_TOKEN": TOKEN,
        "METRICS_CAMPAIGNS_TTL": "0.1",
        "ALERT_WEBHOOK_URL": webhook.url,
        "LOG_FORMAT": "json",
        "WEB_CONCURRENCY": "2",
        "WEB_THREADS": "4",
    }
    container = use_cases()
    # Four take the spend; the fifth gets the one alert.
    campaigns = [make_campaign(container, daily_budget="100") for _ in range(5)]
    auth = {"Authorization": f"Bearer {api_token()}"}
    service.worker(**env)

    with web_server(service.env(**env), tmp_path / "web.log") as web:

        def scrape() -> Samples:
            answer = web.get("/metrics", Authorization=f"Bearer {TOKEN}")
            assert answer.status == 200, answer.text()
            return samples(answer.text())

        assert value(scrape(), "budget_spend_events_total", outcome="recorded", source="api") == 0

        # Spend from 8 threads, until both web workers have answered some of it.
        batches: list[list[dict[str, Any]]] = []

        def post(batch: list[dict[str, Any]]) -> dict[str, Any]:
            answer = request(web.port, "POST", "/api/v1/spend", {"events": batch}, auth)
            assert answer.status == 200, answer.text()
            return dict(answer.json())

        def spend_round(start: int) -> None:
            new = [
                [
                    {"campaign_id": campaigns[i % 4], "amount": "1.00", "key": f"m-{start + i}-{j}"}
                    for j in range(2)
                ]
                for i in range(40)
            ]
            batches.extend(new)
            in_threads(8, lambda t: [post(b) for b in new[t::8]])

        def workers_that_answered() -> set[int]:
            return {
                line["process"]
                for line in json_lines(web.output())
                if line.get("path") == "/api/v1/spend"
            }

        spend_round(0)
        while len(workers_that_answered()) < 2 and len(batches) < 400:
            spend_round(len(batches))
        assert len(workers_that_answered()) == 2
        for batch in batches[:5]:  # sent again: duplicates
            assert {r["outcome"] for r in post(batch)["results"]} == {"duplicate"}
        mixed = post(
            [
                {"campaign_id": campaigns[4], "amount": "85", "key": "m-big"},  # 80 % alert
                {"campaign_id": campaigns[4], "amount": "-1", "key": "m-negative"},
            ]
        )
        assert [r["outcome"] for r in mixed["results"]] == ["recorded", "rejected"]
        recorded = 2 * len(batches) + 1

        # Every scrape, whichever worker answers it, counts everything once.
        for _ in range(6):
            scraped = scrape()
            assert (
                value(scraped, "budget_spend_events_total", outcome="recorded", source="api"),
                value(scraped, "budget_spend_events_total", outcome="duplicate", source="api"),
                value(scraped, "budget_spend_events_total", outcome="rejected", source="api"),
                value(scraped, "budget_spend_batch_seconds_count", source="api"),
            ) == (recorded, 10, 1, len(batches) + 5 + 1)

        # A sweep on the Celery worker: a budget lowered below today's spend behind the use
        # cases' back, which the sweep then holds.
        from adapters.django_orm.models import Campaign

        Campaign.objects.filter(pk=campaigns[0]).update(daily_budget=Decimal(5))
        summary = run_task("budget.enforce_budgets", broker, service)
        assert summary["held"] == 1
        delivered = run_task("budget.deliver_alerts", broker, service)
        assert delivered == {"delivered": 1, "failed": 0}
        assert [alert["threshold_percent"] for alert in webhook.received] == [80]
        assert [(a["kind"], a["expected"]) for a in webhook.received] == [("budget", None)]

        scraped = scrape()
        assert value(scraped, "budget_sweep_seconds_count", sweep="enforce_budgets") == 1
        assert (
            value(scraped, "budget_sweep_campaigns_total", sweep="enforce_budgets", change="held")
            == 1
        )
        assert value(scraped, "budget_sweep_campaigns_changed_count", sweep="enforce_budgets") == 1
        assert value(scraped, "budget_alerts_total", outcome="sent") == 1
        assert (
            value(
                scraped, "budget_alert_notifications_total", channel="webhook", outcome="delivered"
            )
            == 1
        )
        # Each process wrote its own files there: two web workers, the worker's pool process.
        assert len({path.stem.rpartition("_")[2] for path in folder.glob("*.db")}) >= 3
        # The task counters the worker keeps are in the same folder, and served too.
        finished = {
            labels: count
            for (name, labels), count in scraped.items()
            if name == "budget_tasks_finished_total"
        }
        assert finished, sorted({name for name, _ in scraped})

        # Campaigns by status and hold, as the database has them now.
        statuses, holds = campaigns_in_the_database()
        assert statuses["paused"] == 1 and holds == {"DAILY_BUDGET": 1}

        def gauges_match() -> bool:
            now = scrape()
            return all(
                value(now, "budget_campaigns", status=s) == statuses.get(s, 0)
                for s in ("draft", "active", "paused", "completed")
            ) and all(
                value(now, "budget_campaigns_held", hold=h) == holds.get(h, 0)
                for h in ("DAILY_BUDGET", "MONTHLY_BUDGET", "OUTSIDE_SCHEDULE")
            )

        wait_for(gauges_match, "the campaign gauges match the database")
