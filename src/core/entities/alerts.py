"""Budget alerts: spend reaching 80 % and 100 % of a budget, once per subject, budget,
period and threshold."""

from __future__ import annotations

import enum
from datetime import date, datetime

import attrs

from core.entities.budget import BudgetUse, Period
from core.entities.money import Money


class Subject(enum.StrEnum):
    CAMPAIGN = "campaign"
    BRAND = "brand"


@attrs.frozen
class AlertKey:
    subject: Subject
    subject_id: int
    period_kind: Period
    period: date
    threshold: int


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

    @property
    def message(self) -> str:
        k = self.key
        what = "daily" if k.period_kind is Period.DAY else "monthly"
        when = k.period.isoformat() if k.period_kind is Period.DAY else f"{k.period:%Y-%m}"
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
