"""Budget vocabulary shared by brands and campaigns: holds, states, statuses and the
per-period spend counters."""

from __future__ import annotations

import enum
import functools
from datetime import date, datetime
from decimal import Decimal

import attrs

from core.entities.money import Money
from core.entities.time import day_end, local_date, month_end


class Hold(enum.StrEnum):
    """A reason the system stops a campaign, independent of the operator's wish."""

    DAILY_BUDGET = "DAILY_BUDGET"
    MONTHLY_BUDGET = "MONTHLY_BUDGET"
    BRAND_DAILY_BUDGET = "BRAND_DAILY_BUDGET"
    BRAND_MONTHLY_BUDGET = "BRAND_MONTHLY_BUDGET"
    OUTSIDE_SCHEDULE = "OUTSIDE_SCHEDULE"
    NOT_STARTED = "NOT_STARTED"
    ENDED = "ENDED"
    BRAND_INACTIVE = "BRAND_INACTIVE"

    @property
    def explanation(self) -> str:
        return _EXPLANATIONS[self]


_EXPLANATIONS = {
    Hold.DAILY_BUDGET: "today's spend has reached the daily budget",
    Hold.MONTHLY_BUDGET: "this month's spend has reached the monthly budget",
    Hold.BRAND_DAILY_BUDGET: "the brand's spend today has reached the brand's daily budget",
    Hold.BRAND_MONTHLY_BUDGET: "the brand's spend this month has reached its monthly budget",
    Hold.OUTSIDE_SCHEDULE: "outside its dayparting windows",
    Hold.NOT_STARTED: "its start date has not come yet",
    Hold.ENDED: "its end date has passed",
    Hold.BRAND_INACTIVE: "the brand is inactive",
}

DAILY_HOLDS = frozenset({Hold.DAILY_BUDGET, Hold.BRAND_DAILY_BUDGET})
MONTHLY_HOLDS = frozenset({Hold.MONTHLY_BUDGET, Hold.BRAND_MONTHLY_BUDGET})
BUDGET_HOLDS = DAILY_HOLDS | MONTHLY_HOLDS


class State(enum.StrEnum):
    """The operator's wish."""

    DRAFT = "draft"
    ENABLED = "enabled"
    PAUSED = "paused"


class Status(enum.StrEnum):
    """What ad platforms obey; always derived from state and holds."""

    DRAFT = "draft"
    ACTIVE = "active"
    PAUSED = "paused"
    COMPLETED = "completed"


def derive_status(state: State, holds: frozenset[Hold]) -> Status:
    if state is State.DRAFT:
        return Status.DRAFT
    if Hold.ENDED in holds:
        return Status.COMPLETED
    if state is State.ENABLED and not holds:
        return Status.ACTIVE
    return Status.PAUSED


class Period(enum.StrEnum):
    DAY = "daily"
    MONTH = "monthly"

    def containing(self, instant: datetime, tz: str) -> date:
        """The period (named by its first local day) that contains `instant`."""
        return _containing(self, instant, tz)

    def end(self, period: date, tz: str) -> datetime:
        """The instant the period that starts on local day `period` ends."""
        return _end(self, period, tz)


# The periods in order, as a plain tuple: iterating the enum itself is several times slower,
# and the spend path does it for every campaign.
PERIODS = (Period.DAY, Period.MONTH)


# Asked about twenty times per spend event, mostly with the same instant and zone.
@functools.lru_cache(maxsize=8192)
def _containing(period: Period, instant: datetime, tz: str) -> date:
    day = local_date(instant, tz)
    return day if period is Period.DAY else day.replace(day=1)


# Asked for every campaign a sweep or a spend batch refreshes, mostly for the same few periods.
@functools.lru_cache(maxsize=8192)
def _end(period: Period, start: date, tz: str) -> datetime:
    return day_end(start, tz) if period is Period.DAY else month_end(start, tz)


