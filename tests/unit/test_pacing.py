"""Pacing and forecasts (SPEC §8): scheduled time inside windows and flight dates on the
brand's wall clock, expected spend, pace, forecast, run-out and the band's tolerance."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.entities import (
    Alert,
    AlertKey,
    AlertKind,
    Brand,
    BrandId,
    Campaign,
    CampaignId,
    Counter,
    Money,
    PaceBand,
    Period,
    PeriodPlan,
    State,
    Subject,
    Window,
)
from core.entities.pacing import pace
from core.entities.schedule import in_schedule, parse_windows
from core.entities.time import day_end, day_start

from .support import money, utc, wall, window

BERLIN = "Europe/Berlin"
SPRING_FORWARD = date(2026, 3, 29)  # Berlin: 02:00 -> 03:00, a 23-hour day
FALL_BACK = date(2026, 10, 25)  # Berlin: 03:00 -> 02:00, a 25-hour day
H = timedelta(hours=1)


def day_plan(day: date, tz: str = "UTC", windows: tuple[Window, ...] = ()) -> PeriodPlan:
    return PeriodPlan(day_start(day, tz), day_end(day, tz), windows, tz)


def month_plan(
    month: date,
    tz: str = "UTC",
    windows: tuple[Window, ...] = (),
    flight: tuple[date | None, date | None] = (None, None),
) -> PeriodPlan:
    end = date(month.year + month.month // 12, month.month % 12 + 1, 1)
    return PeriodPlan(day_start(month, tz), day_start(end, tz), windows, tz, *flight)


def windows(*raw: dict[str, object]) -> tuple[Window, ...]:
    return parse_windows(raw)


def campaign(
    *,
    daily: str = "100",
    monthly: str = "1000",
    start: date = date(2026, 5, 1),
    end: date | None = None,
    spent_today: tuple[date, str] | None = None,
    spent_month: tuple[date, str] | None = None,
    schedule: tuple[Window, ...] = (),
) -> Campaign:
    c = Campaign(
        id=CampaignId(7),
        brand_id=BrandId(1),
        name="Spring sale",
        daily_budget=money(daily),
        monthly_budget=money(monthly),
        start_date=start,
        end_date=end,
        state=State.ENABLED,
        windows=schedule,
    )
    if spent_today is not None:
        c.daily = Counter(spent_today[0], money(spent_today[1]))
    if spent_month is not None:
        c.monthly = Counter(spent_month[0], money(spent_month[1]))
    return c


# -- scheduled time ------------------------------------------------------------------------


def test_a_spring_forward_day_has_23_scheduled_hours_and_expects_by_real_hours() -> None:
    plan = day_plan(SPRING_FORWARD, BERLIN)
    assert plan.scheduled == 23 * H
    noon = wall(BERLIN, 2026, 3, 29, 12)  # 11 real hours after local midnight
    assert plan.elapsed(noon) == 11 * H
    assert plan.expected(money("23"), noon) == money("11")


def test_a_fall_back_day_has_25_scheduled_hours_and_expects_by_real_hours() -> None:
    plan = day_plan(FALL_BACK, BERLIN)
    assert plan.scheduled == 25 * H
    noon = wall(BERLIN, 2026, 10, 25, 12)  # 13 real hours after local midnight
    assert plan.elapsed(noon) == 13 * H
    assert plan.expected(money("25"), noon) == money("13")


def test_the_hourly_rate_divides_by_scheduled_hours_not_clock_hours() -> None:
    assert day_plan(FALL_BACK, BERLIN).hourly_rate(money("50")) == money("2")  # 25 hours
    nine_to_five = windows({"day_of_week": 1, "start_time": "09:00", "end_time": "17:00"})
    monday = date(2026, 6, 15)
    assert day_plan(monday, windows=nine_to_five).hourly_rate(money("20")) == money("2.5")
    assert day_plan(date(2026, 6, 16), windows=nine_to_five).hourly_rate(money("20")) is None


def test_a_window_over_the_repeated_hour_counts_it_twice() -> None:
    # Sunday 02:00-03:00 on the fall-back day: the wall clock reads it twice.
    plan = day_plan(FALL_BACK, BERLIN, windows(window(7, "02:00", "03:00")))
    assert plan.scheduled == 2 * H


def test_a_window_over_the_skipped_hour_counts_only_the_hour_that_exists() -> None:
    # Sunday 02:00-04:00 on the spring-forward day: 02:00-03:00 never happens.
    plan = day_plan(SPRING_FORWARD, BERLIN, windows(window(7, "02:00", "04:00")))
    assert plan.scheduled == 1 * H


def test_a_window_past_midnight_counts_on_both_days() -> None:
    overnight = windows(window(5, "22:00", "02:00"))  # Friday 22:00 to Saturday 02:00
    # December 2026 has four Fridays (4, 11, 18, 25), each followed by its Saturday.
    assert month_plan(date(2026, 12, 1), BERLIN, overnight).scheduled == 16 * H
    saturday = day_plan(date(2026, 12, 5), BERLIN, overnight)
    assert saturday.scheduled == 2 * H
    assert saturday.elapsed(wall(BERLIN, 2026, 12, 5, 1)) == 1 * H
    assert saturday.elapsed(wall(BERLIN, 2026, 12, 5, 20)) == 2 * H
    friday = day_plan(date(2026, 12, 4), BERLIN, overnight)
    assert friday.scheduled == 2 * H
    assert friday.elapsed(wall(BERLIN, 2026, 12, 4, 21)) == timedelta(0)


def test_overlapping_windows_count_their_union_once() -> None:
    plan = day_plan(
        date(2026, 6, 15), "UTC", windows(window(1, "09:00", "12:00"), window(1, "11:00", "13:00"))
    )
    assert plan.scheduled == 4 * H


def test_a_campaign_starting_mid_month_is_scheduled_from_its_start_date() -> None:
    c = campaign(start=date(2026, 6, 16))
    plan = c.plan(Period.MONTH, utc(2026, 6, 20), "UTC")
    assert (plan.start, plan.end) == (utc(2026, 6, 1), utc(2026, 7, 1))
    assert plan.scheduled == timedelta(days=15)  # 16th to 30th
    assert plan.elapsed(utc(2026, 6, 10)) == timedelta(0)
    assert plan.elapsed(utc(2026, 6, 23)) == timedelta(days=7)
    assert plan.expected(money("1500"), utc(2026, 6, 23)) == money("700")


def test_a_campaign_ending_mid_month_expects_its_whole_budget_by_its_end_date() -> None:
    c = campaign(end=date(2026, 6, 10))
    plan = c.plan(Period.MONTH, utc(2026, 6, 5), "UTC")
    assert plan.scheduled == timedelta(days=10)
    assert plan.expected(money("1000"), utc(2026, 6, 11)) == money("1000")


def test_the_lifetime_plan_runs_over_the_whole_flight_and_needs_an_end_date() -> None:
    assert campaign(end=None).lifetime_plan("UTC") is None
    flight = campaign(
        start=date(2026, 6, 1), end=date(2026, 6, 14), schedule=windows(window(1, "09:00", "17:00"))
    )
    plan = flight.lifetime_plan(BERLIN)
    assert plan is not None
    assert (plan.start, plan.end) == (wall(BERLIN, 2026, 6, 1), wall(BERLIN, 2026, 6, 15))
    assert plan.scheduled == 16 * H  # two Mondays of eight hours


def test_instant_after_finds_the_moment_inside_the_windows() -> None:
    plan = day_plan(
        date(2026, 6, 15), "UTC", windows(window(1, "09:00", "11:00"), window(1, "15:00", "17:00"))
    )
    assert plan.instant_after(timedelta(minutes=90)) == utc(2026, 6, 15, 10, 30)
    assert plan.instant_after(3 * H) == utc(2026, 6, 15, 16)
    assert plan.instant_after(4 * H) == utc(2026, 6, 15, 17)
    assert plan.instant_after(4 * H + timedelta(seconds=1)) is None


# -- pace, band and tolerance --------------------------------------------------------------


def test_no_pace_and_no_band_before_any_scheduled_time_elapsed() -> None:
    plan = day_plan(date(2026, 6, 15), "UTC", windows(window(1, "09:00", "17:00")))
    p = pace(plan, "daily", money("5"), money("100"), utc(2026, 6, 15, 8))
    assert (p.expected, p.pace, p.band) == (Money.zero(), None, None)
    assert p.elapsed_share == 0
    assert p.tolerance == Decimal("0.25")
    assert not p.alertable


def test_a_period_without_scheduled_time_has_no_pace() -> None:
    c = campaign(start=date(2026, 7, 1))  # starts next month
    p = c.pacing(Period.MONTH, utc(2026, 6, 20), "UTC")
    assert (p.pace, p.band, p.expected, p.forecast) == (None, None, Money.zero(), Money.zero())


def test_the_tolerance_falls_from_a_quarter_at_the_start_to_a_hundredth_at_the_end() -> None:
    plan = day_plan(date(2026, 6, 15))
    start = pace(plan, "daily", money("1"), money("100"), utc(2026, 6, 15, 0, 1))
    middle = pace(plan, "daily", money("1"), money("100"), utc(2026, 6, 15, 12))
    end = pace(plan, "daily", money("1"), money("100"), utc(2026, 6, 16))
    assert start.tolerance == Decimal("0.249833")  # one minute in
    assert middle.tolerance == Decimal("0.13")
    assert end.tolerance == Decimal("0.01")


@pytest.mark.parametrize(
    ("spend", "band"),
    [
        ("43.49", PaceBand.UNDER),
        ("43.5", PaceBand.ON),
        ("56.5", PaceBand.ON),
        ("56.51", PaceBand.OVER),
    ],
)
def test_the_band_at_half_time_allows_thirteen_percent_either_way(
    spend: str, band: PaceBand
) -> None:
    p = pace(day_plan(date(2026, 6, 15)), "daily", money(spend), money("100"), utc(2026, 6, 15, 12))
    assert p.expected == money("50")
    assert p.band == band


@pytest.mark.parametrize(
    ("spend", "band"),
    [
        ("98.99", PaceBand.UNDER),
        ("99", PaceBand.ON),
        ("101", PaceBand.ON),
        ("101.01", PaceBand.OVER),
    ],
)
def test_the_band_at_the_end_allows_one_percent_either_way(spend: str, band: PaceBand) -> None:
    p = pace(day_plan(date(2026, 6, 15)), "daily", money(spend), money("100"), utc(2026, 6, 16))
    assert p.band == band


def test_pacing_is_alertable_only_off_pace_and_after_a_quarter_of_the_period() -> None:
    plan = day_plan(date(2026, 6, 15))
    early = pace(plan, "daily", money("50"), money("100"), utc(2026, 6, 15, 5, 59))
    quarter = pace(plan, "daily", money("50"), money("100"), utc(2026, 6, 15, 6))
    on_pace = pace(plan, "daily", money("50"), money("100"), utc(2026, 6, 15, 12))
    assert (early.band, early.alertable) == (PaceBand.OVER, False)
    assert (quarter.band, quarter.alertable) == (PaceBand.OVER, True)
    assert (on_pace.band, on_pace.alertable) == (PaceBand.ON, False)


# -- forecast and run-out ------------------------------------------------------------------


def test_the_forecast_extends_the_rate_so_far_over_the_scheduled_time_left() -> None:
    p = pace(day_plan(date(2026, 6, 15)), "daily", money("10"), money("100"), utc(2026, 6, 15, 6))
    assert p.forecast == money("40")  # 10 in 6 hours, 18 hours to go
    assert p.run_out is None


def test_run_out_is_when_the_forecast_reaches_the_budget() -> None:
    p = pace(day_plan(date(2026, 6, 15)), "daily", money("50"), money("100"), utc(2026, 6, 15, 6))
    assert p.forecast == money("200")
    assert p.run_out == utc(2026, 6, 15, 12)


def test_run_out_skips_the_time_between_windows() -> None:
    plan = day_plan(
        date(2026, 6, 15), "UTC", windows(window(1, "09:00", "11:00"), window(1, "15:00", "17:00"))
    )
    p = pace(plan, "daily", money("30"), money("100"), utc(2026, 6, 15, 10))
    assert p.forecast == money("120")  # 30 an hour for the 3 hours left
    # 70 more at 30 an hour: the last hour of the morning, then 1 h 20 min of the afternoon.
    assert p.run_out == utc(2026, 6, 15, 16, 20)


def test_no_run_out_when_the_forecast_stays_under_the_budget_inside_the_windows() -> None:
    plan = day_plan(date(2026, 6, 15), "UTC", windows(window(1, "09:00", "17:00")))
    p = pace(plan, "daily", money("40"), money("100"), utc(2026, 6, 15, 13))
    assert p.forecast == money("80")
    assert p.run_out is None


def test_run_out_is_now_when_the_budget_is_already_spent() -> None:
    now = utc(2026, 6, 15, 9)
    p = pace(day_plan(date(2026, 6, 15)), "daily", money("100"), money("100"), now)
    assert p.run_out == now


def test_the_first_hour_of_a_day_forecasts_with_the_earlier_rate() -> None:
    plan = day_plan(date(2026, 6, 15))
    half_hour = utc(2026, 6, 15, 0, 30)
    earlier = pace(plan, "daily", money("1"), money("500"), half_hour, earlier_rate=money("10"))
    assert earlier.forecast == money("236")  # 1 + 10 an hour for 23.5 hours
    so_far = pace(plan, "daily", money("1"), money("500"), half_hour)
    assert so_far.forecast == money("48")  # 1 + 2 an hour for 23.5 hours
    later = pace(plan, "daily", money("2"), money("500"), utc(2026, 6, 15, 1), money("10"))
    assert later.forecast == money("48")  # one hour in: the day's own rate


def test_at_midnight_the_forecast_grows_only_with_an_earlier_rate() -> None:
    plan = day_plan(date(2026, 6, 15))
    midnight = utc(2026, 6, 15)
    assert pace(plan, "daily", money("3"), money("100"), midnight).forecast == money("3")
    with_rate = pace(plan, "daily", money("0"), money("500"), midnight, money("10"))
    assert with_rate.forecast == money("240")
    assert with_rate.run_out is None


def test_a_month_does_not_use_the_earlier_days_rate() -> None:
    plan, start = month_plan(date(2026, 6, 1)), utc(2026, 6, 1)
    p = pace(plan, "monthly", money("0"), money("100"), start, earlier_rate=money("9"))
    assert p.forecast == Money.zero()


# -- campaigns and brands ----------------------------------------------------------------


def test_a_campaign_paces_its_current_counters_against_its_budgets() -> None:
    today, now = date(2026, 6, 15), utc(2026, 6, 15, 12)
    c = campaign(spent_today=(today, "80"), spent_month=(date(2026, 6, 1), "80"), monthly="3000")
    day = c.pacing(Period.DAY, now, "UTC")
    assert (day.period, day.spend, day.budget, day.expected) == (
        "daily",
        money("80"),
        money("100"),
        money("50"),
    )
    assert (day.pace, day.band) == (Decimal("1.6"), PaceBand.OVER)
    month = c.pacing(Period.MONTH, now, "UTC")
    assert month.period == "monthly"
    assert month.expected == money("1450")  # 14.5 of 30 days
    assert month.band is PaceBand.UNDER
    # Yesterday's counter does not count today.
    assert c.pacing(Period.DAY, utc(2026, 6, 16, 12), "UTC").spend == Money.zero()


def test_a_brand_paces_only_the_budgets_it_sets() -> None:
    brand = Brand(BrandId(1), "Acme", timezone=BERLIN, daily_budget=money("1000"))
    brand.daily = Counter(date(2026, 6, 15), money("560"))
    now = wall(BERLIN, 2026, 6, 15, 12)
    day = brand.pacing(Period.DAY, now)
    assert day is not None
    assert (day.start, day.end) == (wall(BERLIN, 2026, 6, 15), wall(BERLIN, 2026, 6, 16))
    assert (day.expected, day.band) == (money("500"), PaceBand.ON)
    assert brand.pacing(Period.MONTH, now) is None


def test_a_pacing_alert_says_how_far_off_pace_the_spend_is() -> None:
    alert = Alert(
        AlertKey(Subject.CAMPAIGN, 7, Period.DAY, date(2026, 12, 1), 0, AlertKind.PACE_OVER),
        "X",
        money("80"),
        money("100"),
        "USD",
        utc(2026, 12, 1, 12),
        expected=money("40"),
    )
    assert alert.message == (
        "campaign 'X' is pacing over its daily budget for 2026-12-01: spent 80.00 USD, "
        "expected 40.00 USD by now"
    )
    monthly = Alert(
        AlertKey(Subject.BRAND, 1, Period.MONTH, date(2026, 12, 1), 0, AlertKind.PACE_UNDER),
        "Acme",
        money("10.123456"),
        money("1000"),
        "EUR",
        utc(2026, 12, 15),
        expected=money("450"),
    )
    assert monthly.message == (
        "brand 'Acme' is pacing under its monthly budget for 2026-12: spent 10.123456 EUR, "
        "expected 450.00 EUR by now"
    )


# -- properties ------------------------------------------------------------------------------

ZONES = st.sampled_from(["UTC", BERLIN, "America/New_York", "Australia/Lord_Howe"])
WALL_TIMES = st.builds(time, st.integers(0, 23), st.integers(0, 59))
WINDOW_SETS = st.lists(
    st.builds(Window, st.integers(1, 7), WALL_TIMES, WALL_TIMES), max_size=4
).map(lambda ws: tuple(sorted(set(ws))))
# Days around the DST changes of the zones above, and plain days.
DAYS = st.sampled_from(
    [
        date(2026, 3, 8),
        date(2026, 3, 29),
        date(2026, 4, 5),
        date(2026, 6, 15),
        date(2026, 10, 4),
        date(2026, 10, 25),
        date(2026, 11, 1),
    ]
)
AMOUNTS = st.decimals(min_value=0, max_value=10**6, places=6).map(Money.of)
BUDGETS = st.decimals(min_value=Decimal("0.01"), max_value=10**6, places=6).map(Money.of)


@st.composite
def plans(draw: st.DrawFn) -> PeriodPlan:
    tz, ws, day = draw(ZONES), draw(WINDOW_SETS), draw(DAYS)
    if draw(st.booleans()):
        return day_plan(day, tz, ws)
    flight_start = draw(st.none() | st.just(day))
    flight_end = draw(st.none() | st.just(day + timedelta(days=draw(st.integers(0, 20)))))
    return month_plan(day.replace(day=1), tz, ws, (flight_start, flight_end))


def instants_in(plan: PeriodPlan, share: float) -> datetime:
    span = plan.end - plan.start
    return plan.start + timedelta(seconds=round(span.total_seconds() * share))


@settings(max_examples=150, deadline=None)
@given(plan=plans(), spend=AMOUNTS, budget=BUDGETS, share=st.floats(0, 1), earlier=AMOUNTS)
def test_the_forecast_is_never_below_the_spend(
    plan: PeriodPlan, spend: Money, budget: Money, share: float, earlier: Money
) -> None:
    now = instants_in(plan, share)
    for rate in (None, earlier):
        p = pace(plan, "daily", spend, budget, now, rate)
        assert p.forecast >= spend
        assert Decimal(0) <= p.elapsed_share <= 1
        if p.run_out is not None:
            assert p.forecast >= budget or spend >= budget


@settings(max_examples=150, deadline=None)
@given(plan=plans(), budget=BUDGETS, a=st.floats(0, 1.1), b=st.floats(0, 1.1))
def test_expected_spend_grows_with_time_and_is_the_budget_at_the_end(
    plan: PeriodPlan, budget: Money, a: float, b: float
) -> None:
    early, late = sorted((instants_in(plan, a), instants_in(plan, b)))
    assert plan.elapsed(early) <= plan.elapsed(late) <= plan.scheduled
    assert plan.expected(budget, early) <= plan.expected(budget, late)
    if plan.scheduled:
        assert plan.expected(budget, plan.end) == budget
    else:
        assert plan.expected(budget, plan.end) == Money.zero()


@settings(max_examples=60, deadline=None)
@given(tz=ZONES, ws=WINDOW_SETS, day=DAYS)
def test_scheduled_time_agrees_with_the_schedule_minute_by_minute(
    tz: str, ws: tuple[Window, ...], day: date
) -> None:
    plan = day_plan(day, tz, ws)
    minutes = int((plan.end - plan.start).total_seconds()) // 60
    covered = sum(in_schedule(ws, plan.start + timedelta(minutes=m), tz) for m in range(minutes))
    assert plan.scheduled == timedelta(minutes=covered)
    # And the instant at which half of it has gone by lies inside the windows.
    if covered:
        half = plan.instant_after(timedelta(minutes=covered // 2 + 1))
        assert half is not None and plan.start < half <= plan.end
        assert plan.elapsed(half) == timedelta(minutes=covered // 2 + 1)


def test_instants_are_utc() -> None:
    # Plans built from a brand's zone still carry UTC instants.
    plan = Brand(BrandId(1), "Acme", timezone=BERLIN).plan(Period.DAY, utc(2026, 6, 15, 12))
    assert plan.start.tzinfo is UTC and plan.end.tzinfo is UTC
