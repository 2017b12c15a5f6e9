"""The one pure function: holds from campaign, brand and instant; status from state and holds."""

from __future__ import annotations

from datetime import date, time

import attrs
import pytest

from core.entities import (
    Brand,
    BrandId,
    Campaign,
    CampaignId,
    Counter,
    Hold,
    State,
    Status,
    compute_holds,
    derive_status,
)
from core.entities.schedule import Window

from .support import money, utc, wall


def _brand(**overrides: object) -> Brand:
    brand = Brand(id=BrandId(1), name="Acme", timezone="America/New_York")
    return attrs.evolve(brand, **overrides)


def _campaign(**overrides: object) -> Campaign:
    campaign = Campaign(
        id=CampaignId(1),
        brand_id=BrandId(1),
        name="Spring",
        daily_budget=money("100"),
        monthly_budget=money("1000"),
        start_date=date(2026, 1, 1),
        state=State.ENABLED,
    )
    return attrs.evolve(campaign, **overrides)


NOW = wall("America/New_York", 2026, 6, 15, 12, 0)  # Monday noon in New York


def test_a_started_unrestricted_campaign_under_budget_has_no_hold() -> None:
    assert compute_holds(_campaign(), _brand(), NOW) == frozenset()


def test_compute_holds_is_pure_and_leaves_its_inputs_alone() -> None:
    campaign = _campaign(daily=Counter(date(2026, 6, 15), money("100")))
    brand = _brand()
    before = (attrs.asdict(campaign), attrs.asdict(brand))
    first = compute_holds(campaign, brand, NOW)
    assert compute_holds(campaign, brand, NOW) == first == {Hold.DAILY_BUDGET}
    assert (attrs.asdict(campaign), attrs.asdict(brand)) == before


def test_spend_equal_to_the_daily_budget_is_a_daily_hold() -> None:
    campaign = _campaign(daily=Counter(date(2026, 6, 15), money("100")))
    assert compute_holds(campaign, _brand(), NOW) == {Hold.DAILY_BUDGET}


def test_spend_a_micro_below_the_budget_is_no_hold() -> None:
    campaign = _campaign(daily=Counter(date(2026, 6, 15), money("99.999999")))
    assert compute_holds(campaign, _brand(), NOW) == frozenset()


def test_counter_of_an_earlier_period_counts_as_zero() -> None:
    campaign = _campaign(
        daily=Counter(date(2026, 6, 14), money("100")),
        monthly=Counter(date(2026, 5, 1), money("1000")),
    )
    assert compute_holds(campaign, _brand(), NOW) == frozenset()


def test_today_is_the_brand_local_day_not_the_utc_day() -> None:
    # 2026-06-16 01:00 UTC is still 2026-06-15 in New York.
    campaign = _campaign(daily=Counter(date(2026, 6, 15), money("100")))
    assert compute_holds(campaign, _brand(), utc(2026, 6, 16, 1)) == {Hold.DAILY_BUDGET}
    assert compute_holds(campaign, _brand(), utc(2026, 6, 16, 4)) == frozenset()


def test_brand_budgets_and_inactive_brand_are_holds() -> None:
    brand = _brand(
        daily_budget=money("50"),
        monthly_budget=money("500"),
        daily=Counter(date(2026, 6, 15), money("50")),
        monthly=Counter(date(2026, 6, 1), money("500")),
        is_active=False,
    )
    assert compute_holds(_campaign(), brand, NOW) == {
        Hold.BRAND_DAILY_BUDGET,
        Hold.BRAND_MONTHLY_BUDGET,
        Hold.BRAND_INACTIVE,
    }


def test_flight_dates_are_brand_local_and_inclusive() -> None:
    campaign = _campaign(start_date=date(2026, 6, 15), end_date=date(2026, 6, 16))
    tz = "America/New_York"
    assert Hold.NOT_STARTED in compute_holds(campaign, _brand(), wall(tz, 2026, 6, 14, 23, 59))
    assert compute_holds(campaign, _brand(), wall(tz, 2026, 6, 15, 0, 0)) == frozenset()
    assert compute_holds(campaign, _brand(), wall(tz, 2026, 6, 16, 23, 59)) == frozenset()
    assert compute_holds(campaign, _brand(), wall(tz, 2026, 6, 17, 0, 0)) == {Hold.ENDED}


def test_outside_every_window_is_a_schedule_hold() -> None:
    campaign = _campaign(windows=(Window(1, time(9), time(17)),))
    assert compute_holds(campaign, _brand(), NOW) == frozenset()
    evening = wall("America/New_York", 2026, 6, 15, 17, 0)
    assert compute_holds(campaign, _brand(), evening) == {Hold.OUTSIDE_SCHEDULE}


ALL_HOLDS = frozenset(Hold)


@pytest.mark.parametrize(
    ("state", "holds", "status"),
    [
        (State.DRAFT, frozenset(), Status.DRAFT),
        (State.DRAFT, ALL_HOLDS, Status.DRAFT),
        (State.ENABLED, frozenset(), Status.ACTIVE),
        (State.ENABLED, {Hold.OUTSIDE_SCHEDULE}, Status.PAUSED),
        (State.ENABLED, {Hold.DAILY_BUDGET}, Status.PAUSED),
        (State.PAUSED, frozenset(), Status.PAUSED),
        (State.ENABLED, {Hold.ENDED}, Status.COMPLETED),
        (State.ENABLED, ALL_HOLDS, Status.COMPLETED),
        (State.PAUSED, {Hold.ENDED}, Status.COMPLETED),
        (State.PAUSED, ALL_HOLDS, Status.COMPLETED),
    ],
)
def test_status_is_derived_from_state_and_holds_with_ended_outranking_the_rest(
    state: State, holds: frozenset[Hold], status: Status
) -> None:
    assert derive_status(state, frozenset(holds)) is status


@pytest.mark.parametrize("hold", list(Hold))
def test_any_single_hold_stops_an_enabled_campaign(hold: Hold) -> None:
    assert derive_status(State.ENABLED, frozenset({hold})) is not Status.ACTIVE
