"""The brand: an agency's client, with its time zone, currency and optional brand-wide caps."""

from __future__ import annotations

import re
from datetime import datetime
from typing import NewType

import attrs

from core.entities.budget import (
    BudgetUse,
    Counter,
    Period,
    add_to_counters,
    next_counter_reset,
    roll_counters,
)
from core.entities.errors import Collector, InvalidInput, check_text
from core.entities.money import Money
from core.entities.time import parse_timezone

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
        values: dict[str, object] = {}
        for field, parse, raw in (
            ("name", parse_name, name),
            ("timezone", parse_timezone, timezone),
            ("currency", parse_currency, currency),
        ):
            try:
                values[field] = parse(raw, field)
            except InvalidInput as error:
                errors.absorb(error)
        for field, raw in (("daily_budget", daily_budget), ("monthly_budget", monthly_budget)):
            try:
                values[field] = parse_optional_budget(raw, field)
            except InvalidInput as error:
                errors.absorb(error)
        if not isinstance(is_active, bool):
            errors.add("is_active", "must be true or false")
        errors.raise_if_any()
        return cls(
            id=BrandId(0),
            name=str(values["name"]),
            timezone=str(values["timezone"]),
            currency=str(values["currency"]),
            is_active=bool(is_active),
            daily_budget=values["daily_budget"],  # type: ignore[arg-type]
            monthly_budget=values["monthly_budget"],  # type: ignore[arg-type]
        )

    # -- spend ---------------------------------------------------------------------------

    def spend(self, period: Period, now: datetime) -> Money:
        counter = self.daily if period is Period.DAY else self.monthly
        return counter.spend_in(period.containing(now, self.timezone))

    def budget(self, period: Period) -> Money | None:
        return self.daily_budget if period is Period.DAY else self.monthly_budget

    def use(self, period: Period, now: datetime) -> BudgetUse:
        """How much of the brand's budget for the period containing `now` is used."""
        return BudgetUse(self.spend(period, now), self.budget(period))

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

    def record(self, amount: Money, occurred_at: datetime, now: datetime) -> None:
        """Add an accepted spend to the counters of the current periods it falls in."""
        self.daily, self.monthly, _ = roll_counters(self.daily, self.monthly, now, self.timezone)
        self.daily, self.monthly = add_to_counters(
            self.daily, self.monthly, amount, occurred_at, self.timezone
        )
        self.reset_due_at = self.next_reset_at(now)

    def next_reset_at(self, now: datetime) -> datetime | None:
        """When a counter of this brand next needs starting afresh; None if both are zero."""
        return next_counter_reset(self.daily, self.monthly, now, self.timezone)
