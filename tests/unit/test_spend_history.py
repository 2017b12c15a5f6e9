"""The spend history RecordSpend keeps: spend per campaign and brand and brand-local day,
written with the spend, whatever day the event is late from."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

from core.entities import DaySpend, Money
from core.use_cases.record_spend import Outcome

from .support import App, local_date, money, utc, wall

NY = "America/New_York"


def day(subject_id: int, on: date, spend: str, budget: str | None) -> DaySpend:
    return DaySpend(subject_id, on, money(spend), None if budget is None else money(budget))


def test_a_late_event_goes_to_its_own_brand_local_day(app: App) -> None:
    # 03:00 UTC on the 15th is 23:00 on the 14th in New York (EDT, UTC-4).
    brand = app.brand(timezone=NY, daily_budget="500")
    campaign = app.campaign(brand, daily="100")
    app.spend(campaign, "7", at=utc(2026, 6, 15, 3, 0))
    app.spend(campaign, "2.5", at=wall(NY, 2026, 6, 15, 0, 0))  # the first instant of the 15th
    app.spend(campaign, "1", at=app.now)

    assert app.store.campaign_days() == [
        day(campaign.id, date(2026, 6, 14), "7", "100"),
        day(campaign.id, date(2026, 6, 15), "3.5", "100"),
    ]
    assert app.store.brand_days() == [
        day(brand.id, date(2026, 6, 14), "7", "500"),
        day(brand.id, date(2026, 6, 15), "3.5", "500"),
    ]
    # Today's counter takes only today's spend; the history has yesterday's on its day.
    assert app.daily_spend(campaign) == money("3.5")


def test_a_brand_day_is_the_sum_of_its_campaigns_days_across_batches(app: App) -> None:
    acme = app.brand(timezone=NY)
    first, second = app.campaign(acme, daily="100"), app.campaign(acme, daily="200")
    other = app.campaign(app.brand(timezone="Asia/Tokyo"), daily="50")
    yesterday = app.now - timedelta(days=1)
    app.spend_batch(
        [
            {"campaign_id": first.id, "amount": "1.25", "key": "a"},
            {"campaign_id": second.id, "amount": "2", "key": "b"},
            {"campaign_id": first.id, "amount": "3", "key": "c", "occurred_at": yesterday},
            {"campaign_id": other.id, "amount": "4", "key": "d"},
        ]
    )
    app.spend(second, "0.75", at=yesterday)

    brand_of = {c.id: c.brand_id for c in app.store.campaigns()}
    by_brand: dict[tuple[int, date], Money] = defaultdict(Money.zero)
    for row in app.store.campaign_days():
        by_brand[(brand_of[row.subject_id], row.day)] += row.spend
    assert {(r.subject_id, r.day): r.spend for r in app.store.brand_days()} == dict(by_brand)
    acme_days = [r for r in app.store.brand_days() if r.subject_id == acme.id]
    today = local_date(app.now, NY)
    assert acme_days == [
        day(acme.id, today - timedelta(days=1), "3.75", None),
        day(acme.id, today, "3.25", None),
    ]
    tokyo_today = local_date(app.now, "Asia/Tokyo")
    assert [r for r in app.store.brand_days() if r.subject_id != acme.id] == [
        day(other.brand_id, tokyo_today, "4", None)
    ]


def test_the_history_equals_the_ledger_grouped_by_brand_local_day(app: App) -> None:
    brand = app.brand(timezone=NY)
    campaigns = [app.campaign(brand, daily="1000", monthly="100000") for _ in range(3)]
    start = app.now - timedelta(days=3)
    app.spend_batch(
        {
            "campaign_id": campaigns[n % 3].id,
            "amount": f"{n}.{n:02d}",
            "key": f"k{n}",
            "occurred_at": start + timedelta(hours=5 * n),
        }
        for n in range(1, 15)
    )
    expected: dict[tuple[int, date], Money] = defaultdict(Money.zero)
    for entry in app.ledger():
        expected[(entry.campaign_id, local_date(entry.occurred_at, NY))] += entry.amount
    assert {(r.subject_id, r.day): r.spend for r in app.store.campaign_days()} == dict(expected)
    assert sum((r.spend for r in app.store.brand_days()), Money.zero()) == sum(
        (e.amount for e in app.ledger()), Money.zero()
    )


def test_duplicates_and_rejected_events_add_nothing(app: App) -> None:
    brand = app.brand()
    campaign = app.campaign(brand, daily="100")
    app.spend(campaign, "10", key="once")
    before = (app.store.campaign_days(), app.store.brand_days())

    result = app.spend_batch(
        [
            {"campaign_id": campaign.id, "amount": "10", "key": "once"},  # a retry
            {"campaign_id": campaign.id, "amount": "11", "key": "once"},  # a conflict
            {"campaign_id": campaign.id, "amount": "-1", "key": "negative"},
            {"campaign_id": campaign.id + 1000, "amount": "5", "key": "unknown"},
        ]
    )

    assert [r.outcome for r in result.results] == [
        Outcome.DUPLICATE,
        Outcome.REJECTED,
        Outcome.REJECTED,
        Outcome.REJECTED,
    ]
    assert (app.store.campaign_days(), app.store.brand_days()) == before
    assert before[0] == [day(campaign.id, local_date(app.now, "UTC"), "10", "100")]


def test_a_row_takes_the_daily_budget_in_force_when_spend_is_added(app: App) -> None:
    brand = app.brand(daily_budget="300")
    campaign = app.campaign(brand, daily="100")
    app.spend(campaign, "10")
    app.edit(campaign, daily_budget="150")
    app.edit_brand(brand, daily_budget="400")
    app.spend(campaign, "5")
    today = local_date(app.now, "UTC")
    assert app.store.campaign_days() == [day(campaign.id, today, "15", "150")]
    assert app.store.brand_days() == [day(brand.id, today, "15", "400")]
