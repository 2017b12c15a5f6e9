"""Prometheus metrics: what the entrypoints record, and `GET /metrics` that serves them.

Every process (gunicorn workers, Celery pool processes, management commands) writes its
figures to files in PROMETHEUS_MULTIPROC_DIR (prometheus_client's multiprocess mode, set up by
the settings), and /metrics adds up every file in that folder, so the answer is the same
whichever web worker serves it and includes what the Celery workers on this machine did.
Counts of campaigns by status and by hold are read from the database at scrape time (at most
every METRICS_CAMPAIGNS_TTL seconds per web process).

The core knows nothing of this: tasks, API views and commands time the use-case call and
report what it returned (`observe_spend`, `observe_sweep`, `observe_alerts`)."""

from __future__ import annotations

import hmac
import logging
import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime

from django.conf import settings

# The settings name the metrics folder, which prometheus_client reads when it is imported.
_ = settings.PROMETHEUS_MULTIPROC_DIR

from django.http import HttpRequest, HttpResponse  # noqa: E402
from prometheus_client import (  # noqa: E402
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily, Metric  # noqa: E402
from prometheus_client.registry import Collector  # noqa: E402

from core.entities import Alert  # noqa: E402
from core.ports import AlertNotifier  # noqa: E402
from core.use_cases.record_spend import RecordSpendCommand, RecordSpendResult  # noqa: E402
from core.use_cases.sweeps import SweepCommand, SweepResult  # noqa: E402

sweep_log = logging.getLogger("budget.sweep")

SPEND_EVENTS = Counter(
    "budget_spend_events",
    "Spend events received, by outcome (recorded, duplicate, rejected) and entrypoint "
    "(api, task, command).",
    ["outcome", "source"],
)
SPEND_BATCH_SECONDS = Histogram(
    "budget_spend_batch_seconds",
    "Time to record one batch of spend events (the use case, one transaction).",
    ["source"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
SWEEP_SECONDS = Histogram(
    "budget_sweep_seconds",
    "Time a periodic sweep took (enforce_budgets, reset_periods, apply_dayparting, check_flight).",
    ["sweep"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120),
)
SWEEP_CHANGED = Histogram(
    "budget_sweep_campaigns_changed",
    "Campaigns per sweep that gained or lost a hold.",
    ["sweep"],
    buckets=(0, 1, 10, 100, 1_000, 10_000, 100_000, 1_000_000),
)
SWEEP_CAMPAIGNS = Counter(
    "budget_sweep_campaigns",
    "Campaigns changed by sweeps, by change: held (gained a hold), released (lost one), "
    "activated, stopped, counters_reset.",
    ["sweep", "change"],
)
ALERTS = Counter(
    "budget_alerts",
    "Budget alerts handed to the notifiers, by outcome (sent, failed: tried again later).",
    ["outcome"],
)
NOTIFICATIONS = Counter(
    "budget_alert_notifications",
    "Alert deliveries per channel (log, email, webhook), by outcome (delivered, failed).",
    ["channel", "outcome"],
)

_SWEEP_CHANGES = ("held", "released", "activated", "stopped", "counters_reset")


# -- recording --------------------------------------------------------------------------


def observe_spend(
    source: str, seconds: float | None, recorded: int, duplicate: int, rejected: int
) -> None:
    """Count a batch's events by outcome, and the time the use case took (None: it was not
    called, every event having been refused before); `source` names the entrypoint."""
    counts = {"recorded": recorded, "duplicate": duplicate, "rejected": rejected}
    for outcome, count in counts.items():
        if count:
            SPEND_EVENTS.labels(outcome, source).inc(count)
    if seconds is not None:
        SPEND_BATCH_SECONDS.labels(source).observe(seconds)


def timed_spend(
    source: str,
    record: Callable[[RecordSpendCommand], RecordSpendResult],
    command: RecordSpendCommand,
    refused: int = 0,
) -> RecordSpendResult:
    """Run RecordSpend once and record it (`observe_spend`); `refused` counts the events the
    entrypoint rejected before the use case saw them."""
    started = time.perf_counter()
    result = record(command)
    seconds = time.perf_counter() - started
    observe_spend(source, seconds, result.recorded, result.duplicates, result.rejected + refused)
    return result


def observe_sweep(name: str, seconds: float, result: SweepResult, now: datetime) -> None:
    """Record a finished sweep's duration and changes, and log one line about it."""
    SWEEP_SECONDS.labels(name).observe(seconds)
    SWEEP_CHANGED.labels(name).observe(result.held + result.released)
    for change in _SWEEP_CHANGES:
        count = getattr(result, change)
        if count:
            SWEEP_CAMPAIGNS.labels(name, change).inc(count)
    sweep_log.info(
        "sweep %s as of %s in %.1f ms: %s",
        name,
        now.isoformat(),
        seconds * 1000,
        result.summary(),
        extra={
            "sweep": name,
            "now": now.isoformat(),
            "duration_ms": round(seconds * 1000, 2),
            "checked": result.checked,
            **{change: getattr(result, change) for change in _SWEEP_CHANGES},
            "holds_added": result.holds_added,
            "holds_removed": result.holds_removed,
        },
    )


def timed_sweep(
    name: str, sweep: Callable[[SweepCommand], SweepResult], command: SweepCommand
) -> SweepResult:
    """Run a sweep use case once and record it (`observe_sweep`)."""
    started = time.perf_counter()
    result = sweep(command)
    observe_sweep(name, time.perf_counter() - started, result, command.now)
    return result


def observe_alerts(sent: int, failed: int) -> None:
    """Count the alerts a delivery run sent and the ones it must try again."""
    if sent:
        ALERTS.labels("sent").inc(sent)
    if failed:
        ALERTS.labels("failed").inc(failed)


class CountedNotifier:
    """A notifier that counts its deliveries (`budget_alert_notifications`) under a
    channel name, and otherwise behaves exactly as the one it wraps."""

    def __init__(self, channel: str, notifier: AlertNotifier) -> None:
        self._delivered = NOTIFICATIONS.labels(channel, "delivered")
        self._failed = NOTIFICATIONS.labels(channel, "failed")
        self._notifier = notifier

    def send(self, alert: Alert) -> None:
        try:
            self._notifier.send(alert)
        except Exception:
            self._failed.inc()
            raise
        self._delivered.inc()


# -- campaigns, counted at scrape time ----------------------------------------------------


class CampaignCollector(Collector):
    """`budget_campaigns{status}` and `budget_campaigns_held{hold}` from the database: one
    grouped count over the campaigns, kept for METRICS_CAMPAIGNS_TTL seconds so that
    frequent scrapes (or several scrapers) cost one count per interval. Concurrent scrapes
    wait for the one count in progress rather than start their own."""

    def __init__(self, ttl_s: float) -> None:
        self._ttl = ttl_s
        self._lock = threading.Lock()
        self._counted_at = -float("inf")
        self._by_status: dict[str, int] = {}
        self._by_hold: dict[str, int] = {}

    def collect(self) -> Iterator[Metric]:
        by_status, by_hold = self._counts()
        status = GaugeMetricFamily(
            "budget_campaigns", "Campaigns by status (from the database).", labels=["status"]
        )
        for name, count in by_status.items():
            status.add_metric([name], count)
        held = GaugeMetricFamily(
            "budget_campaigns_held",
            "Campaigns by hold (a campaign with two holds counts under both).",
            labels=["hold"],
        )
        for name, count in by_hold.items():
            held.add_metric([name], count)
        yield status
        yield held

    def _counts(self) -> tuple[dict[str, int], dict[str, int]]:
        with self._lock:
            if time.monotonic() - self._counted_at >= self._ttl:
                self._by_status, self._by_hold = _count_campaigns()
                self._counted_at = time.monotonic()
            return self._by_status, self._by_hold


def _count_campaigns() -> tuple[dict[str, int], dict[str, int]]:
    from django.db.models import Count

    from adapters.django_orm.models import Campaign, holds_names
    from core.entities import Hold, Status

    by_status = dict.fromkeys((s.value for s in Status), 0)
    by_hold = dict.fromkeys((h.value for h in Hold), 0)
    # The stored holds are a sorted set per row, so the distinct (status, holds) pairs are
    # few: one pass over the table, a handful of rows back.
    rows = Campaign.objects.order_by().values_list("status", "holds").annotate(n=Count("pk"))
    for status, holds, count in rows:
        by_status[status] = by_status.get(status, 0) + count
        for hold in holds_names(holds):
            by_hold[hold] = by_hold.get(hold, 0) + count
    return by_status, by_hold


_campaigns = CampaignCollector(settings.METRICS_CAMPAIGNS_TTL)


# -- the endpoint -------------------------------------------------------------------------


def metrics_view(request: HttpRequest) -> HttpResponse:
    """`GET /metrics`: every figure in Prometheus' text format. Needs `Authorization: Bearer
    <METRICS_TOKEN>` (401 without or with another token), unless METRICS_PUBLIC is on;
    with neither set it answers 403."""
    refusal = _refusal(request)
    if refusal is not None:
        return refusal
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(  # type: ignore[no-untyped-call]
        registry, path=str(settings.PROMETHEUS_MULTIPROC_DIR)
    )
    registry.register(_campaigns)
    response = HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)
    response["Cache-Control"] = "no-store"
    return response


def _refusal(request: HttpRequest) -> HttpResponse | None:
    if request.method not in ("GET", "HEAD"):
        return _plain(405, "GET only.", Allow="GET, HEAD")
    token: str = settings.METRICS_TOKEN
    if token:
        scheme, _, given = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() == "bearer" and hmac.compare_digest(
            given.strip().encode(), token.encode()
        ):
            return None
        return _plain(
            401, "Send Authorization: Bearer <METRICS_TOKEN>.", **{"WWW-Authenticate": "Bearer"}
        )
    if settings.METRICS_PUBLIC:
        return None
    return _plain(403, "Metrics are off: set METRICS_TOKEN (or METRICS_PUBLIC=1 to open them).")


def _plain(status: int, text: str, **headers: str) -> HttpResponse:
    response = HttpResponse(text + "\n", status=status, content_type="text/plain")
    for name, value in headers.items():
        response[name] = value
    return response
