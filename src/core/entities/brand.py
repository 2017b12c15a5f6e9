"""The brand: an agency's client, with its time zone, currency and optional brand-wide caps."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import NewType

import attrs

from core.entities.alerts import Alert, Subject, raised
from core.entities.budget import (
    PERIODS,
    BudgetUse,
    Counter,
    Period,
    add_to_counters,
    next_counter_reset,
    roll_counters,
)
from core.entities.errors import Collector, InvalidInput, check_text
from core.entities.money import Money
from core.entities.pacing import Pacing, PeriodPlan, pace, period_bounds
from core.entities.time import parse_timezone
from core.entities.unset import UNSET, Unset

BrandId = NewType("BrandId", int)

_CURRENCY = re.compile(r"^[A-Z]{3}$")
NAME_MAX = 200


def parse_name(value: object, field: str = "name") -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput.on(field, "is required")
    name = check_text(value, field).strip()
    if len(name) > NAME_MAX:
        raise InvalidInput.on(field, f"must be at most {NAME_MAX} characters")
    return name


def parse_currency(value: object, field: str = "currency") -> str:
    if not isinstance(value, str) or not _CURRENCY.match(value.strip().upper()):
        raise InvalidInput.on(field, "must be a three-letter ISO 4217 code such as USD")
    return value.strip().upper()


def parse_optional_budget(value: object, field: str) -> Money | None:
    if value is None or value == "":
        return None
    return Money.parse(value, field)


def parse_flag(value: object, field: str) -> bool:
    if not isinstance(value, bool):
        raise InvalidInput.on(field, "must be true or false")
    return value


@attrs.frozen
class BrandChanges:
    """An operator's edit of a brand, checked field by field; a field left UNSET keeps its
    value, a budget set to None is removed."""

    name: str | Unset = UNSET
    timezone: str | Unset = UNSET
    currency: str | Unset = UNSET
    is_active: bool | Unset = UNSET
    daily_budget: Money | Unset | None = UNSET
    monthly_budget: Money | Unset | None = UNSET

    @classmethod
    def parse(
        cls,
        *,
        name: object = UNSET,
        timezone: object = UNSET,
        currency: object = UNSET,
        is_active: object = UNSET,
        daily_budget: object = UNSET,
        monthly_budget: object = UNSET,
    ) -> BrandChanges:
        """Raises InvalidInput listing every bad field."""
        errors = Collector()
        changes = cls(
            name=errors.change(parse_name, name, "name"),
            timezone=errors.change(parse_timezone, timezone, "timezone"),
            currency=errors.change(parse_currency, currency, "currency"),
            is_active=errors.change(parse_flag, is_active, "is_active"),
            daily_budget=errors.change(parse_optional_budget, daily_budget, "daily_budget"),
            monthly_budget=errors.change(parse_optional_budget, monthly_budget, "monthly_budget"),
        )
        errors.raise_if_any()
        return changes


@attrs.define(eq=False)
class Brand:
    id: BrandId
    name: str
    timezone: str = "UTC"
    currency: str = "USD"
    is_active: bool = True
    daily_budget: Money | None = None
    monthly_budget: Money | None = None
    daily: Counter = attrs.field(factory=Counter.never)
    monthly: Counter = attrs.field(factory=Counter.never)
    reset_due_at: datetime | None = None

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Brand) and other.id == self.id and self.id != 0

    def __hash__(self) -> int:
        return hash(("brand", self.id))

    @classmethod
    def create(
        cls,
        *,
        name: object,
        timezone: object = "UTC",
        currency: object = "USD",
        is_active: object = True,
        daily_budget: object = None,
        monthly_budget: object = None,
    ) -> Brand:
        """Validate every field and build an unsaved brand; raises InvalidInput listing
        each bad field."""
        errors = Collector()
        brand = cls(
            id=BrandId(0),
            name=errors.take(parse_name, name, "name", ""),
            timezone=errors.take(parse_timezone, timezone, "timezone", "UTC"),
            currency=errors.take(parse_currency, currency, "currency", "USD"),
            daily_budget=errors.take(parse_optional_budget, daily_budget, "daily_budget", None),
            monthly_budget=errors.take(
                parse_optional_budget, monthly_budget, "monthly_budget", None
            ),
            is_active=errors.take(parse_flag, is_active, "is_active", True),
        )
        errors.raise_if_any()
        return brand

    def edit(self, changes: BrandChanges) -> bool:
        """Apply an operator's edit; True when it moved the brand to another time zone (its
        counters, dated in the old zone, must then be counted afresh from the ledger)."""
        rezoned = changes.timezone is not UNSET and changes.timezone != self.timezone
        if changes.name is not UNSET:
            self.name = changes.name
        if changes.timezone is not UNSET:
            self.timezone = changes.timezone
        if changes.currency is not UNSET:
            self.currency = changes.currency
        if changes.is_active is not UNSET:
            self.is_active = changes.is_active
        if changes.daily_budget is not UNSET:
            self.daily_budget = changes.daily_budget
        if changes.monthly_budget is not UNSET:
            self.monthly_budget = changes.monthly_budget
        return rezoned

    # -- spend ---------------------------------------------------------------------------

    def spend(self, period: Period, now: datetime) -> Money:
        counter = self.daily if period is Period.DAY else self.monthly
        return counter.spend_in(period.containing(now, self.timezone))

    def budget(self, period: Period) -> Money | None:
        return self.daily_budget if period is Period.DAY else self.monthly_budget

    def use(self, period: Period, now: datetime) -> BudgetUse:
        """How much of the brand's budget for the period containing `now` is used."""
        return BudgetUse(self.spend(period, now), self.budget(period))

    def exhausted(self, period: Period, now: datetime) -> bool:
        """Whether that budget is used up. Most brands set none, and every refresh of every
        campaign asks, so that case is answered before any spend is looked up."""
        return self.budget(period) is not None and self.use(period, now).exhausted

    def set_counter(self, period: Period, counter: Counter) -> None:
        """Replace one period's counter (with the ledger's sum, when counting afresh)."""
        if period is Period.DAY:
            self.daily = counter
        else:
            self.monthly = counter

    def roll(self, now: datetime) -> int:
        """Move both counters to the periods containing `now`; returns how many counters
        holding spend were started afresh."""
        self.daily, self.monthly, reset = roll_counters(
            self.daily, self.monthly, now, self.timezone
        )
        self.reset_due_at = self.next_reset_at(now)
        return reset

    def record(self, amount: Money, occurred_at: datetime, now: datetime) -> tuple[Period, ...]:
        """Add an accepted spend to the counters of the current periods it falls in. Returns
        the periods whose brand-wide budget this spend exhausted: then every campaign of the
        brand must be held, not only the one that spent."""
        open_budgets = [
            p for p in PERIODS if self.budget(p) is not None and not self.exhausted(p, now)
        ]
        self.daily, self.monthly, _ = roll_counters(self.daily, self.monthly, now, self.timezone)
        self.daily, self.monthly = add_to_counters(
            self.daily, self.monthly, amount, occurred_at, self.timezone
        )
        self.reset_due_at = self.next_reset_at(now)
        return tuple(p for p in open_budgets if self.exhausted(p, now))

    def spent(self, now: datetime) -> dict[Period, Money]:
        """Spend in the day and the month containing `now`."""
        return {p: self.spend(p, now) for p in PERIODS}

    def alerts_since(self, before: Mapping[Period, Money], now: datetime) -> list[Alert]:
        """The alerts the brand's spend raised by growing from `before` (its `spent` earlier
        in the same periods)."""
        return [
            alert
            for p in PERIODS
            for alert in raised(
                (Subject.BRAND, self.id, p),
                self.name,
                self.currency,
                self.use(p, now),
                before[p],
                now,
                self.timezone,
            )
        ]

    def plan(self, period: Period, now: datetime) -> PeriodPlan:
        """The day or month containing `now`, all of it scheduled (a brand has no windows
        and no flight of its own)."""
        start, end = period_bounds(period, now, self.timezone)
        return PeriodPlan(start, end, (), self.timezone)

    def pacing(
        self, period: Period, now: datetime, earlier_rate: Money | None = None
    ) -> Pacing | None:
        """The brand's spend in the period against its brand-wide budget as of `now`; None
        when the brand sets no budget for that period."""
        budget = self.budget(period)
        if budget is None:
            return None
        plan = self.plan(period, now)
        return pace(plan, period.value, self.spend(period, now), budget, now, earlier_rate)

    def next_reset_at(self, now: datetime) -> datetime | None:
        """When a counter of this brand next needs starting afresh; None if both are zero."""
        return next_counter_reset(self.daily, self.monthly, now, self.timezone)
