"""The tasks run in this process (Celery's eager `apply`), with the use cases replaced: a
database error is retried (a spend batch without limit, and back onto the queue when its
retry cannot be published), bad arguments are not, and `now` reaches the use case as given
or from the container's clock. And the result backend never raises because the database
is unreachable."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
from celery.exceptions import Reject, SoftTimeLimitExceeded
from dependency_injector import providers
from django.db import InterfaceError, OperationalError

from adapters.in_memory.clock import FixedClock
from core.use_cases.record_spend import (
    EventResult,
    Outcome,
    RecordSpendCommand,
    RecordSpendResult,
)
from core.use_cases.sweeps import SweepCommand, SweepResult
from entrypoints import tasks
from entrypoints.container import Container, get_container

from .conftest import NOW


@pytest.fixture
def container() -> Iterator[Container]:
    container = get_container()
    container.clock.override(providers.Object(FixedClock(NOW)))
    yield container
    container.reset_override()


class FailsFirst:
    """RecordSpend that meets a locked database on its first `failures` calls."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.calls: list[RecordSpendCommand] = []

    def __call__(self, command: RecordSpendCommand) -> RecordSpendResult:
        self.calls.append(command)
        if len(self.calls) <= self.failures:
            raise OperationalError("database is locked")
        return RecordSpendResult((EventResult("k1", Outcome.RECORDED),))


class SeesNow:
    def __init__(self) -> None:
        self.seen: list[datetime] = []

    def __call__(self, command: SweepCommand) -> SweepResult:
        self.seen.append(command.now)
        return SweepResult()


def test_a_database_error_is_retried_until_the_use_case_succeeds(container: Container) -> None:
    use_case = FailsFirst(failures=2)
    container.record_spend.override(providers.Object(use_case))

    result = tasks.record_spend.apply(
        kwargs={"events": [{"campaign_id": 1, "amount": "1", "key": "k1"}]}
    )

    assert result.successful(), result.traceback
    assert result.get()["recorded"] == 1
    assert len(use_case.calls) == 3
    assert use_case.calls[-1].actor == "system"


@pytest.mark.parametrize("now", ["2026-06-12T12:00", "yesterday"])
def test_a_bad_now_fails_at_once_and_names_the_argument(container: Container, now: str) -> None:
    use_case = SeesNow()
    container.reset_period.override(providers.Object(use_case))

    result = tasks.reset_periods.apply(kwargs={"now": now})

    assert result.failed()
    assert isinstance(result.result, tasks.BadTaskInput)
    assert "now" in str(result.result)
    assert use_case.seen == []


@pytest.mark.parametrize(
    ("task", "provider"),
    [
        ("reset_periods", "reset_period"),
        ("apply_dayparting", "apply_dayparting"),
        ("check_flight", "check_flight"),
        ("enforce_budgets", "enforce_budgets"),
    ],
)
def test_a_sweep_runs_as_of_the_given_instant_or_the_clock(
    container: Container, task: str, provider: str
) -> None:
    use_case = SeesNow()
    getattr(container, provider).override(providers.Object(use_case))
    sweep: Any = getattr(tasks, task)

    given = sweep.apply(kwargs={"now": "2026-03-01T05:30:00Z"}).get()
    clock = sweep.apply().get()

    assert [t.isoformat() for t in use_case.seen] == [
        "2026-03-01T05:30:00+00:00",
        NOW.isoformat(),
    ]
    assert (given["now"], clock["now"]) == ("2026-03-01T05:30:00+00:00", NOW.isoformat())
    assert given["checked"] == 0


class Raises:
    """A use case that raises `error` on its first `failures` calls, then records."""

    def __init__(self, error: Exception, failures: int) -> None:
        self.error = error
        self.failures = failures
        self.calls = 0

    def __call__(self, command: RecordSpendCommand) -> RecordSpendResult:
        self.calls += 1
        if self.calls <= self.failures:
            raise self.error
        return RecordSpendResult((EventResult("k1", Outcome.RECORDED),))


EVENTS = {"events": [{"campaign_id": 1, "amount": "1", "key": "k1"}]}


@pytest.mark.parametrize(
    "error",
    [
        OperationalError("connection refused"),
        InterfaceError("connection already closed"),
        SoftTimeLimitExceeded(),  # a database that stopped answering
    ],
    ids=["unreachable", "connection-lost", "soft-time-limit"],
)
def test_a_spend_batch_is_retried_for_as_long_as_the_database_is_unavailable(
    container: Container, error: Exception
) -> None:
    use_case = Raises(error, failures=25)
    container.record_spend.override(providers.Object(use_case))

    result = tasks.record_spend.apply(kwargs=EVENTS)

    assert result.successful(), result.traceback
    assert use_case.calls == 26


