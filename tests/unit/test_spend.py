"""RecordSpend: the ledger, the counters, idempotency and holding in the same call."""

from __future__ import annotations

import threading
from datetime import timedelta
from zoneinfo import ZoneInfo

from adapters.in_memory import FixedClock
from core.entities import Cause, Hold, State, Status
from core.use_cases.record_spend import Outcome

from .support import App, money, snapshot, wall

NY = "America/New_York"


# -- budgets hold at once ------------------------------------------------------------------


def test_spend_equal_to_the_daily_budget_holds_the_campaign(app: App) -> None:
    campaign = app.campaign(app.brand(), daily="100")
    result = app.spend(campaign, "100")
    stored = app.get(campaign)
    assert result.recorded == 1 and result.held == 1
    assert stored.holds == {Hold.DAILY_BUDGET}
    assert stored.status is Status.PAUSED
    assert stored.state is State.ENABLED


def test_spend_just_under_the_daily_budget_keeps_the_campaign_active(app: App) -> None:
    campaign = app.campaign(app.brand(), daily="100")
    app.spend(campaign, "99.999999")
    assert app.get(campaign).status is Status.ACTIVE


def test_spend_that_crosses_the_budget_holds_the_campaign_in_the_same_call(app: App) -> None:
    campaign = app.campaign(app.brand(), daily="100")
    app.spend(campaign, "70")
    assert app.get(campaign).status is Status.ACTIVE
    result = app.spend(campaign, "45.5")
    stored = app.get(campaign)
    assert result.held == 1
    assert stored.status is Status.PAUSED
    assert stored.holds == {Hold.DAILY_BUDGET}
    assert app.daily_spend(campaign) == money("115.5")
    last = app.audit(campaign)[-1]
    assert (last.from_status, last.to_status, last.cause) == (
        Status.ACTIVE,
        Status.PAUSED,
        Cause.SPEND,
    )


def test_one_batch_that_crosses_the_budget_holds_before_it_commits(app: App) -> None:
    campaign = app.campaign(app.brand(), daily="100")
    result = app.spend_batch(
        {"campaign_id": campaign.id, "amount": "40", "key": f"k{i}"} for i in range(3)
    )
    assert result.recorded == 3 and result.held == 1
    assert app.get(campaign).holds == {Hold.DAILY_BUDGET}


def test_spend_reaching_the_monthly_budget_holds_with_the_monthly_hold(app: App) -> None:
    campaign = app.campaign(app.brand(), daily="500", monthly="300")
    app.spend(campaign, "300")
    assert app.get(campaign).holds == {Hold.MONTHLY_BUDGET}


def test_brand_daily_budget_is_summed_across_campaigns_and_holds_every_campaign(
    app: App,
) -> None:
    brand = app.brand(daily_budget="100")
    first, second, idle = (app.campaign(brand) for _ in range(3))
    other_brand_campaign = app.campaign(app.brand())
    app.spend(first, "60")
    assert {app.get(c).status for c in (first, second, idle)} == {Status.ACTIVE}
    result = app.spend(second, "40")
    assert result.held == 3
    for campaign in (first, second, idle):
        stored = app.get(campaign)
        assert stored.holds == {Hold.BRAND_DAILY_BUDGET}, campaign.name
        assert stored.status is Status.PAUSED
    assert app.get(other_brand_campaign).status is Status.ACTIVE
    assert app.get_brand(brand).daily.spend == money("100")


def test_brand_monthly_budget_holds_every_campaign_of_the_brand(app: App) -> None:
    brand = app.brand(monthly_budget="150")
    first, second = app.campaign(brand, daily="500"), app.campaign(brand, daily="500")
    app.spend(first, "100")
    app.spend(second, "50")
    assert app.get(first).holds == app.get(second).holds == {Hold.BRAND_MONTHLY_BUDGET}


def test_spend_for_paused_draft_and_completed_campaigns_is_still_recorded(
    app: App, clock: FixedClock
) -> None:
    brand = app.brand()
    paused = app.pause(app.campaign(brand))
    draft = app.campaign(brand, launch=False)
    today = clock.now().date()
    completed = app.campaign(brand, start=today - timedelta(days=5), end=today - timedelta(days=1))
    assert app.get(completed).status is Status.COMPLETED
    for campaign in (paused, draft, completed):
        result = app.spend(campaign, "150")
        assert result.recorded == 1
        assert app.daily_spend(campaign) == money("150")
        assert Hold.DAILY_BUDGET in app.get(campaign).holds
    assert app.get(paused).status is Status.PAUSED
    assert app.get(draft).status is Status.DRAFT
    assert app.get(completed).status is Status.COMPLETED


# -- idempotency ---------------------------------------------------------------------------