@attrs.frozen
class Counter:
    """Spend within one period. A counter for an earlier period than now counts as zero."""

    period: date
    spend: Money

    @classmethod
    def empty(cls, period: date) -> Counter:
        return cls(period, Money.zero())

    @classmethod
    def never(cls) -> Counter:
        """A counter that has never counted anything (its period is before any other)."""
        return cls.empty(date.min)

    def spend_in(self, period: date) -> Money:
        return self.spend if self.period == period else Money.zero()

    def rolled_to(self, period: date) -> Counter:
        """Start `period` if this counter belongs to an earlier one; never moves backwards."""
        return Counter.empty(period) if self.period < period else self

    def plus(self, amount: Money) -> Counter:
        return Counter(self.period, self.spend + amount)


def roll_counters(
    daily: Counter, monthly: Counter, now: datetime, tz: str
) -> tuple[Counter, Counter, int]:
    """Both counters moved to the periods containing `now`, and how many counters that held
    spend were started afresh."""
    new_daily = daily.rolled_to(Period.DAY.containing(now, tz))
    new_monthly = monthly.rolled_to(Period.MONTH.containing(now, tz))
    reset = int(new_daily is not daily and not daily.spend.is_zero()) + int(
        new_monthly is not monthly and not monthly.spend.is_zero()
    )
    return new_daily, new_monthly, reset


def add_to_counters(
    daily: Counter, monthly: Counter, amount: Money, occurred_at: datetime, tz: str
) -> tuple[Counter, Counter]:
    """Add `amount` to each counter whose period contains `occurred_at` (a late event from
    yesterday counts for this month, not for today)."""
    if Period.DAY.containing(occurred_at, tz) == daily.period:
        daily = daily.plus(amount)
    if Period.MONTH.containing(occurred_at, tz) == monthly.period:
        monthly = monthly.plus(amount)
    return daily, monthly


def next_counter_reset(daily: Counter, monthly: Counter, now: datetime, tz: str) -> datetime | None:
    """The end of the earliest current period whose counter holds spend, else None."""
    for period, counter in ((Period.DAY, daily), (Period.MONTH, monthly)):
        current = period.containing(now, tz)
        if not counter.spend_in(current).is_zero():
            return period.end(current, tz)
    return None


# Alerts go out when spend reaches these percentages of a budget; the lowest is where a budget
# counts as nearly used.
THRESHOLDS = (80, 100)
NEAR = THRESHOLDS[0]


class Band(enum.StrEnum):
    """Where spend stands against its budget."""

    UNDER = "under"  # below 80 %
    NEAR = "near"  # from 80 % up to the budget
    EXHAUSTED = "exhausted"  # spend has reached the budget: a budget hold


@attrs.frozen
class BudgetUse:
    """How much of one period's budget its spend has used: the one answer to "is this budget
    exhausted", "what share is used", "what is left" and "is it nearly used", for holds,
    alerts, the admin and the API alike. `budget` is None where none is set (a brand's
    optional caps): such a budget is never exhausted and has no share."""

    spend: Money
    budget: Money | None

    @property
    def exhausted(self) -> bool:
        return self.budget is not None and self.spend >= self.budget

    @property
    def share(self) -> Decimal | None:
        """Spend as a fraction of the budget (1 when exactly used; more after late spend)."""
        return None if self.budget is None else self.spend.share_of(self.budget)

    @property
    def percent(self) -> Decimal | None:
        share = self.share
        return None if share is None else share * 100

    @property
    def remaining(self) -> Money | None:
        """The budget minus spend, never below zero."""
        if self.budget is None:
            return None
        return self.budget - self.spend if self.spend < self.budget else Money.zero()

    @property
    def band(self) -> Band | None:
        if self.budget is None:
            return None
        if self.exhausted:
            return Band.EXHAUSTED
        return Band.NEAR if self.crossed(NEAR) else Band.UNDER

    def crossed(self, threshold: int) -> bool:
        """Whether spend has reached `threshold` percent of the budget."""
        return self.budget is not None and self.spend.amount * 100 >= self.budget.amount * threshold

    def crossed_since(self, before: Money) -> tuple[int, ...]:
        """The alert thresholds (percent of the budget) this spend reached by growing from
        `before`."""
        if not self.crossed(NEAR):
            return ()  # below the lowest threshold: the usual case, answered at once
        was = BudgetUse(before, self.budget)
        return tuple(t for t in THRESHOLDS if self.crossed(t) and not was.crossed(t))
