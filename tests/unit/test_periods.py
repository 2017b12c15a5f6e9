"""Budget days and months start at the brand's local midnight; ResetPeriod starts them."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pytest

from adapters.in_memory import FixedClock, InMemoryStore, RecordingNotifier
from core.entities import AuditEntry, Brand, Campaign, Cause, Hold, Period, Status
from core.use_cases.reset_period import ResetPeriod
from core.use_cases.sweeps import SweepCommand

from .support import App, fields, local_date, money, snapshot, utc, wall

NY = "America/New_York"
HAVANA = "America/Havana"


@pytest.mark.parametrize(
    ("tz", "day_starts", "day_ends", "hours"),
    [
        pytest.param(NY, utc(2026, 3, 8, 5), utc(2026, 3, 9, 4), 23, id="new-york-23-hour-day"),
        pytest.param(NY, utc(2026, 11, 1, 4), utc(2026, 11, 2, 5), 25, id="new-york-25-hour-day"),
        pytest.param(NY, utc(2026, 6, 10, 4), utc(2026, 6, 11, 4), 24, id="new-york-summer"),
        pytest.param(
            "Asia/Kolkata", utc(2026, 6, 9, 18, 30), utc(2026, 6, 10, 18, 30), 24, id="kolkata"
        ),
        pytest.param(
            "Pacific/Kiritimati", utc(2026, 6, 9, 10), utc(2026, 6, 10, 10), 24, id="kiritimati"
        ),
        pytest.param("UTC", utc(2026, 6, 10), utc(2026, 6, 11), 24, id="utc"),
        # Havana skips its midnight on 8 March 2026 (00:00 -05 becomes 01:00 -04): the day
        # before ends, and 8 March begins, at the jump.
        pytest.param(
            HAVANA, utc(2026, 3, 7, 5), utc(2026, 3, 8, 5), 24, id="havana-to-skipped-midnight"
        ),
        pytest.param(
            HAVANA, utc(2026, 3, 8, 5), utc(2026, 3, 9, 4), 23, id="havana-from-skipped-midnight"
        ),
        # ... and reads midnight twice on 1 November 2026 (01:00 -04 becomes 00:00 -05): the
        # day begins at the first reading.
        pytest.param(
            HAVANA, utc(2026, 10, 31, 4), utc(2026, 11, 1, 4), 24, id="havana-to-repeated-midnight"
        ),
        pytest.param(
            HAVANA, utc(2026, 11, 1, 4), utc(2026, 11, 2, 5), 25, id="havana-from-repeated-midnight"
        ),
    ],
)
def test_the_day_rolls_over_at_the_brand_local_midnight(
    app: App, clock: FixedClock, tz: str, day_starts: datetime, day_ends: datetime, hours: int
) -> None:
    assert day_ends - day_starts == timedelta(hours=hours)
    second = timedelta(seconds=1)
    clock.set(day_starts - second)
    campaign = app.campaign(app.brand(timezone=tz), daily="100", monthly="1000")
    app.spend(campaign, "10")  # the last second of the day before
    clock.set(day_starts)
    assert app.daily_spend(campaign) == money("0")
    app.spend(campaign, "30")  # the first instant of the day
    clock.set(day_ends - second)
    app.spend(campaign, "70")  # its last second: the same budget day
    assert app.daily_spend(campaign) == money("100")
    assert app.get(campaign).holds == {Hold.DAILY_BUDGET}

    assert app.reset(day_ends - second).checked == 0
    assert app.get(campaign).holds == {Hold.DAILY_BUDGET}

    clock.set(day_ends)
    result = app.reset()
    stored = app.get(campaign)
    assert result.released == 1 and result.activated == 1
    assert stored.holds == frozenset() and stored.status is Status.ACTIVE
    assert app.daily_spend(campaign) == money("0")
    # This month's spend: whichever of the three events fall in the month now in progress
    # (1 November is both a 25-hour day and the first of a month).
    this_month = local_date(day_ends, tz).replace(day=1)
    events = {day_starts - second: 10, day_starts: 30, day_ends - second: 70}
    expected = sum(a for t, a in events.items() if local_date(t, tz).replace(day=1) == this_month)
    assert app.monthly_spend(campaign) == money(str(expected))
    assert app.store.brand(campaign.brand_id).daily.spend == money("0")


@pytest.mark.parametrize(
    ("tz", "last_day", "next_month_starts"),
    [
        pytest.param("Asia/Kolkata", date(2027, 2, 28), utc(2027, 2, 28, 18, 30), id="28th"),
        pytest.param("Pacific/Kiritimati", date(2028, 2, 29), utc(2028, 2, 29, 10), id="29th"),
        pytest.param(NY, date(2026, 4, 30), utc(2026, 5, 1, 4), id="30th"),
        pytest.param("UTC", date(2026, 1, 31), utc(2026, 2, 1), id="31st"),
        pytest.param(NY, date(2026, 12, 31), utc(2027, 1, 1, 5), id="year-end-new-york"),
        pytest.param(
            "Pacific/Kiritimati", date(2026, 12, 31), utc(2026, 12, 31, 10), id="year-end-plus-14"
        ),
        pytest.param(HAVANA, date(2026, 10, 31), utc(2026, 11, 1, 4), id="31st-repeated-midnight"),
    ],
)
def test_the_month_rolls_over_at_the_local_midnight_after_its_last_day(
    app: App, clock: FixedClock, tz: str, last_day: date, next_month_starts: datetime
) -> None:
    clock.set(next_month_starts - timedelta(minutes=1))
    brand = app.brand(timezone=tz, monthly_budget="80")
    campaign = app.campaign(brand, daily="1000", monthly="50")
    app.spend(campaign, "50")
    stored = app.get(campaign)
    assert stored.monthly.period == last_day.replace(day=1)
    assert stored.daily.period == last_day
    assert stored.holds == {Hold.MONTHLY_BUDGET}
    other = app.campaign(brand, daily="1000", monthly="1000")
    app.spend(other, "30")
    assert app.get(campaign).holds == {Hold.MONTHLY_BUDGET, Hold.BRAND_MONTHLY_BUDGET}

    app.reset(next_month_starts - timedelta(seconds=1))
    assert Hold.MONTHLY_BUDGET in app.get(campaign).holds

    clock.set(next_month_starts)
    result = app.reset()
    assert result.released == 2 and result.brands_reset == 1
    for c in (campaign, other):
        stored = app.get(c)
        assert stored.holds == frozenset() and stored.status is Status.ACTIVE
        assert stored.monthly.period == last_day + timedelta(days=1)
        assert app.monthly_spend(c) == money("0")
    assert app.store.brand(brand.id).monthly.period == last_day + timedelta(days=1)


def test_february_28_is_not_the_last_day_of_a_leap_year_february(
    app: App, clock: FixedClock
) -> None:
    tz = "Pacific/Kiritimati"
    feb_29_starts = utc(2028, 2, 28, 10)  # 2028-02-29 00:00 at +14
    clock.set(feb_29_starts - timedelta(minutes=1))
    campaign = app.campaign(app.brand(timezone=tz), daily="50", monthly="50")
    app.spend(campaign, "50")
    assert app.get(campaign).holds == {Hold.DAILY_BUDGET, Hold.MONTHLY_BUDGET}
    clock.set(feb_29_starts)
    app.reset()
    assert app.get(campaign).holds == {Hold.MONTHLY_BUDGET}
    assert app.monthly_spend(campaign) == money("50")


# -- ResetPeriod -------------------------------------------------------------------------------


def test_a_daily_reset_does_not_release_a_monthly_hold(app: App, clock: FixedClock) -> None:
    clock.set(utc(2026, 6, 15, 22))
    campaign = app.campaign(app.brand(timezone=NY), daily="100", monthly="100")
    app.spend(campaign, "100")
    assert app.get(campaign).holds == {Hold.DAILY_BUDGET, Hold.MONTHLY_BUDGET}
    clock.set(utc(2026, 6, 16, 4))  # midnight in New York
    result = app.reset()
    stored = app.get(campaign)
    assert stored.holds == {Hold.MONTHLY_BUDGET}
    assert stored.status is Status.PAUSED
    assert result.released == 1 and result.activated == 0
    assert app.daily_spend(campaign) == money("0")
    assert app.monthly_spend(campaign) == money("100")


def test_a_daily_reset_releases_the_brand_daily_hold_but_not_the_brand_monthly_one(
    app: App, clock: FixedClock
) -> None:
    brand = app.brand(daily_budget="60", monthly_budget="60")
    spender, idle = app.campaign(brand), app.campaign(brand)
    app.spend(spender, "60")
    both = {Hold.BRAND_DAILY_BUDGET, Hold.BRAND_MONTHLY_BUDGET}
    assert app.get(spender).holds == app.get(idle).holds == both
    clock.set(utc(2026, 6, 16))
    app.reset()
    assert app.get(spender).holds == app.get(idle).holds == {Hold.BRAND_MONTHLY_BUDGET}
    clock.set(utc(2026, 7, 1))
    app.reset()
    assert app.get(spender).status is app.get(idle).status is Status.ACTIVE


def test_reset_period_is_idempotent(app: App, clock: FixedClock) -> None:
    brand = app.brand(timezone=NY, daily_budget="150")
    campaigns = [app.campaign(brand) for _ in range(3)]
    for campaign in campaigns:
        app.spend(campaign, "60")
    clock.set(utc(2026, 6, 16, 4, 0, 30))
    first = app.reset()
    assert first.checked == 3 and first.released == 3 and first.brands_reset == 1
    after_first = snapshot(app.store)
    second = app.reset()
    assert (second.checked, second.released, second.counters_reset, second.brands_reset) == (
        0,
        0,
        0,
        0,
    )
    assert snapshot(app.store) == after_first


def test_reset_before_the_local_midnight_changes_nothing(app: App, clock: FixedClock) -> None:
    campaign = app.campaign(app.brand(timezone=NY))
    app.spend(campaign, "100")
    before = snapshot(app.store)
    result = app.reset(utc(2026, 6, 16, 3, 59, 59))  # 23:59:59 in New York
    assert result.checked == 0
    assert snapshot(app.store) == before


def test_reset_reaches_every_due_campaign_in_small_chunks(app: App, clock: FixedClock) -> None:
    brand = app.brand()
    campaigns = [app.campaign(brand) for _ in range(5)]
    for campaign in campaigns:
        app.spend(campaign, "100")
    result = ResetPeriod(app.store.unit_of_work, chunk_size=2)(SweepCommand(utc(2026, 6, 16)))
    assert result.checked == 5 and result.activated == 5
    assert {app.get(c).status for c in campaigns} == {Status.ACTIVE}


def _observable(entity: Brand | Campaign, tz: str, now: datetime) -> dict[str, Any]:
    """All of an entity's fields, with each counter read as of `now` (a counter of an earlier
    period counts as zero, so the period an empty counter was last moved to says nothing)."""
    state = fields(entity)
    for name, period in (("daily", Period.DAY), ("monthly", Period.MONTH)):
        current = period.containing(now, tz)
        counter = state.pop(name)
        assert counter.period <= current
        state[name] = counter.spend_in(current)
    return state


def _scenario(day_one: datetime) -> tuple[App, list[Campaign]]:
    """Spend on day one that holds campaigns for their own and the brand's budgets."""
    app = App(InMemoryStore(), FixedClock(day_one), RecordingNotifier())
    brand = app.brand("Acme", timezone=NY, daily_budget="150", monthly_budget="5000")
    capped = app.campaign(brand, "capped", daily="100", monthly="250")
    shared = app.campaign(brand, "shared", daily="100", monthly="1000")
    idle = app.campaign(brand, "idle", daily="100", monthly="1000")
    app.spend(capped, "100", key="a")
    app.spend(capped, "150", key="b", at=day_one - timedelta(days=1))
    app.spend(shared, "50", key="c")
    assert app.get(capped).holds >= {Hold.DAILY_BUDGET, Hold.BRAND_DAILY_BUDGET}
    assert app.get(idle).holds == {Hold.BRAND_DAILY_BUDGET}
    return app, [capped, shared, idle]