def test_a_sweep_gives_up_after_ten_retries_for_the_next_tick_to_catch_up(
    container: Container,
) -> None:
    calls: list[SweepCommand] = []

    def unreachable(command: SweepCommand) -> SweepResult:
        calls.append(command)
        raise OperationalError("connection refused")

    container.reset_period.override(providers.Object(unreachable))

    result = tasks.reset_periods.apply(kwargs={"now": "2026-03-01T05:30:00Z"})

    assert result.failed()
    assert isinstance(result.result, OperationalError)
    assert len(calls) == 11


def test_a_spend_batch_whose_retry_cannot_be_queued_goes_back_to_the_queue(
    container: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Celery answers a retry it cannot publish with a Reject *without* requeue, which
    would drop the message; the task turns it into a requeue."""
    container.record_spend.override(
        providers.Object(Raises(OperationalError("connection refused"), failures=1))
    )

    def retry_not_published(**options: Any) -> None:
        raise Reject(ConnectionError("broker unreachable"), requeue=False)

    monkeypatch.setattr(tasks.record_spend, "retry", retry_not_published)

    result = tasks.record_spend.apply(kwargs=EVENTS)

    assert result.state == "REJECTED"
    assert isinstance(result.result, Reject)
    assert result.result.requeue is True


@pytest.mark.django_db(transaction=True)
def test_the_result_backend_logs_and_goes_on_when_the_database_is_unreachable(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Every state Celery stores (STARTED before the body, RETRY and FAILURE from its error
    handling and from the worker's main process, SUCCESS after it) is skipped with a
    warning instead of raising; once the database answers again, states are stored."""
    from django_celery_results.models import TaskResult

    backend = tasks.app.backend
    with monkeypatch.context() as patch:

        def unreachable(**fields: Any) -> None:
            raise OperationalError('connection to server at "127.0.0.1" failed\n\tdetails')

        patch.setattr(TaskResult._default_manager, "store_result", unreachable)
        backend.mark_as_started("t-1")
        backend.mark_as_retry("t-1", OperationalError("down"))
        backend.mark_as_failure("t-1", RuntimeError("boom"))
        backend.mark_as_done("t-1", {"recorded": 1})
        backend.store_result("t-1", None, "REVOKED")

    skipped = [r for r in caplog.records if "was not stored" in r.getMessage()]
    assert [r.levelname for r in skipped] == ["WARNING"] * 5
    assert "STARTED state was not stored (database unavailable: connection to server" in (
        skipped[0].getMessage()
    )
    assert not TaskResult.objects.filter(task_id="t-1").exists()

    backend.mark_as_done("t-1", {"recorded": 1})
    assert TaskResult.objects.get(task_id="t-1").status == "SUCCESS"


def count(name: str, **labels: str) -> float:
    from prometheus_client import REGISTRY

    return REGISTRY.get_sample_value(name, labels) or 0.0


class FakeRequest:
    """What the worker's main process passes with task_received and task_revoked."""

    def __init__(self, task_id: str, name: str) -> None:
        self.id = task_id
        self.name = self.task = name


def test_an_error_outside_a_spend_tasks_body_counts_once_and_is_logged_as_lost_spend(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A pool process reports such an error first as an internal error, then as a failure
    (Celery's tracer does both): one delivery, one outcome."""
    from celery import signals

    name = "budget.record_spend"
    before = {
        o: count("budget_tasks_finished_total", task=name, outcome=o)
        for o in ("internal_error", "failed")
    }
    error = RuntimeError("state store broke")
    kwargs = {"events": [{"key": "a"}, {"key": "b"}]}
    signals.task_internal_error.send(
        sender=tasks.record_spend, task_id="t-internal", kwargs=kwargs, exception=error
    )
    signals.task_failure.send(
        sender=tasks.record_spend, task_id="t-internal", kwargs=kwargs, exception=error
    )

    after = {o: count("budget_tasks_finished_total", task=name, outcome=o) for o in before}
    assert (
        after["internal_error"] - before["internal_error"],
        after["failed"] - before["failed"],
    ) == (1, 0)
    lost = [r for r in caplog.records if r.getMessage().startswith("Lost spend")]
    assert [r.levelname for r in lost] == ["ERROR"]
    assert "task t-internal (budget.record_spend) with 2 events ended in internal_error" in (
        lost[0].getMessage()
    )


def test_a_task_expired_on_arrival_counts_as_taken_once_like_one_revoked_later() -> None:
    """An expired tick is announced revoked without being announced received; one revoked
    after its receipt was already counted as taken."""
    from celery import signals

    name = "budget.reset_periods"
    accepted = count("budget_tasks_accepted_total", task=name)
    revoked = count("budget_tasks_finished_total", task=name, outcome="revoked")

    signals.task_revoked.send(sender=tasks.reset_periods, request=FakeRequest("t-expired", name))
    signals.task_received.send(sender=None, request=FakeRequest("t-later", name))
    signals.task_revoked.send(sender=tasks.reset_periods, request=FakeRequest("t-later", name))

    assert count("budget_tasks_accepted_total", task=name) - accepted == 2
    assert count("budget_tasks_finished_total", task=name, outcome="revoked") - revoked == 2
