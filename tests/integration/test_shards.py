"""Sweeps in shards at once, on the real database: ThreadRunner runs jobs in parallel on
connections of their own and closes them, and a sharded sweep refreshes every due
campaign exactly once."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import pytest
from django.db import connection, connections

from adapters.django_orm import models
from adapters.django_orm.runner import ThreadRunner
from core.use_cases.apply_dayparting import ApplyDayparting
from core.use_cases.enforce_budgets import EnforceBudgets
from core.use_cases.sweeps import SweepCommand

from .conftest import NOW, bulk_campaigns

BRANDS, PER_BRAND = 5, 12
T = TypeVar("T")


def test_jobs_run_at_once_and_close_their_connections(transactional_db: None) -> None:
    meeting = threading.Barrier(2, timeout=10)
    used: list[Any] = []

    def job(n: int) -> int:
        meeting.wait()  # both jobs must be running at the same time to get past this
        with connection.cursor() as cursor:
            cursor.execute("SELECT %s", [n])
            (value,) = cursor.fetchone()
        used.append((threading.get_ident(), connections["default"]))
        return int(value)

    assert ThreadRunner(2).run_all([lambda: job(1), lambda: job(2)]) == [1, 2]
    (caller,) = [c for thread, c in used if thread == threading.get_ident()]
    (other,) = [c for thread, c in used if thread != threading.get_ident()]
    assert other is not caller
    assert other.connection is None  # closed when its job ended
    assert caller.connection is not None  # the caller's own stays open


def test_a_failing_job_fails_the_run_after_the_others_finish(transactional_db: None) -> None:
    finished = threading.Event()

    def slow() -> int:
        finished.wait(0.2)
        finished.set()
        return 1

    def broken() -> int:
        raise RuntimeError("shard 0 failed")

    with pytest.raises(RuntimeError, match="shard 0 failed"):
        ThreadRunner(2).run_all([broken, slow])
    assert finished.is_set()


def _load() -> int:
    """BRANDS brands (odd and even ids) of PER_BRAND active campaigns, all due for
    dayparting at NOW."""
    for b in range(BRANDS):
        bulk_campaigns(f"Brand {b}", ("UTC", "Asia/Tokyo")[b % 2], PER_BRAND, schedule_due_at=NOW)
    return BRANDS * PER_BRAND


@pytest.mark.parametrize("shards", [2, 3])
def test_a_sharded_sweep_refreshes_every_due_campaign_once(
    django_uow: Callable[[], Any], shards: int
) -> None:
    total = _load()
    sweep = {"chunk_size": 7, "shards": shards, "runner": ThreadRunner(shards)}
    result = ApplyDayparting(django_uow, **sweep)(SweepCommand(NOW))
    assert result.checked == total
    assert not models.Campaign.objects.filter(schedule_due_at__lte=NOW).exists()
    models.Campaign.objects.update(daily_budget=1, daily_spend=5)  # over budget, not held
    result = EnforceBudgets(django_uow, **sweep)(SweepCommand(NOW))
    assert (result.checked, result.held) == (total, total)
    assert models.StatusChange.objects.count() == total


class _CountingRunner(ThreadRunner):
    def __init__(self, workers: int) -> None:
        super().__init__(workers)
        self.runs = 0

    def run_all(self, jobs: Sequence[Callable[[], T]]) -> list[T]:
        self.runs += 1
        return super().run_all(jobs)


def test_budget_enforcement_with_nothing_out_of_line_starts_no_shard(
    django_uow: Callable[[], Any],
) -> None:
    _load()
    runner = _CountingRunner(2)
    enforce = EnforceBudgets(django_uow, shards=2, runner=runner)
    assert enforce(SweepCommand(NOW)).checked == 0
    assert runner.runs == 0
    models.Campaign.objects.filter(name="c3").update(daily_budget=1, daily_spend=5)
    assert enforce(SweepCommand(NOW)).held == BRANDS
    assert runner.runs == 1
