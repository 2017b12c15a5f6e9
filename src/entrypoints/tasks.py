"""Celery tasks: each takes keyword arguments of JSON primitives, makes one use-case call and
returns a JSON summary (stored by django-celery-results, visible in the admin).

All are safe to run twice: spend events carry idempotency keys, and the sweeps recompute
state from the data. So they are acked late (a worker that dies mid-task leaves the message
to be delivered again) and retried with backoff when the database is unavailable.

`now` is an ISO-8601 instant with an offset ("2026-06-12T00:00:00+00:00" or "...Z"). Left
out, the task reads the clock when it runs, not when it was queued: a tick queued before
midnight and run after it acts on the new day."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

import attrs
from celery import Task
from django.db import InterfaceError, OperationalError, transaction

from core.entities import SYSTEM, DomainError, InvalidInput
from core.entities.time import parse_instant
from core.use_cases._refresh import SweepCommand, SweepResult
from core.use_cases.alerts import DeliverAlertsCommand
from core.use_cases.record_spend import Outcome, RecordSpendCommand, RecordSpendResult
from entrypoints.celery_app import app
from entrypoints.container import get_container

log = logging.getLogger(__name__)


class BadTaskInput(ValueError):
    """The task was queued with arguments no retry can fix. (The core's own errors carry
    field objects that do not survive the trip through the result backend.)"""


def _task(name: str) -> Callable[[Callable[..., dict[str, Any]]], Task[Any, Any]]:
    """A budget task: retried with exponential backoff (2 s, 4 s, ... up to a minute) while
    the database is unreachable or locked."""
    return app.task(
        name=name,
        autoretry_for=(OperationalError, InterfaceError),
        retry_backoff=2,
        retry_backoff_max=60,
        retry_jitter=True,
        max_retries=10,
        throws=(BadTaskInput,),
    )


@_task("budget.record_spend")
def record_spend(*, events: list[dict[str, Any]], actor: str = SYSTEM) -> dict[str, Any]:
    """Record a batch of spend events (RecordSpend); queues alert delivery when the batch
    crossed a threshold."""
    try:
        result = get_container().record_spend()(RecordSpendCommand(events=events, actor=actor))
    except InvalidInput as error:  # an empty or oversized batch
        raise BadTaskInput(str(error)) from None
    if result.alerts:
        transaction.on_commit(_queue_alert_delivery)
    return _spend_summary(result)


@_task("budget.enforce_budgets")
def enforce_budgets(*, now: str | None = None) -> dict[str, Any]:
    """Bring budget holds in line with counters and budgets (EnforceBudgets)."""
    at = _instant(now)
    return _sweep_summary(get_container().enforce_budgets()(SweepCommand(at)), at)


@_task("budget.reset_periods")
def reset_periods(*, now: str | None = None) -> dict[str, Any]:
    """Start each brand's new day and month at its local midnight (ResetPeriod)."""
    at = _instant(now)
    return _sweep_summary(get_container().reset_period()(SweepCommand(at)), at)


@_task("budget.apply_dayparting")
def apply_dayparting(*, now: str | None = None) -> dict[str, Any]:
    """Hold campaigns outside their dayparting windows, release them inside
    (ApplyDayparting)."""
    at = _instant(now)
    return _sweep_summary(get_container().apply_dayparting()(SweepCommand(at)), at)


@_task("budget.check_flight")
def check_flight(*, now: str | None = None) -> dict[str, Any]:
    """Start campaigns on their start date, complete them after their end date
    (CheckFlight)."""
    at = _instant(now)
    return _sweep_summary(get_container().check_flight()(SweepCommand(at)), at)


@_task("budget.deliver_alerts")
def deliver_alerts() -> dict[str, Any]:
    """Send the queued budget alerts (DeliverAlerts)."""
    result = get_container().deliver_alerts()(DeliverAlertsCommand())
    return {"delivered": result.delivered, "failed": result.failed}


def _instant(now: str | None) -> datetime:
    if now is None:
        return get_container().clock().now()
    try:
        return parse_instant(now, "now")
    except DomainError as error:
        raise BadTaskInput(str(error)) from None


def _sweep_summary(result: SweepResult, at: datetime) -> dict[str, Any]:
    return {"now": at.isoformat(), **attrs.asdict(result)}


def _spend_summary(result: RecordSpendResult) -> dict[str, Any]:
    # Counts, and the reason for each rejected event; a batch can hold 10,000 events, so
    # the recorded and duplicate ones are not listed one by one.
    return {
        "recorded": result.recorded,
        "duplicate": result.duplicates,
        "rejected": result.rejected,
        "held": result.held,
        "alerts": result.alerts,
        "rejections": [
            {"key": r.key, "errors": [{"field": e.field, "message": e.message} for e in r.errors]}
            for r in result.results
            if r.outcome is Outcome.REJECTED
        ],
    }


def _queue_alert_delivery() -> None:
    # The spend is committed whatever happens here; the every-minute beat tick delivers
    # the alerts if this message cannot be sent.
    try:
        deliver_alerts.delay()
    except Exception:
        log.exception("could not queue alert delivery; the next beat tick will send them")