def test_duplicate_idempotency_key_reports_duplicate_and_changes_nothing(
    app: App, clock: FixedClock
) -> None:
    campaign = app.campaign(app.brand())
    at = clock.now() - timedelta(minutes=5)
    app.spend(campaign, "10", key="evt-1", at=at)
    before = snapshot(app.store)
    result = app.spend(campaign, "10", key="evt-1", at=at)
    assert [r.outcome for r in result.results] == [Outcome.DUPLICATE]
    assert snapshot(app.store) == before


def test_duplicate_with_the_same_value_written_differently_is_still_a_duplicate(
    app: App, clock: FixedClock
) -> None:
    campaign = app.campaign(app.brand())
    at = clock.now() - timedelta(minutes=5)
    app.spend(campaign, "10", key="evt-1", at=at)
    before = snapshot(app.store)
    same_instant = at.astimezone(ZoneInfo("Asia/Kolkata")).isoformat()
    result = app.spend_batch(
        [
            {
                "campaign_id": campaign.id,
                "amount": "10.000000",
                "key": "evt-1",
                "occurred_at": same_instant,
            }
        ]
    )
    assert [r.outcome for r in result.results] == [Outcome.DUPLICATE]
    assert snapshot(app.store) == before


def test_same_key_with_a_different_amount_is_rejected_as_a_conflict_on_key(
    app: App, clock: FixedClock
) -> None:
    campaign = app.campaign(app.brand())
    at = clock.now() - timedelta(minutes=5)
    app.spend(campaign, "10", key="evt-1", at=at)
    before = snapshot(app.store)
    result = app.spend(campaign, "11", key="evt-1", at=at)
    (outcome,) = result.results
    assert outcome.outcome is Outcome.REJECTED
    assert [e.field for e in outcome.errors] == ["key"]
    assert snapshot(app.store) == before


def test_same_key_at_a_different_time_is_rejected_as_a_conflict_on_key(
    app: App, clock: FixedClock
) -> None:
    campaign = app.campaign(app.brand())
    at = clock.now() - timedelta(minutes=5)
    app.spend(campaign, "10", key="evt-1", at=at)
    before = snapshot(app.store)
    result = app.spend(campaign, "10", key="evt-1", at=at + timedelta(seconds=1))
    (outcome,) = result.results
    assert outcome.outcome is Outcome.REJECTED
    assert [e.field for e in outcome.errors] == ["key"]
    assert snapshot(app.store) == before


def test_duplicate_within_one_batch_is_recorded_once(app: App, clock: FixedClock) -> None:
    campaign = app.campaign(app.brand())
    at = clock.now().isoformat()
    event = {"campaign_id": campaign.id, "amount": "10", "key": "evt-1", "occurred_at": at}
    result = app.spend_batch([event, dict(event)])
    assert [r.outcome for r in result.results] == [Outcome.RECORDED, Outcome.DUPLICATE]
    assert len(app.ledger(campaign)) == 1
    assert app.daily_spend(campaign) == money("10")


def test_conflicting_key_within_one_batch_is_rejected_and_the_first_kept(
    app: App, clock: FixedClock
) -> None:
    campaign = app.campaign(app.brand())
    at = clock.now().isoformat()
    first = {"campaign_id": campaign.id, "amount": "10", "key": "evt-1", "occurred_at": at}
    result = app.spend_batch([first, {**first, "amount": "12"}])
    assert [r.outcome for r in result.results] == [Outcome.RECORDED, Outcome.REJECTED]
    assert [e.field for e in result.results[1].errors] == ["key"]
    assert [e.amount for e in app.ledger(campaign)] == [money("10")]
    assert app.daily_spend(campaign) == money("10")


def test_the_same_key_on_two_campaigns_is_two_events(app: App) -> None:
    brand = app.brand()
    first, second = app.campaign(brand), app.campaign(brand)
    app.spend(first, "10", key="evt-1")
    result = app.spend(second, "10", key="evt-1")
    assert result.recorded == 1
    assert len(app.ledger()) == 2


def test_replaying_a_whole_batch_changes_nothing(app: App, clock: FixedClock) -> None:
    brand = app.brand(daily_budget="100")
    first, second = app.campaign(brand), app.campaign(brand)
    at = clock.now().isoformat()
    batch = [
        {"campaign_id": c.id, "amount": "50", "key": f"evt-{c.id}", "occurred_at": at}
        for c in (first, second)
    ]
    assert app.spend_batch(batch).recorded == 2
    before = snapshot(app.store)
    clock.advance(timedelta(minutes=1))
    replay = app.spend_batch(batch)
    assert replay.duplicates == 2 and replay.held == 0 and replay.alerts == 0
    assert snapshot(app.store) == before


# -- periods of an event -----------------------------------------------------------------------


