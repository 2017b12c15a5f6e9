"""Money: exact decimals with at most six places (ad platforms report micros)."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Self

import attrs

from core.entities.errors import InvalidInput

PLACES = 6
_QUANTUM = Decimal(1).scaleb(-PLACES)
MAX_AMOUNT = Decimal("999999999999")  # an amount or a budget; a counter may hold 10^6 times more

MoneyInput = Decimal | int | str

# Money given as text: ASCII digits, then optionally a point and 1 to 6 places. Nothing else
# (no sign, exponent, spaces, underscores or other scripts' digits, all of which Decimal()
# would take). The API documents MONEY_PATTERN; text is checked against MONEY_TEXT as a whole
# (Python's `$` would also let a final newline through).
MONEY_TEXT = r"[0-9]+(\.[0-9]{1,6})?"
MONEY_PATTERN = f"^{MONEY_TEXT}$"
_MONEY_TEXT = re.compile(MONEY_TEXT)
_NEGATIVE_TEXT = re.compile(r"-[0-9]+(\.[0-9]+)?")
_OVER_PRECISE_TEXT = re.compile(r"[0-9]+\.[0-9]{7,}")
_NOT_FINITE_TEXT = frozenset({"nan", "snan", "inf", "infinity"})


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
        """Parse caller input exactly: text must match MONEY_PATTERN, a number must be an
        int or a Decimal (JSON numbers are decoded as Decimal before they reach the core;
        floats are refused because they are not exact).

        Raises InvalidInput naming `field` for anything that is not a finite, positive
        (or, with allow_zero, non-negative) amount of at most MAX_AMOUNT with at most six
        decimal places."""
        if isinstance(value, str):
            number = _number_from_text(value, field)
        elif isinstance(value, int | Decimal) and not isinstance(value, bool):
            number = Decimal(value)
        else:
            raise InvalidInput.on(
                field, "must be a decimal number given as a string (such as 12.50) or a number"
            )
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


def _number_from_text(value: str, field: str) -> Decimal:
    """The exact number a money text names; what Decimal() alone would also read (a sign,
    an exponent, spaces, "1_000", "١٢٣") is refused, with the most helpful reason."""
    if _MONEY_TEXT.fullmatch(value):
        return Decimal(value)
    if not value.strip():
        raise InvalidInput.on(field, "is required")
    if _NEGATIVE_TEXT.fullmatch(value):
        raise InvalidInput.on(field, "must be greater than zero")
    if _OVER_PRECISE_TEXT.fullmatch(value):
        raise InvalidInput.on(field, f"has more than {PLACES} decimal places")
    if value.lower().lstrip("+-") in _NOT_FINITE_TEXT:
        raise InvalidInput.on(field, "must be a finite number")
    shown = value if len(value) <= 40 else value[:40] + "…"
    raise InvalidInput.on(
        field,
        f"'{shown}' is not a number written as ASCII digits with an optional point and at "
        f"most {PLACES} decimal places (such as 12.50)",
    )
