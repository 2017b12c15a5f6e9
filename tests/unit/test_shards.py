"""Sweeps split into shards: every campaign lands in exactly one, a brand's campaigns all in
the same one, and a sharded sweep does exactly what a whole one does."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any, TypeVar

import pytest

from adapters.in_memory import FixedClock, InMemoryStore, RecordingNotifier
from core.entities import EVERY, BrandId, Money, Shard
from core.use_cases.apply_dayparting import ApplyDayparting
from core.use_cases.due_sweep import DueSweep
from core.use_cases.flight import CheckFlight
from core.use_cases.reset_period import ResetPeriod
from core.use_cases.runners import InOrder
from core.use_cases.sweeps import SweepCommand

from .support import App, snapshot, utc, window

START = utc(2026, 3, 2, 6)  # a Monday
T = TypeVar("T")


def test_shards_part_brands_without_overlap() -> None:
    shards = Shard.split(3)
    for brand in range(1, 40):
        assert sum(s.has(BrandId(brand)) for s in shards) == 1
    assert all(EVERY.has(BrandId(b)) for b in range(1, 40))
    with pytest.raises(ValueError, match="shard 3 of 3 does not exist"):
        Shard(3, 3)
    with pytest.raises(ValueError, match="shard 0 of 0"):
        Shard(0, 0)


def test_in_order_runs_every_job_and_raises_the_first_failure_last() -> None:
    ran: list[int] = []

    def job(n: int) -> int:
        ran.append(n)
        if n in (1, 2):
            raise RuntimeError(f"job {n} failed")
        return n

    assert InOrder().run_all([lambda n=n: job(n) for n in (0, 3)]) == [0, 3]
    with pytest.raises(RuntimeError, match="job 1 failed"):
        InOrder().run_all([lambda n=n: job(n) for n in range(4)])
    assert ran == [0, 3, 0, 1, 2, 3]


def _world(shards: int) -> App:
    app = App(InMemoryStore(), FixedClock(START), RecordingNotifier(), shards=shards, chunk_size=3)
    for b in range(5):
        brand = app.brand(f"Brand {b}", ("UTC", "Asia/Tokyo", "America/New_York")[b % 3])
        for c in range(4):
            campaign = app.campaign(
                brand,
                f"b{b}c{c}",
                daily="10",
                windows=[window(1, "08:00", "12:00")] if c % 2 else [],
                end=(START + timedelta(days=2 + c)).date(),
            )
            app.spend(campaign, "6")
    return app


@pytest.mark.parametrize("shards", [2, 3, 7])
def test_a_sharded_sweep_does_what_a_whole_one_does(shards: int) -> None:
    whole, split = _world(1), _world(shards)
    for app in (whole, split):
        for campaign in app.store.state.campaigns.values():
            campaign.daily_budget = Money.of(5)  # today's 6 now over budget, and no hold yet
    results = [app.enforce_budgets(SweepCommand(START)) for app in (whole, split)]
    assert results[0] == results[1]
    assert results[0].held == 20
    assert _state(split) == _state(whole)
    for hours in (3, 7, 20, 50, 24 * 5):
        now = START + timedelta(hours=hours)
        for app in (whole, split):
            app.clock.set(now)
            results = [
                getattr(app, name)(SweepCommand(now))
                for name in ("reset_period", "apply_dayparting", "check_flight")
            ]
        assert _state(split) == _state(whole)
    assert sum(r.checked for r in results) > 0


def _state(app: App) -> dict[str, Any]:
    """The committed state; shards write their audit entries in their own order."""
    state = snapshot(app.store)
    state["audit"] = sorted(state["audit"], key=lambda e: (e.campaign_id, e.at))
    return state


class _CountingRunner(InOrder):
    def __init__(self) -> None:
        self.runs = 0

    def run_all(self, jobs: Sequence[Callable[[], T]]) -> list[T]:
        self.runs += 1
        return super().run_all(jobs)


# EnforceBudgets is checked on the database (tests/integration/test_shards.py): the
# in-memory adapter names every campaign a budget candidate.
@pytest.mark.parametrize("sweep", [ApplyDayparting, CheckFlight, ResetPeriod])
def test_a_sweep_with_nothing_due_starts_no_shard(sweep: type[DueSweep]) -> None:
    app = _world(1)
    runner = _CountingRunner()
    use_case = sweep(app.store.unit_of_work, shards=2, runner=runner)
    assert use_case(SweepCommand(START)).checked == 0
    assert runner.runs == 0
    later = START + timedelta(days=40)  # every campaign ended, every period rolled
    assert use_case(SweepCommand(later)).checked > 0
    assert runner.runs == 1
