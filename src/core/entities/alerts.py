"""Alerts: spend reaching 80 % and 100 % of a budget, once per subject, budget, period and
threshold; and spend off pace (over or under), once per subject, budget, period and band."""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

import attrs

from core.entities.budget import BudgetUse, Period
from core.entities.money import Money
from core.entities.pacing import PaceBand, Pacing


class AlertKind(enum.StrEnum):
    BUDGET = "budget"
    PACE_OVER = "pace_over"
    PACE_UNDER = "pace_under"


_KIND_OF_BAND = {PaceBand.OVER: AlertKind.PACE_OVER, PaceBand.UNDER: AlertKind.PACE_UNDER}
_CENTS = Decimal("0.01")


class Subject(enum.StrEnum):
    CAMPAIGN = "campaign"
    BRAND = "brand"


@attrs.frozen
class AlertKey:
    subject: Subject
    subject_id: int
    period_kind: Period
    period: date
    threshold: int  # percent of the budget; 0 for pacing alerts
    kind: AlertKind = AlertKind.BUDGET


@attrs.frozen
class Alert:
    key: AlertKey
    subject_name: str
    spend: Money
    budget: Money
    currency: str
    raised_at: datetime
    id: int = 0
    delivered_at: datetime | None = None
    expected: Money | None = None  # the spend expected by now, for pacing alerts

    @property
    def message(self) -> str:
        k = self.key
        what = "daily" if k.period_kind is Period.DAY else "monthly"
        when = k.period.isoformat() if k.period_kind is Period.DAY else f"{k.period:%Y-%m}"
        if k.kind is not AlertKind.BUDGET:
            band = "over" if k.kind is AlertKind.PACE_OVER else "under"
            expected = _amount(self.expected or Money.zero())
            return (
                f"{k.subject} '{self.subject_name}' is pacing {band} its {what} budget for "
                f"{when}: spent {_amount(self.spend)} {self.currency}, expected {expected} "
                f"{self.currency} by now"
            )
        return (
            f"{k.subject} '{self.subject_name}' has spent {self.spend} {self.currency}, "
            f"{k.threshold}% or more of its {what} budget of {self.budget} {self.currency} "
            f"for {when}"
        )


def raised(
    key: tuple[Subject, int, Period],
    name: str,
    currency: str,
    use: BudgetUse,
    before: Money,
    now: datetime,
    tz: str,
) -> list[Alert]:
    """The alerts due because spend against one budget (`use`, now) grew from `before`
    across a threshold; `key` is the subject, its id and the period's kind."""
    thresholds = use.crossed_since(before)
    if not thresholds or use.budget is None:
        return []
    subject, subject_id, period = key
    day = period.containing(now, tz)
    return [
        Alert(
            AlertKey(subject, subject_id, period, day, t),
            name,
            use.spend,
            use.budget,
            currency,
            now,
        )
        for t in thresholds
    ]


def pacing_alert(
    key: tuple[Subject, int, Period],
    name: str,
    currency: str,
    pacing: Pacing,
    now: datetime,
    tz: str,
) -> Alert | None:
    """The alert `pacing` (worked out as of `now`) calls for, if it is off pace far enough
    into its period; `key` is the subject, its id and the period's kind."""
    if not pacing.alertable or pacing.band is None:
        return None
    subject, subject_id, period = key
    return Alert(
        AlertKey(
            subject, subject_id, period, period.containing(now, tz), 0, _KIND_OF_BAND[pacing.band]
        ),
        name,
        pacing.spend,
        pacing.budget,
        currency,
        now,
        expected=pacing.expected,
    )


def _amount(money: Money) -> str:
    """An amount as people read money: at least two decimal places, more only when the
    amount has them (micros from the platforms)."""
    cents = money.amount.quantize(_CENTS)
    return str(cents) if cents == money.amount else str(money)
