"""Reconcile: check that every counter equals the sum of the ledger for its period
(invariant 1), and optionally repair the counters from the ledger."""

from __future__ import annotations

from datetime import datetime

import attrs

from core.entities import SYSTEM, BrandId, Campaign, CampaignId, Cause, Counter, Money, Period
from core.ports import UnitOfWork, UnitOfWorkFactory
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
                checked += len(page)
                brand_ids.update(c.brand_id for c in page)
                mismatches += _check_campaigns(uow, page, command)
        for brand_id in sorted(brand_ids):
            with self._uow() as uow:
                mismatches += _check_brand(uow, brand_id, command)
        return ReconcileResult(checked, len(brand_ids), tuple(mismatches), command.repair)


def _check_campaigns(
    uow: UnitOfWork, page: list[Campaign], command: ReconcileCommand
) -> list[Mismatch]:
    """Compare a page of campaigns' counters with the ledger's sums, taken in one call for
    every campaign's current day and month; with `repair`, recount and refresh those that
    differ, and commit."""
    now = command.now
    brands = uow.brands.get_many({c.brand_id for c in page})
    windows: list[tuple[CampaignId, datetime, datetime]] = []
    counted: list[tuple[Period, Money]] = []
    for campaign in page:
        tz = brands[campaign.brand_id].timezone
        for period, _, start, end in current_periods(now, tz):
            windows.append((campaign.id, start, end))
            counted.append((period, campaign.spend(period, now, tz)))
    totals = uow.ledger.totals(windows)
    mismatches = [
        Mismatch("campaign", campaign_id, period, spend, total)
        for (campaign_id, _, _), (period, spend), total in zip(
            windows, counted, totals, strict=True
        )
        if total != spend
    ]
    if command.repair and mismatches:
        fix = sorted({CampaignId(m.subject_id) for m in mismatches})
        locked, locked_brands = lock_for_refresh(uow, fix)
        recount(uow, locked, locked_brands, now)
        refresh_and_save(uow, locked, locked_brands, now, Cause.BUDGET_CHECK, command.actor)
        uow.commit()
    return mismatches


def _check_brand(uow: UnitOfWork, brand_id: BrandId, command: ReconcileCommand) -> list[Mismatch]:
    """Compare one brand's counters with the ledger; with `repair`, set them to the ledger's
    sums, refresh the brand's campaigns, and commit."""
    now = command.now
    brand = uow.brands.lock({brand_id})[brand_id]
    mismatches: list[Mismatch] = []
    for period, day, total in brand_ledger_totals(uow, brand, now):
        spend = brand.spend(period, now)
        if total != spend:
            mismatches.append(Mismatch("brand", brand.id, period, spend, total))
            brand.set_counter(period, Counter(day, total))
    if command.repair and mismatches:
        brand.reset_due_at = brand.next_reset_at(now)
        uow.brands.save(brand)
        campaigns = uow.campaigns.lock_brand(brand.id)
        refresh_and_save(uow, campaigns, {brand.id: brand}, now, Cause.BUDGET_CHECK, command.actor)
        uow.commit()
    return mismatches
