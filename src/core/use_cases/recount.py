"""Counting the current periods afresh from the ledger (invariant 1): after a change of time
zone, and when reconciling counters with the ledger."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime

from core.entities import Brand, BrandId, Campaign, Counter, Money, Period
from core.entities.budget import PERIODS
from core.entities.time import day_start
from core.ports import UnitOfWork


def current_periods(now: datetime, tz: str) -> list[tuple[Period, date, datetime, datetime]]:
    """The current day and month in zone `tz`: each period, its first local day, and the
    instants it starts and ends (its window of the ledger)."""
    found = []
    for period in PERIODS:
        day = period.containing(now, tz)
        found.append((period, day, day_start(day, tz), period.end(day, tz)))
    return found


def recount(
    uow: UnitOfWork,
    campaigns: Sequence[Campaign],
    brands: Mapping[BrandId, Brand],
    now: datetime,
) -> None:
    """Set each campaign's current day and month counters to the ledger's sums for them,
    with one ledger look-up for all the campaigns."""
    periods = [current_periods(now, brands[c.brand_id].timezone) for c in campaigns]
    totals = iter(
        uow.ledger.totals(
            [
                (campaign.id, start, end)
                for campaign, current in zip(campaigns, periods, strict=True)
                for _, _, start, end in current
            ]
        )
    )
    for campaign, current in zip(campaigns, periods, strict=True):
        for period, day, _, _ in current:
            campaign.set_counter(period, Counter(day, next(totals)))


def brand_ledger_totals(
    uow: UnitOfWork, brand: Brand, now: datetime
) -> list[tuple[Period, date, Money]]:
    """The brand's current day and month, each with the ledger's sum for it."""
    return [
        (period, day, uow.ledger.brand_total(brand.id, start, end))
        for period, day, start, end in current_periods(now, brand.timezone)
    ]
