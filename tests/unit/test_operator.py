"""Operator actions and the automatic use cases around them: a pause is the operator's alone,
ENDED outranks everything, and budget edits hold or release at once."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from adapters.in_memory import FixedClock
from core.entities import Cause, Conflict, Hold, State, Status

from .support import App, money, snapshot, utc, window

NY = "America/New_York"


def test_a_new_campaign_is_a_draft_that_never_runs(app: App, clock: FixedClock) -> None:
    campaign = app.campaign(app.brand(), launch=False)
    assert (campaign.state, campaign.status) == (State.DRAFT, Status.DRAFT)
    clock.advance(timedelta(days=2))
    app.sweeps()
    app.enforce()
    assert app.get(campaign).status is Status.DRAFT


def test_launching_a_draft_runs_it_when_nothing_holds_it(app: App) -> None:
    campaign = app.campaign(app.brand(), launch=False)
    launched = app.launch(campaign)
    assert (launched.state, launched.status) == (State.ENABLED, Status.ACTIVE)
    assert app.audit(campaign)[-1].cause is Cause.LAUNCH


def test_launching_twice_or_pausing_a_draft_is_a_conflict_on_state(app: App) -> None:
    brand = app.brand()
    draft = app.campaign(brand, launch=False)
    running = app.campaign(brand)
    before = snapshot(app.store)
    for action, campaign in (
        (app.launch, running),
        (app.pause, draft),
        (app.resume, draft),
    ):
        with pytest.raises(Conflict) as raised:
            action(campaign)
        assert raised.value.field == "state"
    assert snapshot(app.store) == before


def test_pausing_a_paused_campaign_changes_nothing(app: App) -> None:
    campaign = app.pause(app.campaign(app.brand()))
    before = snapshot(app.store)
    app.pause(campaign)
    assert snapshot(app.store) == before


def test_an_operator_pause_is_never_undone_by_any_automatic_use_case(
    app: App, clock: FixedClock
) -> None:
    """Every automatic use case runs at a moment where it would release the campaign if the
    operator had not paused it."""
    clock.set(utc(2026, 6, 15, 20))  # Monday 16:00 in New York
    brand = app.brand(timezone=NY, daily_budget="500")
    today = date(2026, 6, 15)
    campaign = app.campaign(
        brand,
        daily="100",
        start=today + timedelta(days=1),
        windows=[window(2, "00:00", "23:00"), window(3, "00:00", "23:00")],
    )
    twin = app.campaign(
        brand,
        daily="100",
        start=today + timedelta(days=1),
        windows=[window(2, "00:00", "23:00"), window(3, "00:00", "23:00")],
    )
    app.pause(campaign)
    app.spend(campaign, "100")
    app.spend(twin, "100")

    def still_paused() -> None:
        stored = app.get(campaign)
        assert stored.state is State.PAUSED
        assert stored.status is Status.PAUSED

    clock.set(utc(2026, 6, 16, 4))  # Tuesday 00:00 in New York: new day, started, in window
    app.reset()
    app.flight()
    app.dayparting()
    app.enforce()
    assert app.get(twin).status is Status.ACTIVE
    still_paused()
    app.spend(campaign, "1")
    app.spend(twin, "1")
    still_paused()
    app.reconcile(repair=True)
    still_paused()
    app.edit_brand(brand, daily_budget="1000")
    still_paused()
    app.edit(campaign, daily_budget="5000")
    still_paused()
    app.schedule(campaign)
    still_paused()
    assert app.get(campaign).holds == frozenset()
    for entry in app.audit(campaign):
        if entry.to_status is Status.ACTIVE:
            raise AssertionError(f"became active after the pause: {entry}")
    resumed = app.resume(campaign)
    assert (resumed.state, resumed.status) == (State.ENABLED, Status.ACTIVE)


def test_a_paused_campaign_stays_paused_when_its_start_date_comes(
    app: App, clock: FixedClock
) -> None:
    campaign = app.campaign(app.brand(), start=date(2026, 6, 16))
    assert app.get(campaign).holds == {Hold.NOT_STARTED}
    app.pause(campaign)
    result = app.flight(utc(2026, 6, 16))
    assert result.released == 1 and result.activated == 0
    stored = app.get(campaign)
    assert stored.holds == frozenset()
    assert (stored.state, stored.status) == (State.PAUSED, Status.PAUSED)


def test_a_campaign_starts_at_the_brand_local_midnight_of_its_start_date(
    app: App, clock: FixedClock
) -> None:
    campaign = app.campaign(app.brand(timezone="Asia/Kolkata"), start=date(2026, 6, 16))
    assert app.get(campaign).flight_due_at == utc(2026, 6, 15, 18, 30)
    assert app.flight(utc(2026, 6, 15, 18, 29, 59)).checked == 0
    result = app.flight(utc(2026, 6, 15, 18, 30))
    assert result.activated == 1
    assert app.get(campaign).status is Status.ACTIVE


@pytest.mark.parametrize(
    ("tz", "end", "ends_at"),
    [
        pytest.param(NY, date(2026, 6, 16), utc(2026, 6, 17, 4), id="new-york"),
        pytest.param(NY, date(2026, 3, 8), utc(2026, 3, 9, 4), id="new-york-23-hour-day"),
        pytest.param(NY, date(2026, 11, 1), utc(2026, 11, 2, 5), id="new-york-25-hour-day"),
        pytest.param("America/Havana", date(2026, 3, 7), utc(2026, 3, 8, 5), id="skipped-midnight"),
        pytest.param("Pacific/Kiritimati", date(2026, 12, 31), utc(2026, 12, 31, 10), id="plus-14"),
    ],
)
def test_a_campaign_completes_at_the_local_midnight_after_its_end_date(
    app: App, clock: FixedClock, tz: str, end: date, ends_at: datetime
) -> None:
    clock.set(ends_at - timedelta(hours=30))
    campaign = app.campaign(app.brand(timezone=tz), end=end)
    assert app.get(campaign).flight_due_at == ends_at
    app.flight(ends_at - timedelta(seconds=1))
    assert app.get(campaign).status is Status.ACTIVE
    app.flight(ends_at)
    stored = app.get(campaign)
    assert stored.holds == {Hold.ENDED} and stored.status is Status.COMPLETED
    assert stored.flight_due_at is None
    assert app.audit(campaign)[-1].cause is Cause.FLIGHT


def test_ended_outranks_every_other_hold_and_the_operator_pause(
    app: App, clock: FixedClock
) -> None:
    clock.set(utc(2026, 6, 16, 3))  # Monday 23:00 in New York
    brand = app.brand(timezone=NY, daily_budget="10", monthly_budget="10")
    campaign = app.campaign(
        brand,
        daily="10",
        monthly="10",
        end=date(2026, 6, 15),
        windows=[window(1, "09:00", "17:00")],
    )
    app.spend(campaign, "10")
    stored = app.get(campaign)
    assert stored.holds == {
        Hold.DAILY_BUDGET,
        Hold.MONTHLY_BUDGET,
        Hold.BRAND_DAILY_BUDGET,
        Hold.BRAND_MONTHLY_BUDGET,
        Hold.OUTSIDE_SCHEDULE,
    }
    app.pause(campaign)
    app.edit_brand(brand, is_active=False)
    clock.set(utc(2026, 6, 16, 4))  # Tuesday: the end date has passed
    app.sweeps()
    stored = app.get(campaign)
    assert Hold.ENDED in stored.holds and Hold.BRAND_INACTIVE in stored.holds
    assert stored.status is Status.COMPLETED
    assert app.resume(campaign).status is Status.COMPLETED


def test_moving_the_end_date_later_brings_a_completed_campaign_back(
    app: App, clock: FixedClock
) -> None:
    campaign = app.campaign(app.brand(), end=date(2026, 6, 14))
    assert app.get(campaign).status is Status.COMPLETED
    assert app.edit(campaign, end_date="2026-06-30").status is Status.ACTIVE
    assert app.edit(campaign, end_date=None).status is Status.ACTIVE


def test_lowering_a_budget_below_todays_spend_holds_now(app: App) -> None:
    campaign = app.campaign(app.brand(), daily="100", monthly="1000")
    app.spend(campaign, "60")
    edited = app.edit(campaign, daily_budget="60")
    assert edited.holds == {Hold.DAILY_BUDGET} and edited.status is Status.PAUSED
    assert app.get(campaign).status is Status.PAUSED
    entry = app.audit(campaign)[-1]
    assert (entry.cause, entry.actor) == (Cause.EDIT, "ops")


def test_raising_a_budget_above_spend_releases_now(app: App) -> None:
    campaign = app.campaign(app.brand(), daily="100", monthly="150")
    app.spend(campaign, "150")
    assert app.get(campaign).holds == {Hold.DAILY_BUDGET, Hold.MONTHLY_BUDGET}
    assert app.edit(campaign, daily_budget="200").holds == {Hold.MONTHLY_BUDGET}
    released = app.edit(campaign, monthly_budget="150.000001")
    assert released.holds == frozenset() and released.status is Status.ACTIVE


def test_brand_budget_edits_hold_and_release_every_campaign_now(app: App) -> None:
    brand = app.brand()
    first, second = app.campaign(brand), app.campaign(brand)
    app.spend(first, "30")
    app.spend(second, "20")
    lowered = app.edit_brand(brand, daily_budget="50")
    assert lowered.campaigns.stopped == 2
    assert app.get(first).holds == app.get(second).holds == {Hold.BRAND_DAILY_BUDGET}
    raised = app.edit_brand(brand, daily_budget="50.5")
    assert raised.campaigns.activated == 2
    app.edit_brand(brand, monthly_budget="50")
    assert app.get(first).holds == {Hold.BRAND_MONTHLY_BUDGET}
    app.edit_brand(brand, monthly_budget=None)
    assert app.get(first).status is Status.ACTIVE


def test_deactivating_a_brand_holds_every_campaign_and_reactivating_releases(app: App) -> None:
    brand = app.brand()
    campaigns = [app.campaign(brand) for _ in range(3)]
    app.edit_brand(brand, is_active=False)
    assert {app.get(c).holds for c in campaigns} == {frozenset({Hold.BRAND_INACTIVE})}
    app.edit_brand(brand, is_active=True)
    assert {app.get(c).status for c in campaigns} == {Status.ACTIVE}


def test_enforce_budgets_brings_holds_in_line_after_a_budget_changed_outside_a_use_case(
    app: App,
) -> None:
    campaign = app.campaign(app.brand(), daily="100")
    app.spend(campaign, "80")
    with app.store.unit_of_work() as uow:  # an out-of-band change, e.g. a data migration
        stored = uow.campaigns.lock({campaign.id})[campaign.id]
        stored.daily_budget = stored.daily_budget.of("50")
        uow.campaigns.save(stored)
        uow.commit()
    assert app.get(campaign).status is Status.ACTIVE
    result = app.enforce()
    assert result.held == 1 and result.stopped == 1
    assert app.get(campaign).holds == {Hold.DAILY_BUDGET}
    assert app.audit(campaign)[-1].cause is Cause.BUDGET_CHECK
    again = app.enforce()
    assert again.held == again.released == 0


def test_changing_the_brand_time_zone_recounts_today_and_this_month_in_the_new_zone(
    app: App, clock: FixedClock
) -> None:
    # 23:30 on 15 June in New York is 09:00 on 16 June in Kolkata.
    clock.set(utc(2026, 6, 16, 3, 30))
    brand = app.brand(timezone=NY)
    campaign = app.campaign(brand, daily="100", monthly="1000")
    app.spend(campaign, "100")
    assert app.get(campaign).holds == {Hold.DAILY_BUDGET}

    app.edit_brand(brand, timezone="Asia/Kolkata")
    # The 100 was spent on 16 June in Kolkata, which is today there: still exhausted.
    assert app.daily_spend(campaign) == money("100")
    assert app.get(campaign).holds == {Hold.DAILY_BUDGET}
    assert app.reconcile().mismatches == ()


def test_moving_a_brand_to_an_earlier_time_zone_does_not_lose_todays_spend(
    app: App, clock: FixedClock
) -> None:
    clock.set(utc(2026, 6, 16, 3, 30))  # 16 June 09:00 in Kolkata, 15 June 23:30 in New York
    brand = app.brand(timezone="Asia/Kolkata", daily_budget="150")
    campaign = app.campaign(brand, daily="100", monthly="1000")
    app.spend(campaign, "60")
    app.edit_brand(brand, timezone=NY)
    assert app.reconcile().mismatches == ()
    app.spend(campaign, "50")  # 15 June in New York: with the 60, over the daily budget
    assert app.daily_spend(campaign) == money("110")
    assert app.get(campaign).holds == {Hold.DAILY_BUDGET}
    assert app.store.brand(brand.id).daily.spend == money("110")
    assert app.reconcile().mismatches == ()
