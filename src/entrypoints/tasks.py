"""Celery tasks: each takes keyword arguments of JSON primitives, makes one use-case call and
returns a JSON summary (stored by django-celery-results, visible in the admin).

All are safe to run twice: spend events carry idempotency keys, and the sweeps recompute
state from the data. So they are acked late (a worker that dies mid-task leaves the message
to be delivered again) and retried with backoff when the database is unavailable: the sweeps
a bounded number of times (the next tick catches up), a spend batch for as long as the
outage lasts, and back onto the queue when not even its retry can be published.

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
from celery.exceptions import Reject, SoftTimeLimitExceeded
from celery.utils.time import get_exponential_backoff_interval
from django.db import InterfaceError, OperationalError, transaction

from core.entities import SYSTEM, DomainError, InvalidInput
from core.entities.time import parse_instant
from core.use_cases.alerts import DeliverAlertsCommand
from core.use_cases.pacing_alerts import CheckPacingCommand
from core.use_cases.record_spend import Outcome, RecordSpendCommand, RecordSpendResult
from core.use_cases.sweeps import SweepCommand, SweepResult
from entrypoints import task_metrics  # noqa: F401  (counts every task the workers take)
from entrypoints.celery_app import app
from entrypoints.container import get_container
from entrypoints.logs import connect_celery
from entrypoints.metrics import observe_alerts, timed_spend, timed_sweep

log = logging.getLogger(__name__)

# Workers and beat log through the settings' LOGGING (in JSON, one line per task).
connect_celery()

#: Retries wait about 2 s, 4 s, 8 s, ... up to a minute (with full jitter). The broker's
#: visibility timeout (settings) must exceed the longest wait plus the hard time limit.
RETRY_BACKOFF_S = 2
RETRY_BACKOFF_MAX_S = 60
#: The database cannot be reached, dropped the connection, or is locked (SQLite).
UNAVAILABLE = (OperationalError, InterfaceError)


class BadTaskInput(ValueError):
    """The task was queued with arguments no retry can fix. (The core's own errors carry
    field objects that do not survive the trip through the result backend.)"""


def _task(name: str) -> Callable[[Callable[..., dict[str, Any]]], Task[Any, Any]]:
    """A budget task: retried with exponential backoff (2 s, 4 s, ... up to a minute) while
    the database is unreachable or locked."""
    return app.task(
        name=name,
        autoretry_for=UNAVAILABLE,
        retry_backoff=RETRY_BACKOFF_S,
        retry_backoff_max=RETRY_BACKOFF_MAX_S,
        retry_jitter=True,
        max_retries=10,
        throws=(BadTaskInput,),
    )


@app.task(
    bind=True,
    name="budget.record_spend",
    # Accepted spend is never given up while the database is merely unavailable.
    max_retries=None,
    # A batch cut off by the hard time limit goes back to the queue instead of being acked.
    acks_on_timeout=False,
    throws=(BadTaskInput,),
)
def record_spend(
    self: Task[Any, Any], *, events: list[dict[str, Any]], actor: str = SYSTEM
) -> dict[str, Any]:
    """Record a batch of spend events (RecordSpend); queues alert delivery when the batch
    crossed a threshold. While the database is unavailable the batch is retried with
    backoff, without limit."""
    try:
        command = RecordSpendCommand(events=events, actor=actor)
        result = timed_spend("task", get_container().record_spend(), command)
    except InvalidInput as error:  # an empty or oversized batch
        raise BadTaskInput(str(error)) from None
    except (*UNAVAILABLE, SoftTimeLimitExceeded) as error:
        # The soft time limit cuts off a batch whose database stopped answering; its
        # transaction is rolled back, so it is retried like any other outage.
        raise _retry_or_requeue(self, error) from error
    if result.alerts:
        transaction.on_commit(_queue_alert_delivery)
    return _spend_summary(result)


@_task("budget.enforce_budgets")
def enforce_budgets(*, now: str | None = None) -> dict[str, Any]:
    """Bring budget holds in line with counters and budgets (EnforceBudgets)."""
    at = _instant(now)
    sweep = get_container().enforce_budgets()
    return _sweep_summary(timed_sweep("enforce_budgets", sweep, SweepCommand(at)), at)


@_task("budget.reset_periods")
def reset_periods(*, now: str | None = None) -> dict[str, Any]:
    """Start each brand's new day and month at its local midnight (ResetPeriod)."""
    at = _instant(now)
    sweep = get_container().reset_period()
    return _sweep_summary(timed_sweep("reset_periods", sweep, SweepCommand(at)), at)


@_task("budget.apply_dayparting")
def apply_dayparting(*, now: str | None = None) -> dict[str, Any]:
    """Hold campaigns outside their dayparting windows, release them inside
    (ApplyDayparting)."""
    at = _instant(now)
    sweep = get_container().apply_dayparting()
    return _sweep_summary(timed_sweep("apply_dayparting", sweep, SweepCommand(at)), at)


@_task("budget.check_flight")
def check_flight(*, now: str | None = None) -> dict[str, Any]:
    """Start campaigns on their start date, complete them after their end date
    (CheckFlight)."""
    at = _instant(now)
    sweep = get_container().check_flight()
    return _sweep_summary(timed_sweep("check_flight", sweep, SweepCommand(at)), at)


@_task("budget.check_pacing")
def check_pacing(*, now: str | None = None) -> dict[str, Any]:
    """Queue an alert for each campaign or brand over or under its pace (CheckPacing); the
    alerts go out with the next delivery."""
    at = _instant(now)
    result = get_container().check_pacing()(CheckPacingCommand(at))
    if result.alerts:
        transaction.on_commit(_queue_alert_delivery)
    return {"now": at.isoformat(), "checked": result.checked, "alerts": result.alerts}


@_task("budget.deliver_alerts")
def deliver_alerts() -> dict[str, Any]:
    """Send the queued budget alerts (DeliverAlerts)."""
    result = get_container().deliver_alerts()(DeliverAlertsCommand())
    observe_alerts(result.delivered, result.failed)
    return {"delivered": result.delivered, "failed": result.failed}


def _retry_or_requeue(task: Task[Any, Any], error: Exception) -> Exception:
    """The exception that hands the current message on: a Retry once a later attempt is
    queued with its countdown, or, when that cannot be published (the broker is failing
    too), a Reject that puts this message back on the queue. Celery itself would reject it
    without requeueing, which drops it."""
    countdown = get_exponential_backoff_interval(
        factor=RETRY_BACKOFF_S,
        retries=task.request.retries,
        maximum=RETRY_BACKOFF_MAX_S,
        full_jitter=True,
    )
    try:
        return task.retry(exc=error, countdown=countdown, throw=False)
    except Reject as unpublished:
        reason = getattr(unpublished, "reason", unpublished)
        log.warning(
            "Task %s[%s]: the database is unavailable (%s) and the retry could not be "
            "queued (%s); the message goes back to the queue",
            task.name,
            task.request.id,
            error,
            reason,
        )
        return Reject(f"retry not queued: {reason!r}", requeue=True)


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
