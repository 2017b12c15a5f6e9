"""Counts of the task messages the Celery workers took, and of how each delivery ended, so
that a message taken and never finished shows up as a gap instead of vanishing.

Two Prometheus counters, incremented from Celery's signals in whichever worker process sees
the event (the main process receives and discards messages, the pool processes run them);
in prometheus_client's multiprocess mode (PROMETHEUS_MULTIPROC_DIR) every process's counts
add up in /metrics and in `manage.py task_counts`:

    budget_tasks_accepted_total{task}           messages a worker took from the broker
    budget_tasks_finished_total{task, outcome}  deliveries that ended, one outcome each

Outcomes: `succeeded`; `retried` (a later attempt was queued); `requeued` (the message went
back to the queue); `bad_input` (refused arguments, which no retry can fix); `failed` and
`internal_error` (the task will not run again); `revoked` (revoked or expired); `ignored`.
Accepted minus finished is what is running or waiting for its countdown, plus deliveries cut
short by a killed worker (those messages are delivered again and counted again).

A budget.record_spend that fails for good with anything but bad input is spend that will not
reach the ledger: it is logged at ERROR with the task id and the number of events.

Imported by entrypoints.tasks, after Django's settings (which choose the multiprocess
folder) are loaded."""

from __future__ import annotations

import logging
from collections import OrderedDict
from typing import Any

from celery import Task, signals
from celery.exceptions import Reject, TimeLimitExceeded
from prometheus_client import Counter

log = logging.getLogger(__name__)

SPEND_TASK = "budget.record_spend"
OUTCOMES = (
    "succeeded",
    "retried",
    "requeued",
    "bad_input",
    "failed",
    "internal_error",
    "revoked",
    "ignored",
)
LOST = frozenset({"failed", "internal_error"})

ACCEPTED = Counter(
    "budget_tasks_accepted", "Task messages a Celery worker took from the broker", ["task"]
)
FINISHED = Counter(
    "budget_tasks_finished",
    "Task deliveries that ended, by outcome (succeeded, retried, requeued, bad_input, "
    "failed, internal_error, revoked, ignored)",
    ["task", "outcome"],
)

# The main process announces a message revoked or expired on arrival before (instead of)
# announcing it received; these are the ids it announced received lately, so that a later
# revocation is not counted as a second acceptance. Bounded: a revocation more than this
# many receipts later is rare (countdowns last a minute at most) and would count once more.
_RECENTLY_RECEIVED_MAX = 10_000
_recently_received: OrderedDict[str, None] = OrderedDict()
# In a pool process, Celery reports an error outside a task's body first as an internal
# error and then as a failure; the failure must not count a second time.
_internal_errors: set[str] = set()


def finished(task: str, outcome: str, task_id: str, kwargs: Any = None, reason: Any = None) -> None:
    """Count one delivery of `task` as ended with `outcome`, and log spend that will never
    be recorded."""
    FINISHED.labels(task=task, outcome=outcome).inc()
    if task == SPEND_TASK and outcome in LOST:
        events = kwargs.get("events") if isinstance(kwargs, dict) else None
        log.error(
            "Lost spend: task %s (%s) with %s events ended in %s and will not run again: %s",
            task_id,
            SPEND_TASK,
            len(events) if isinstance(events, list) else "an unknown number of",
            outcome,
            reason,
        )


@signals.task_received.connect
def count_received(request: Any = None, **kwargs: Any) -> None:
    ACCEPTED.labels(task=request.name).inc()
    _recently_received[request.id] = None
    if len(_recently_received) > _RECENTLY_RECEIVED_MAX:
        _recently_received.popitem(last=False)


@signals.task_revoked.connect
def count_revoked(sender: Task[Any, Any] | None = None, request: Any = None, **kwargs: Any) -> None:
    name = str(getattr(sender, "name", None) or getattr(request, "task", "unknown"))
    if _recently_received.pop(request.id, "absent") == "absent":
        ACCEPTED.labels(task=name).inc()
    finished(name, "revoked", request.id)


@signals.task_prerun.connect
def forget_earlier_attempt(task_id: str = "", **kwargs: Any) -> None:
    _internal_errors.discard(task_id)


@signals.task_success.connect
def count_succeeded(sender: Task[Any, Any] | None = None, **kwargs: Any) -> None:
    assert sender is not None
    finished(sender.name, "succeeded", str(sender.request.id))


@signals.task_retry.connect
def count_retried(sender: Task[Any, Any] | None = None, request: Any = None, **kwargs: Any) -> None:
    assert sender is not None
    finished(sender.name, "retried", request.id)


@signals.task_postrun.connect
def count_rejected_or_ignored(
    sender: Task[Any, Any] | None = None,
    task_id: str = "",
    state: str | None = None,
    retval: Any = None,
    **kwargs: Any,
) -> None:
    # A Reject without requeue is reported as a failure by the main process, which settles
    # the message; only the requeue is counted here.
    assert sender is not None
    if state == "REJECTED" and isinstance(retval, Reject) and getattr(retval, "requeue", False):
        finished(sender.name, "requeued", task_id)
    elif state == "IGNORED":
        finished(sender.name, "ignored", task_id)


@signals.task_internal_error.connect
def count_internal_error(
    sender: Task[Any, Any] | None = None,
    task_id: str = "",
    kwargs: Any = None,
    exception: BaseException | None = None,
    **other: Any,
) -> None:
    assert sender is not None
    _internal_errors.add(task_id)
    finished(sender.name, "internal_error", task_id, kwargs, repr(exception))


@signals.task_failure.connect
def count_failed(
    sender: Task[Any, Any] | None = None,
    task_id: str = "",
    exception: BaseException | None = None,
    kwargs: Any = None,
    **other: Any,
) -> None:
    assert sender is not None
    if task_id in _internal_errors:
        _internal_errors.discard(task_id)
        return
    requeues_timeouts = sender.acks_late and not getattr(sender, "acks_on_timeout", True)
    if isinstance(exception, TimeLimitExceeded) and requeues_timeouts:
        outcome = "requeued"  # the worker gives the timed-out message back
    elif sender.throws and isinstance(exception, sender.throws):
        outcome = "bad_input"
    else:
        outcome = "failed"
    finished(sender.name, outcome, task_id, kwargs, repr(exception))


def read_counts(folder: str) -> dict[str, dict[str, int]]:
    """Per task name, `accepted` and the count of each outcome, summed over every process
    that has written to the prometheus multiprocess `folder` (ValueError when it is not a
    folder)."""
    from prometheus_client import CollectorRegistry
    from prometheus_client.multiprocess import MultiProcessCollector

    registry = CollectorRegistry()
    MultiProcessCollector(registry, path=folder)  # type: ignore[no-untyped-call]
    counts: dict[str, dict[str, int]] = {}
    for metric in registry.collect():
        for sample in metric.samples:
            task = sample.labels.get("task")
            if task is None:
                continue
            if sample.name == "budget_tasks_accepted_total":
                column = "accepted"
            elif sample.name == "budget_tasks_finished_total":
                column = sample.labels["outcome"]
            else:
                continue
            row = counts.setdefault(task, dict.fromkeys(("accepted", *OUTCOMES), 0))
            row[column] = row.get(column, 0) + int(sample.value)
    return counts
