"""Reconcile: check that every counter equals the sum of the ledger for its period
(invariant 1), and optionally repair the counters from the ledger."""

from __future__ import annotations

from datetime import datetime

import attrs

from core.entities import SYSTEM, BrandId, CampaignId, Cause, Counter, Money, Period
from core.entities.time import day_start, next_month
from core.ports import UnitOfWorkFactory
from core.use_cases._refresh import lock_for_refresh, refresh_and_save


@attrs.frozen
class ReconcileCommand:
    now: datetime
    repair: bool = False
    actor: str = SYSTEM


@attrs.frozen
class Mismatch:
    subject: str  # "campaign" or "brand"
    subject_id: int
    period: Period
    counter: Money
    ledger: Money


@attrs.frozen
class ReconcileResult:
    checked_campaigns: int
    checked_brands: int
    mismatches: tuple[Mismatch, ...]
    repaired: bool


def _bounds(period: Period, counter: Counter, tz: str) -> tuple[datetime, datetime]:
    start = counter.period
    end = start.fromordinal(start.toordinal() + 1) if period is Period.DAY else next_month(start)
    return day_start(start, tz), day_start(end, tz)


class Reconcile:
    """Compare each campaign's and brand's current-period counters with the ledger. With
    `repair`, set mismatching counters to the ledger's sums and recompute the campaigns'
    holds (each fix audited like any status change). Counters of an earlier period than
    `now` count as zero and are compared as such."""

    def __init__(self, uow: UnitOfWorkFactory, chunk_size: int = 1000) -> None:
        self._uow = uow
        self._chunk = chunk_size

    def __call__(self, command: ReconcileCommand) -> ReconcileResult:
        now = command.now
        mismatches: list[Mismatch] = []
        checked = 0
        brand_ids: set[BrandId] = set()
        after = CampaignId(0)
        while True:
            with self._uow() as uow:
                page = uow.campaigns.page(after, self._chunk)
                if not page:
                    break
                after = max(c.id for c in page)
                brands = uow.brands.get_many({c.brand_id for c in page})
                fix: list[CampaignId] = []
                for campaign in page:
                    brand = brands[campaign.brand_id]
                    brand_ids.add(brand.id)
                    checked += 1
                    for period, counter in (
                        (Period.DAY, campaign.daily),
                        (Period.MONTH, campaign.monthly),
                    ):
                        current = period.containing(now, brand.timezone)
                        if counter.period != current:
                            counter = Counter.empty(current)
                        start, end = _bounds(period, counter, brand.timezone)
                        total = uow.ledger.total(campaign.id, start, end)
                        if total != counter.spend:
                            mismatches.append(
                                Mismatch("campaign", campaign.id, period, counter.spend, total)
                            )
                            fix.append(campaign.id)
                if command.repair and fix:
                    locked, locked_brands = lock_for_refresh(uow, fix)
                    for campaign in locked:
                        tz = locked_brands[campaign.brand_id].timezone
                        for period in Period:
                            current = period.containing(now, tz)
                            start, end = _bounds(period, Counter.empty(current), tz)
                            counter = Counter(current, uow.ledger.total(campaign.id, start, end))
                            if period is Period.DAY:
                                campaign.daily = counter
                            else:
                                campaign.monthly = counter
                    refresh_and_save(
                        uow, locked, locked_brands, now, Cause.BUDGET_CHECK, command.actor
                    )
                    uow.commit()
        for brand_id in sorted(brand_ids):
            with self._uow() as uow:
                brand = uow.brands.lock({brand_id})[brand_id]
                changed = False
                for period in Period:
                    current = period.containing(now, brand.timezone)
                    start, end = _bounds(period, Counter.empty(current), brand.timezone)
                    total = uow.ledger.brand_total(brand.id, start, end)
                    spend = brand.spend(period, now)
                    if total != spend:
                        mismatches.append(Mismatch("brand", brand.id, period, spend, total))
                        if period is Period.DAY:
                            brand.daily = Counter(current, total)
                        else:
                            brand.monthly = Counter(current, total)
                        changed = True
                if command.repair and changed:
                    brand.reset_due_at = brand.next_reset_at(now)
                    uow.brands.save(brand)
                    campaigns = uow.campaigns.lock_brand(brand.id)
                    refresh_and_save(
                        uow, campaigns, {brand.id: brand}, now, Cause.BUDGET_CHECK, command.actor
                    )
                    uow.commit()
        return ReconcileResult(checked, len(brand_ids), tuple(mismatches), command.repair)
