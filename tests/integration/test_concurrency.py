"""RecordSpend under concurrent writers on the real database: no lost update, no double
entry, and on SQLite no "database is locked"."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.db import connections

from adapters.django_orm.unit_of_work import DjangoUnitOfWork
from adapters.in_memory import FixedClock
from core.entities import BrandId, CampaignId, Hold, Money, Status
from core.use_cases.brands import CreateBrand, CreateBrandCommand
from core.use_cases.campaigns import (
    CampaignActionCommand,
    CreateCampaign,
    CreateCampaignCommand,
    LaunchCampaign,
)
from core.use_cases.record_spend import Outcome, RecordSpend, RecordSpendCommand, RecordSpendResult

from .conftest import NOW, stored_audit

pytestmark = pytest.mark.django_db(transaction=True)

THREADS = 5
EVENTS_PER_THREAD = 30

clock = FixedClock(NOW)


def make_campaigns(
    count: int, daily_budget: str = "1000000", brand_daily_budget: str | None = None
) -> tuple[BrandId, list[CampaignId]]:
    brand = CreateBrand(DjangoUnitOfWork)(
        CreateBrandCommand(name="Acme", daily_budget=brand_daily_budget)
    )
    ids = []
    for n in range(count):
        campaign = CreateCampaign(DjangoUnitOfWork, clock)(
            CreateCampaignCommand(
                brand_id=brand.id,
                name=f"c{n}",
                daily_budget=daily_budget,
                monthly_budget="10000000",
                start_date="2026-01-01",
            )
        )
        LaunchCampaign(DjangoUnitOfWork, clock)(CampaignActionCommand(campaign.id))
        ids.append(campaign.id)
    return brand.id, ids


def run_in_threads(work: Sequence[Callable[[], Any]]) -> tuple[list[Any], list[BaseException]]:
    """Run each callable in its own thread, all released at once; gather results and
    errors. Each thread closes its database connections when done."""
    barrier = threading.Barrier(len(work))
    results: list[Any] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def run(job: Callable[[], Any]) -> None:
        try:
            barrier.wait()
            result = job()
            with lock:
                results.append(result)
        except BaseException as error:
            with lock:
                errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(job,)) for job in work]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not any(t.is_alive() for t in threads), "a writer never finished"
    return results, errors


def amount(thread: int, n: int) -> Decimal:
    # Distinct amounts with six places, so a lost or doubled event shows in the sum.
    return Decimal(f"{n + 1}.{thread:02d}{n % 7:04d}")


def recorder(
    campaign_for: Callable[[int, int], CampaignId], thread: int, batch: int = 1
) -> Callable[[], list[RecordSpendResult]]:
    """A writer recording its events `batch` at a time, each batch one RecordSpend call."""

    def job() -> list[RecordSpendResult]:
        record = RecordSpend(DjangoUnitOfWork, clock)
        events = [
            {
                "campaign_id": campaign_for(thread, n),
                "amount": str(amount(thread, n)),
                "key": f"t{thread}-e{n}",
            }
            for n in range(EVENTS_PER_THREAD)
        ]
        return [
            record(RecordSpendCommand(events=events[i : i + batch]))
            for i in range(0, len(events), batch)
        ]

    return job


def ledger_sum(campaign_id: CampaignId | None = None, brand_id: BrandId | None = None) -> Money:
    """Today's ledger sum (the brand's day is the UTC day)."""
    day = NOW.replace(hour=0, minute=0)
    with DjangoUnitOfWork() as uow:
        if campaign_id is not None:
            (total,) = uow.ledger.totals([(campaign_id, day, day + timedelta(days=1))])
            return total
        assert brand_id is not None
        return uow.ledger.brand_total(brand_id, day, day + timedelta(days=1))


def test_concurrent_spend_on_one_campaign_loses_no_update() -> None:
    brand_id, (campaign_id,) = make_campaigns(1)
    jobs = [recorder(lambda _t, _n: campaign_id, t) for t in range(THREADS)]

    results, errors = run_in_threads(jobs)

    assert errors == []
    outcomes = [r.outcome for batch in results for result in batch for r in result.results]
    assert outcomes == [Outcome.RECORDED] * (THREADS * EVENTS_PER_THREAD)
    inputs = Money.of(sum(amount(t, n) for t in range(THREADS) for n in range(EVENTS_PER_THREAD)))
    with DjangoUnitOfWork() as uow:
        campaign = uow.campaigns.get(campaign_id)
        brand = uow.brands.get(brand_id)
    assert campaign is not None and brand is not None
    assert campaign.daily.spend == campaign.monthly.spend == inputs
    assert ledger_sum(campaign_id=campaign_id) == inputs
    assert brand.daily.spend == brand.monthly.spend == inputs
    assert ledger_sum(brand_id=brand_id) == inputs
    assert campaign.status is Status.ACTIVE


def test_concurrent_spend_across_a_brand_loses_no_brand_update() -> None:
    brand_id, ids = make_campaigns(3)
    # Each thread writes to every campaign in turn, in batches that span campaigns, so the
    # brand row is always contended and campaigns are locked together in varying mixes.
    jobs = [recorder(lambda t, n: ids[(t + n) % len(ids)], t, batch=3) for t in range(THREADS)]

    _, errors = run_in_threads(jobs)

    assert errors == []
    per_campaign = {c: Decimal(0) for c in ids}
    for t in range(THREADS):
        for n in range(EVENTS_PER_THREAD):
            per_campaign[ids[(t + n) % len(ids)]] += amount(t, n)
    with DjangoUnitOfWork() as uow:
        campaigns = uow.campaigns.lock(set(ids))
        brand = uow.brands.get(brand_id)
    assert brand is not None
    for campaign_id, expected in per_campaign.items():
        assert campaigns[campaign_id].daily.spend == Money.of(expected)
        assert ledger_sum(campaign_id=campaign_id) == Money.of(expected)
    total = Money.of(sum(per_campaign.values()))
    assert brand.daily.spend == brand.monthly.spend == ledger_sum(brand_id=brand_id) == total


def test_a_budget_reached_under_concurrent_spend_holds_the_campaign_once() -> None:
    # 5 threads x 30 events of about 1-30 each: far past a daily budget of 500.
    _, (campaign_id,) = make_campaigns(1, daily_budget="500")
    jobs = [recorder(lambda _t, _n: campaign_id, t) for t in range(THREADS)]

    _, errors = run_in_threads(jobs)

    assert errors == []
    inputs = Money.of(sum(amount(t, n) for t in range(THREADS) for n in range(EVENTS_PER_THREAD)))
    with DjangoUnitOfWork() as uow:
        campaign = uow.campaigns.get(campaign_id)
    audit = stored_audit(campaign_id)
    assert campaign is not None
    # Spend for a held campaign is still recorded.
    assert campaign.daily.spend == ledger_sum(campaign_id=campaign_id) == inputs
    assert campaign.status is Status.PAUSED and Hold.DAILY_BUDGET in campaign.holds
    stops = [e for e in audit if e.from_status is Status.ACTIVE]
    assert len(stops) == 1 and stops[0].to_status is Status.PAUSED


def test_a_brand_budget_reached_under_concurrent_spend_holds_every_campaign() -> None:
    brand_id, ids = make_campaigns(3, brand_daily_budget="400")
    jobs = [recorder(lambda t, n: ids[(t + n) % len(ids)], t, batch=2) for t in range(THREADS)]

    _, errors = run_in_threads(jobs)

    assert errors == []
    inputs = Money.of(sum(amount(t, n) for t in range(THREADS) for n in range(EVENTS_PER_THREAD)))
    with DjangoUnitOfWork() as uow:
        brand = uow.brands.get(brand_id)
        campaigns = uow.campaigns.lock(set(ids))
    assert brand is not None
    assert brand.daily.spend == ledger_sum(brand_id=brand_id) == inputs
    for campaign in campaigns.values():
        assert campaign.holds == frozenset({Hold.BRAND_DAILY_BUDGET})
        assert campaign.status is Status.PAUSED


@pytest.mark.parametrize("same_amount", [True, False], ids=["retry", "conflicting reuse"])
def test_one_key_sent_by_many_writers_at_once_is_recorded_once(same_amount: bool) -> None:
    _, (campaign_id,) = make_campaigns(1)

    def job(thread: int) -> Callable[[], RecordSpendResult]:
        value = "12.345678" if same_amount else f"{thread + 1}.5"
        event = {"campaign_id": campaign_id, "amount": value, "key": "the-key"}
        return lambda: RecordSpend(DjangoUnitOfWork, clock)(RecordSpendCommand(events=[event]))

    results, errors = run_in_threads([job(t) for t in range(THREADS)])

    assert errors == []
    outcomes = sorted(r.results[0].outcome for r in results)
    others = Outcome.DUPLICATE if same_amount else Outcome.REJECTED
    assert outcomes == sorted([Outcome.RECORDED] + [others] * (THREADS - 1))
    with DjangoUnitOfWork() as uow:
        entries = {
            key: e for (_, key), e in uow.ledger.find_many({(campaign_id, "the-key")}).items()
        }
        campaign = uow.campaigns.get(campaign_id)
    assert list(entries) == ["the-key"]
    assert campaign is not None
    assert campaign.daily.spend == entries["the-key"].amount == ledger_sum(campaign_id=campaign_id)
