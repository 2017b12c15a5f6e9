"""Pacing alerts (SPEC §8): over or under pace, once per (campaign or brand, period, band),
and only after a quarter of the period's scheduled time has gone by."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from core.entities import Alert, AlertKind, InvalidInput, Money, Period, Subject
from core.use_cases.pacing_alerts import CheckPacing, CheckPacingCommand, CheckPacingResult

from .support import App, money, utc, wall

NOON = utc(2026, 6, 15, 12)  # halfway through the day (UTC brands): tolerance 13 %


def check(app: App, now: datetime | None = None) -> CheckPacingResult:
    return CheckPacing(app.store.unit_of_work)(CheckPacingCommand(now or app.now))


def pacing_alerts(app: App) -> list[tuple[Subject, int, Period, date, AlertKind]]:
    return sorted(
        (a.key.subject, a.key.subject_id, a.key.period_kind, a.key.period, a.key.kind)
        for a in app.store.alerts()
        if a.key.kind is not AlertKind.BUDGET
    )


def only_alert(app: App) -> Alert:
    [alert] = [a for a in app.store.alerts() if a.key.kind is not AlertKind.BUDGET]
    return alert


# Monthly budgets below are chosen so the month is on pace and only the day is looked at:
# by NOON 14.5 of June's 30 days have gone by.


def test_a_campaign_over_its_daily_pace_gets_one_alert_however_often_checked(app: App) -> None:
    app.clock.set(NOON)
    campaign = app.campaign(app.brand(), daily="100", monthly="165")
    app.spend(campaign, "80")
    first = check(app)
    assert (first.checked, first.alerts) == (1, 1)
    for _ in range(3):
        assert check(app).alerts == 0
    assert pacing_alerts(app) == [
        (Subject.CAMPAIGN, campaign.id, Period.DAY, date(2026, 6, 15), AlertKind.PACE_OVER)
    ]
    alert = only_alert(app)
    assert (alert.spend, alert.budget, alert.expected) == (money("80"), money("100"), money("50"))
    assert alert.key.threshold == 0
    assert alert.raised_at == NOON
    assert "pacing over its daily budget for 2026-06-15" in alert.message


def test_no_alert_before_a_quarter_of_the_scheduled_time(app: App) -> None:
    app.clock.set(utc(2026, 6, 15, 5))
    campaign = app.campaign(app.brand(), daily="100", monthly="170")
    app.spend(campaign, "80")
    assert check(app).alerts == 0
    assert pacing_alerts(app) == []
    # Still far over pace a quarter into the day: now it is news.
    assert check(app, utc(2026, 6, 15, 6)).alerts == 1


def test_a_quarter_counts_scheduled_time_not_clock_time(app: App) -> None:
    app.clock.set(utc(2026, 6, 15, 10))
    windows = ({"day_of_week": 1, "start_time": "09:00", "end_time": "13:00"},)
    # June's Mondays hold 20 scheduled hours, 9 of them gone: the month is on pace.
    campaign = app.campaign(app.brand(), daily="100", monthly="133", windows=windows)
    app.spend(campaign, "60")
    # One of four scheduled hours: a quarter, though the clock says 10 of 24 hours.
    assert check(app).alerts == 1
    assert only_alert(app).expected == money("25")


def test_each_band_is_alerted_once_per_period(app: App) -> None:
    app.clock.set(utc(2026, 6, 15, 8))
    campaign = app.campaign(app.brand(), daily="120", monthly="100000")
    app.spend(campaign, "60")  # 60 of an expected 40
    check(app)
    app.clock.set(utc(2026, 6, 15, 20))  # expected 100 now: 60 is under pace
    check(app)
    check(app)
    app.clock.set(utc(2026, 6, 16, 8))  # a new day, over pace again
    app.spend(campaign, "60")
    check(app)
    daily = [k for k in pacing_alerts(app) if k[2] is Period.DAY]
    assert [(k[3], k[4]) for k in daily] == [
        (date(2026, 6, 15), AlertKind.PACE_OVER),
        (date(2026, 6, 15), AlertKind.PACE_UNDER),
        (date(2026, 6, 16), AlertKind.PACE_OVER),
    ]


def test_a_brand_over_its_pace_is_alerted_by_the_brands_local_day(app: App) -> None:
    tz = "America/New_York"
    app.clock.set(wall(tz, 2026, 6, 15, 12))
    brand = app.brand(timezone=tz, daily_budget="1000")
    for _ in range(2):
        app.spend(app.campaign(brand, daily="1000", monthly="100000"), "400")
    result = check(app)
    assert result.checked == 3  # two campaigns and their brand
    assert (Subject.BRAND, brand.id, Period.DAY, date(2026, 6, 15), AlertKind.PACE_OVER) in (
        pacing_alerts(app)
    )
    [brand_alert] = [
        a
        for a in app.store.alerts()
        if a.key.subject is Subject.BRAND and a.key.kind is AlertKind.PACE_OVER
    ]
    assert brand_alert.expected == money("500")


def test_a_brand_without_budgets_is_not_paced(app: App) -> None:
    app.clock.set(NOON)
    brand = app.brand()
    app.spend(app.campaign(brand, daily="160", monthly="165"), "80")  # on pace
    assert check(app).checked == 1
    assert pacing_alerts(app) == []


def test_a_paused_campaign_gets_no_pacing_alert(app: App) -> None:
    app.clock.set(NOON)
    campaign = app.campaign(app.brand(), daily="100", monthly="165")
    app.spend(campaign, "80")
    app.pause(campaign)
    assert check(app) == CheckPacingResult(checked=0, alerts=0)
    assert pacing_alerts(app) == []


def test_campaigns_not_meant_to_run_are_not_paced(app: App) -> None:
    app.clock.set(NOON)
    brand = app.brand()
    app.campaign(brand, launch=False)  # a draft
    app.campaign(brand, start=date(2026, 6, 20))  # not started
    app.campaign(brand, start=date(2026, 5, 1), end=date(2026, 6, 10))  # ended
    inactive = app.brand(daily_budget="100")
    app.spend(app.campaign(inactive, daily="100", monthly="165"), "80")
    app.edit_brand(inactive, is_active=False)
    assert check(app) == CheckPacingResult(checked=0, alerts=0)


def test_a_campaign_held_by_a_budget_is_not_under_pace(app: App) -> None:
    app.clock.set(utc(2026, 6, 15, 1))
    campaign = app.campaign(app.brand(), daily="500", monthly="100")
    app.spend(campaign, "100")  # the month's budget: held for the rest of the month
    assert "MONTHLY_BUDGET" in app.get(campaign).holds
    check(app, NOON)  # the day's pace: 100 of an expected 250
    assert [k[2:] for k in pacing_alerts(app)] == [
        (Period.MONTH, date(2026, 6, 1), AlertKind.PACE_OVER)
    ]


def test_the_check_runs_page_by_page(app: App) -> None:
    app.clock.set(NOON)
    brand = app.brand()
    campaigns = [app.campaign(brand, daily="100", monthly="165") for _ in range(5)]
    for c in campaigns:
        app.spend(c, "80")
    result = CheckPacing(app.store.unit_of_work, chunk_size=2)(CheckPacingCommand(NOON))
    assert result == CheckPacingResult(checked=5, alerts=5)
    assert sorted(k[1] for k in pacing_alerts(app)) == sorted(c.id for c in campaigns)


def test_without_an_instant_the_check_reads_the_clock(app: App) -> None:
    app.clock.set(NOON)
    app.spend(app.campaign(app.brand(), daily="100", monthly="165"), "80")
    assert CheckPacing(app.store.unit_of_work, app.clock)(CheckPacingCommand()).alerts == 1
    with pytest.raises(InvalidInput) as error:
        CheckPacing(app.store.unit_of_work)(CheckPacingCommand())
    assert error.value.errors[0].field == "now"


def test_an_instant_without_a_zone_is_refused() -> None:
    with pytest.raises(InvalidInput) as error:
        CheckPacingCommand(datetime(2026, 6, 15, 12))  # naive on purpose
    assert error.value.errors[0].field == "now"


def test_the_monthly_pace_is_checked_too(app: App) -> None:
    app.clock.set(NOON)
    campaign = app.campaign(app.brand(), daily="1000", monthly="1000")
    app.spend(campaign, "100")  # 100 of an expected 483.33 this month; 100 of 500 today
    check(app)
    assert pacing_alerts(app) == [
        (Subject.CAMPAIGN, campaign.id, Period.DAY, date(2026, 6, 15), AlertKind.PACE_UNDER),
        (Subject.CAMPAIGN, campaign.id, Period.MONTH, date(2026, 6, 1), AlertKind.PACE_UNDER),
    ]
    month = next(a for a in app.store.alerts() if a.key.period_kind is Period.MONTH)
    assert month.expected == Money.of("483.333333")
