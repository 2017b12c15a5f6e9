"""Reconcile: check that every counter equals the sum of the ledger for its period
(invariant 1), and optionally repair the counters from the ledger."""

from __future__ import annotations

from datetime import datetime

import attrs

from core.entities import SYSTEM, BrandId, CampaignId, Cause, Counter, Money, Period
from core.ports import UnitOfWorkFactory
from core.use_cases.recount import brand_ledger_totals, current_periods, recount
from core.use_cases.refresh import lock_for_refresh, refresh_and_save


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
                # Every campaign's current day and month, summed from the ledger in one call.
                windows: list[tuple[CampaignId, datetime, datetime]] = []
                counted: list[tuple[Period, Money]] = []
                for campaign in page:
                    tz = brands[campaign.brand_id].timezone
                    brand_ids.add(campaign.brand_id)
                    checked += 1
                    for period, _, start, end in current_periods(now, tz):
                        windows.append((campaign.id, start, end))
                        counted.append((period, campaign.spend(period, now, tz)))
                totals = uow.ledger.totals(windows)
                for (campaign_id, _, _), (period, spend), total in zip(
                    windows, counted, totals, strict=True
                ):
                    if total != spend:
                        mismatches.append(Mismatch("campaign", campaign_id, period, spend, total))
                        if not fix or fix[-1] != campaign_id:
                            fix.append(campaign_id)
                if command.repair and fix:
                    locked, locked_brands = lock_for_refresh(uow, fix)
                    recount(uow, locked, locked_brands, now)
                    refresh_and_save(
                        uow, locked, locked_brands, now, Cause.BUDGET_CHECK, command.actor
                    )
                    uow.commit()
        for brand_id in sorted(brand_ids):
            with self._uow() as uow:
                brand = uow.brands.lock({brand_id})[brand_id]
                changed = False
                for period, day, total in brand_ledger_totals(uow, brand, now):
                    spend = brand.spend(period, now)
                    if total != spend:
                        mismatches.append(Mismatch("brand", brand.id, period, spend, total))
                        brand.set_counter(period, Counter(day, total))
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