def _status_changes(entries: list[AuditEntry]) -> list[tuple[Status | None, Status, Cause]]:
    return [
        (e.from_status, e.to_status, e.cause) for e in entries if e.from_status is not e.to_status
    ]


@pytest.mark.parametrize(
    "day_one",
    [
        pytest.param(utc(2026, 6, 15, 20), id="mid-month"),
        pytest.param(utc(2026, 6, 29, 20), id="across-a-month-end"),
        pytest.param(utc(2026, 10, 30, 20), id="across-a-dst-change"),
    ],
)
def test_one_reset_after_three_missed_days_equals_resetting_on_time(day_one: datetime) -> None:
    on_time, campaigns = _scenario(day_one)
    late, _ = _scenario(day_one)
    first_day = local_date(day_one, NY)
    midnights = [
        wall(NY, *(first_day + timedelta(days=n)).timetuple()[:3]) + timedelta(seconds=30)
        for n in (1, 2, 3)
    ]
    for midnight in midnights:
        on_time.clock.set(midnight)
        on_time.reset()
        on_time.reset(midnight + timedelta(hours=12))
    final = midnights[-1] + timedelta(hours=12)
    late.clock.set(final)
    late.reset()
    on_time.clock.set(final)

    for campaign in campaigns:
        expected = _observable(on_time.get(campaign), NY, final)
        assert _observable(late.get(campaign), NY, final) == expected, campaign.name
        # Resetting on time may release holds one day at a time (each an audit entry of
        # its own); the status changes are the same either way.
        assert _status_changes(late.audit(campaign)) == _status_changes(on_time.audit(campaign))
    brand_id = on_time.get(campaigns[0]).brand_id
    assert _observable(late.store.brand(brand_id), NY, final) == _observable(
        on_time.store.brand(brand_id), NY, final
    )
    capped = late.get(campaigns[0])
    crossed_month = local_date(final, NY).month != first_day.month
    assert capped.holds == (frozenset() if crossed_month else {Hold.MONTHLY_BUDGET})


def test_each_brand_rolls_over_at_its_own_midnight(app: App, clock: FixedClock) -> None:
    clock.set(utc(2026, 6, 15, 12))
    zones = ["Pacific/Kiritimati", "Asia/Kolkata", "UTC", NY]
    campaigns = {tz: app.campaign(app.brand(timezone=tz), daily="10") for tz in zones}
    for campaign in campaigns.values():
        app.spend(campaign, "10")
    midnights = [  # the next local midnight of each, in UTC order
        ("Asia/Kolkata", utc(2026, 6, 15, 18, 30)),
        ("UTC", utc(2026, 6, 16)),
        (NY, utc(2026, 6, 16, 4)),
        ("Pacific/Kiritimati", utc(2026, 6, 16, 10)),  # already 16 June 02:00 there at the start
    ]
    for n, (tz, midnight) in enumerate(midnights):
        app.reset(midnight - timedelta(seconds=1))
        assert app.get(campaigns[tz]).holds == {Hold.DAILY_BUDGET}, tz
        result = app.reset(midnight)
        assert result.activated == 1, tz
        released = {z for z, c in campaigns.items() if app.get(c).status is Status.ACTIVE}
        assert released == {z for z, _ in midnights[: n + 1]}
