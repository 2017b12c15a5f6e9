"""The tasks run in this process (Celery's eager `apply`), with the use cases replaced: a
database error is retried, bad arguments are not, and `now` reaches the use case as given
or from the container's clock."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
from dependency_injector import providers
from django.db import OperationalError

from adapters.in_memory.clock import FixedClock
from core.use_cases._refresh import SweepCommand, SweepResult
from core.use_cases.record_spend import (
    EventResult,
    Outcome,
    RecordSpendCommand,
    RecordSpendResult,
)
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
