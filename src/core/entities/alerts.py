"""Budget alerts: spend reaching 80 % and 100 % of a budget, once per subject, budget,
period and threshold."""

from __future__ import annotations

import enum
from datetime import date, datetime

import attrs

from core.entities.budget import Period
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
