"""Money: exact decimals with at most six places (ad platforms report micros)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Self

import attrs

from core.entities.errors import InvalidInput

PLACES = 6
_QUANTUM = Decimal(1).scaleb(-PLACES)
MAX_AMOUNT = Decimal("999999999999")  # an amount or a budget; a counter may hold 10^6 times more

MoneyInput = Decimal | int | str


@attrs.frozen(order=False)
class Money:
    amount: Decimal

    # Written out rather than generated: spend is compared with budgets for every event.
    def __lt__(self, other: Money) -> bool:
        return self.amount < other.amount

    def __le__(self, other: Money) -> bool:
        return self.amount <= other.amount

    def __gt__(self, other: Money) -> bool:
        return self.amount > other.amount

    def __ge__(self, other: Money) -> bool:
        return self.amount >= other.amount

    @staticmethod
    def zero() -> Money:
        # One shared instance: Money is immutable, and counters ask for zero all the time.
        return _ZERO

    @classmethod
    def of(cls, value: Decimal | int | str) -> Self:
        """Trusted construction (stored values); use `parse` for input."""
        return cls(Decimal(value).quantize(_QUANTUM))

    @classmethod
    def parse(cls, value: object, field: str, *, allow_zero: bool = False) -> Self:
        """Parse caller input exactly. Floats are refused because they are not exact;
        JSON numbers must be decoded as Decimal before they reach the core.

        Raises InvalidInput naming `field` for anything that is not a finite, positive
        (or, with allow_zero, non-negative) number with at most six decimal places."""
        if isinstance(value, bool) or value is None or isinstance(value, float):
            raise InvalidInput.on(field, "must be a decimal number given as a string or integer")
        if isinstance(value, str):
            text = value.strip()
            if not text:
                raise InvalidInput.on(field, "is required")
            try:
                number = Decimal(text)
            except InvalidOperation:
                raise InvalidInput.on(field, f"'{value}' is not a number") from None
        elif isinstance(value, int | Decimal):
            number = Decimal(value)
        else:
            raise InvalidInput.on(field, "must be a decimal number")
        if not number.is_finite():
            raise InvalidInput.on(field, "must be a finite number")
        if number < 0 or (number == 0 and not allow_zero):
            raise InvalidInput.on(
                field, "must be greater than zero" if not allow_zero else "must not be negative"
            )
        if number > MAX_AMOUNT:
            raise InvalidInput.on(field, f"must not exceed {MAX_AMOUNT}")
        exact = number.quantize(_QUANTUM)  # bounded above, so it never overflows the context
        if exact != number:
            raise InvalidInput.on(field, f"has more than {PLACES} decimal places")
        return cls(exact)

    def __add__(self, other: Money) -> Money:
        return Money(self.amount + other.amount)

    def __sub__(self, other: Money) -> Money:
        return Money(self.amount - other.amount)

    def is_zero(self) -> bool:
        return self.amount == 0

    def share_of(self, budget: Money) -> Decimal:
        """Spend as a fraction of `budget` (budgets are always positive)."""
        return self.amount / budget.amount

    def __str__(self) -> str:
        return format(self.amount.normalize(), "f")


_ZERO = Money(Decimal(0).quantize(_QUANTUM))