def test_late_event_from_yesterday_counts_for_the_ledger_and_the_month_not_today(
    app: App, clock: FixedClock
) -> None:
    # 10:00 on 12 May in New York; the late event is from 23:30 the evening before, which is
    # already 12 May in UTC, so only a brand-local day keeps it out of today.
    clock.set(wall(NY, 2026, 5, 12, 10, 0))
    campaign = app.campaign(app.brand(timezone=NY), daily="100", monthly="1000")
    app.spend(campaign, "10")
    late = wall(NY, 2026, 5, 11, 23, 30)
    assert late.date() == clock.now().date()
    result = app.spend(campaign, "95", at=late)
    assert result.recorded == 1
    assert app.daily_spend(campaign) == money("10")
    assert app.monthly_spend(campaign) == money("105")
    assert sorted(e.amount for e in app.ledger(campaign)) == [money("10"), money("95")]
    assert app.get(campaign).status is Status.ACTIVE
    brand = app.store.brand(campaign.brand_id)
    assert brand.daily.spend == money("10") and brand.monthly.spend == money("105")


def test_late_event_from_last_month_counts_only_in_the_ledger(app: App, clock: FixedClock) -> None:
    clock.set(wall(NY, 2026, 6, 1, 0, 10))
    campaign = app.campaign(app.brand(timezone=NY), daily="100", monthly="100")
    result = app.spend(campaign, "250", at=wall(NY, 2026, 5, 31, 23, 55))
    assert result.recorded == 1
    assert app.daily_spend(campaign) == money("0")
    assert app.monthly_spend(campaign) == money("0")
    assert len(app.ledger(campaign)) == 1
    assert app.get(campaign).status is Status.ACTIVE


def test_occurred_at_defaults_to_now(app: App, clock: FixedClock) -> None:
    campaign = app.campaign(app.brand())
    app.spend(campaign, "1")
    (entry,) = app.ledger(campaign)
    assert entry.occurred_at == entry.recorded_at == clock.now()


def test_an_event_from_the_future_is_rejected(app: App, clock: FixedClock) -> None:
    campaign = app.campaign(app.brand())
    before = snapshot(app.store)
    result = app.spend(campaign, "1", at=clock.now() + timedelta(seconds=1))
    assert [e.field for e in result.results[0].errors] == ["occurred_at"]
    assert snapshot(app.store) == before


def test_a_rejected_event_does_not_block_the_others_in_its_batch(app: App) -> None:
    campaign = app.campaign(app.brand())
    result = app.spend_batch(
        [
            {"campaign_id": campaign.id, "amount": "5", "key": "a"},
            {"campaign_id": 999, "amount": "5", "key": "b"},
            {"campaign_id": campaign.id, "amount": "-5", "key": "c"},
            {"campaign_id": campaign.id, "amount": "7", "key": "d"},
        ]
    )
    assert [r.outcome for r in result.results] == [
        Outcome.RECORDED,
        Outcome.REJECTED,
        Outcome.REJECTED,
        Outcome.RECORDED,
    ]
    assert [e.field for e in result.results[1].errors] == ["campaign_id"]
    assert [e.field for e in result.results[2].errors] == ["amount"]
    assert app.daily_spend(campaign) == money("12")


def test_results_come_back_one_per_event_in_order_with_their_keys(app: App) -> None:
    campaign = app.campaign(app.brand())
    keys = ["z", "a", "m"]
    result = app.spend_batch({"campaign_id": campaign.id, "amount": "1", "key": k} for k in keys)
    assert [r.key for r in result.results] == keys
    assert result.summary().startswith("recorded 3, duplicate 0, rejected 0")


def test_concurrent_batches_never_lose_an_update_or_record_a_key_twice(
    app: App, clock: FixedClock
) -> None:
    brand = app.brand(daily_budget="1000000")
    first, second = app.campaign(brand, daily="5000"), app.campaign(brand, daily="5000")
    at = clock.now().isoformat()
    start = threading.Barrier(4)
    outcomes: list[Outcome] = []

    def worker(n: int) -> None:
        start.wait()
        for i in range(10):
            # Each worker sends its own key and one that every worker sends.
            batch = [
                {"campaign_id": c.id, "amount": "1.5", "key": key, "occurred_at": at}
                for c in (first, second)
                for key in (f"w{n}-{i}", f"shared-{i}")
            ]
            outcomes.extend(r.outcome for r in app.spend_batch(batch).results)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes.count(Outcome.RECORDED) == 2 * (40 + 10)
    assert outcomes.count(Outcome.DUPLICATE) == 2 * 30
    for campaign in (first, second):
        assert app.daily_spend(campaign) == money("75")  # 50 events of 1.5
    assert app.store.brand(brand.id).daily.spend == money("150")
    assert app.reconcile().mismatches == ()
