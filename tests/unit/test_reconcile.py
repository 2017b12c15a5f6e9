"""Reconcile: counters checked against the ledger (invariant 1), and repaired from it."""

from __future__ import annotations

import attrs

from adapters.in_memory import FixedClock
from core.entities import BrandId, CampaignId, Cause, Counter, Hold, Money, Period, Status

from .support import App, money, snapshot, utc


def _corrupt_campaign(app: App, campaign_id: CampaignId, daily: str) -> None:
    """Set a campaign's daily counter behind every use case's back (a lost update, a bad
    manual fix)."""
    with app.store.unit_of_work() as uow:
        stored = uow.campaigns.lock({campaign_id})[campaign_id]
        stored.daily = attrs.evolve(stored.daily, spend=Money.of(daily))
        uow.campaigns.save(stored)
        uow.commit()


def _corrupt_brand(app: App, brand_id: BrandId, monthly: str) -> None:
    with app.store.unit_of_work() as uow:
        stored = uow.brands.lock({brand_id})[brand_id]
        stored.monthly = attrs.evolve(stored.monthly, spend=Money.of(monthly))
        uow.brands.save(stored)
        uow.commit()


def test_reconcile_finds_nothing_when_counters_match_the_ledger(
    app: App, clock: FixedClock
) -> None:
    brand = app.brand(timezone="Asia/Kolkata")
    campaigns = [app.campaign(brand) for _ in range(3)]
    for i, campaign in enumerate(campaigns):
        app.spend(campaign, f"{i + 1}.5")
    app.spend(campaigns[0], "7", key="late", at=clock.now().replace(day=1))
    result = app.reconcile()
    assert result.mismatches == ()
    assert (result.checked_campaigns, result.checked_brands) == (3, 1)


def test_reconcile_detects_a_counter_that_disagrees_with_the_ledger_and_changes_nothing(
    app: App,
) -> None:
    campaign = app.campaign(app.brand(), daily="100")
    app.spend(campaign, "40")
    _corrupt_campaign(app, campaign.id, "25")
    before = snapshot(app.store)
    result = app.reconcile()
    (mismatch,) = result.mismatches
    assert (mismatch.subject, mismatch.subject_id, mismatch.period) == (
        "campaign",
        campaign.id,
        Period.DAY,
    )
    assert (mismatch.counter, mismatch.ledger) == (money("25"), money("40"))
    assert not result.repaired
    assert snapshot(app.store) == before


def test_reconcile_repairs_the_counter_from_the_ledger_and_recomputes_holds(app: App) -> None:
    campaign = app.campaign(app.brand(), daily="100")
    app.spend(campaign, "60")
    app.spend(campaign, "40")
    assert app.get(campaign).holds == {Hold.DAILY_BUDGET}
    _corrupt_campaign(app, campaign.id, "10")
    app.enforce()  # believes the counter: releases
    assert app.get(campaign).status is Status.ACTIVE

    result = app.reconcile(repair=True)
    assert result.repaired and len(result.mismatches) == 1
    stored = app.get(campaign)
    assert stored.daily.spend == money("100")
    assert stored.holds == {Hold.DAILY_BUDGET} and stored.status is Status.PAUSED
    assert app.audit(campaign)[-1].cause is Cause.BUDGET_CHECK
    assert app.reconcile().mismatches == ()


def test_reconcile_treats_a_counter_of_an_earlier_period_as_zero(
    app: App, clock: FixedClock
) -> None:
    campaign = app.campaign(app.brand(), daily="100")
    app.spend(campaign, "30")
    clock.set(utc(2026, 6, 16, 9))
    assert app.get(campaign).daily.period < clock.now().date()
    assert app.reconcile().mismatches == ()
    _corrupt_campaign(app, campaign.id, "99")  # yesterday's counter, wrong: not today's business
    assert app.reconcile().mismatches == ()


def test_reconcile_detects_and_repairs_a_brand_counter(app: App) -> None:
    brand = app.brand(monthly_budget="100")
    first, second = app.campaign(brand, daily="1000"), app.campaign(brand, daily="1000")
    app.spend(first, "50")
    app.spend(second, "50")
    assert app.get(first).holds == {Hold.BRAND_MONTHLY_BUDGET}
    _corrupt_brand(app, brand.id, "20")
    before = snapshot(app.store)
    report = app.reconcile()
    assert [(m.subject, m.period, m.counter, m.ledger) for m in report.mismatches] == [
        ("brand", Period.MONTH, money("20"), money("100"))
    ]
    assert snapshot(app.store) == before

    app.edit_brand(brand, monthly_budget="100")  # recomputes with the wrong counter: releases
    assert app.get(first).status is Status.ACTIVE
    app.reconcile(repair=True)
    assert app.store.brand(brand.id).monthly == Counter(
        app.store.brand(brand.id).monthly.period, money("100")
    )
    assert app.get(first).holds == app.get(second).holds == {Hold.BRAND_MONTHLY_BUDGET}
    assert app.reconcile().mismatches == ()
