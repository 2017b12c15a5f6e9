"""Operator use cases on brands."""

from __future__ import annotations

from datetime import datetime

import attrs

from core.entities import SYSTEM, Brand, BrandId, Campaign, Cause, Counter, NotFound
from core.entities.brand import BrandChanges
from core.entities.unset import UNSET
from core.ports import Clock, UnitOfWork, UnitOfWorkFactory
from core.use_cases.recount import brand_ledger_totals, recount
from core.use_cases.refresh import refresh_and_save
from core.use_cases.sweeps import SweepResult, Tallier


@attrs.frozen
class CreateBrandCommand:
    name: object
    timezone: object = "UTC"
    currency: object = "USD"
    is_active: object = True
    daily_budget: object = None
    monthly_budget: object = None
    actor: str = SYSTEM


class CreateBrand:
    """Create a brand. Raises InvalidInput listing every bad field (unknown time zone,
    bad currency, non-positive budget…) and Conflict (field `name`) if the name is taken;
    nothing is written then."""

    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    def __call__(self, command: CreateBrandCommand) -> Brand:
        brand = Brand.create(
            name=command.name,
            timezone=command.timezone,
            currency=command.currency,
            is_active=command.is_active,
            daily_budget=command.daily_budget,
            monthly_budget=command.monthly_budget,
        )
        with self._uow() as uow:
            brand = uow.brands.add(brand)
            uow.commit()
        return brand


@attrs.frozen
class UpdateBrandCommand:
    """Fields left UNSET stay as they are; a budget set to None is removed."""

    brand_id: int
    name: object = UNSET
    timezone: object = UNSET
    currency: object = UNSET
    is_active: object = UNSET
    daily_budget: object = UNSET
    monthly_budget: object = UNSET
    actor: str = SYSTEM


@attrs.frozen
class UpdateBrandResult:
    brand: Brand
    campaigns: SweepResult


class UpdateBrand:
    """Edit a brand and recompute all its campaigns at once (deactivating a brand holds
    every campaign with BRAND_INACTIVE; a lower brand budget holds them now; a new time zone
    recounts today's and this month's spend from the ledger in that zone). Raises
    NotFound (`brand_id`), InvalidInput per bad field, Conflict (`name`)."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    def __call__(self, command: UpdateBrandCommand) -> UpdateBrandResult:
        changes = BrandChanges.parse(
            name=command.name,
            timezone=command.timezone,
            currency=command.currency,
            is_active=command.is_active,
            daily_budget=command.daily_budget,
            monthly_budget=command.monthly_budget,
        )
        now = self._clock.now()
        tally = Tallier()
        with self._uow() as uow:
            found = uow.brands.lock({BrandId(command.brand_id)})
            brand = found.get(BrandId(command.brand_id))
            if brand is None:
                raise NotFound.on("brand_id", f"brand {command.brand_id} does not exist")
            rezoned = brand.edit(changes)
            campaigns = uow.campaigns.lock_brand(brand.id)
            if rezoned:
                _recount(uow, brand, campaigns, now)
            brand.roll(now)
            uow.brands.save(brand)
            tally.count(
                refresh_and_save(
                    uow, campaigns, {brand.id: brand}, now, Cause.BRAND_EDIT, command.actor
                )
            )
            uow.commit()
        return UpdateBrandResult(brand, tally.result())


def _recount(uow: UnitOfWork, brand: Brand, campaigns: list[Campaign], now: datetime) -> None:
    """A new time zone moves every day and month boundary, so counters dated in the old zone
    no longer match the ledger (invariant 1): count the current periods afresh from it."""
    for period, day, total in brand_ledger_totals(uow, brand, now):
        brand.set_counter(period, Counter(day, total))
    recount(uow, campaigns, {brand.id: brand}, now)
