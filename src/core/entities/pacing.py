"""Pacing and forecasts: how a period's spend stands against where it should be by now.

A campaign's budget is meant to be spent evenly over its *scheduled time*: the part of the
period inside its dayparting windows (all of it when it has none) and inside its flight
dates, on the brand's wall clock (so a DST day is 23 or 25 hours long). Expected spend grows
with scheduled time elapsed; the forecast extends the spend rate so far over the scheduled
time left; the band says whether spend is under, on or over pace, with a tolerance that
narrows as the period goes by."""

from __future__ import annotations

import enum
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from decimal import ROUND_CEILING, Decimal
from functools import lru_cache

import attrs

from core.entities.budget import Period
from core.entities.money import Money
from core.entities.schedule import Window, in_schedule, next_schedule_change
from core.entities.time import day_end, day_start, local_date, offset_change_during

__all__ = ["PaceBand", "Pacing", "PeriodPlan", "pace", "period_bounds"]

ZERO = timedelta(0)
HOUR = timedelta(hours=1)
_PLAIN_DAY = timedelta(days=1)
_MICROS_PER_HOUR = Decimal(3_600_000_000)
_SIX_PLACES = Decimal("0.000001")
#: The band's tolerance at the start and at the end of a period (linear in between).
TOLERANCE_START = Decimal("0.25")
TOLERANCE_END = Decimal("0.01")
#: Share of a period's scheduled time that must have elapsed before pacing raises an alert:
#: earlier, a handful of events swings the pace too far to mean anything.
ALERT_AFTER_SHARE = Decimal("0.25")


class PaceBand(enum.StrEnum):
    UNDER = "under"
    ON = "on"
    OVER = "over"


def period_bounds(period: Period, now: datetime, tz: str) -> tuple[datetime, datetime]:
    """The UTC instants at which the brand-local day or month containing `now` starts and
    ends."""
    first = period.containing(now, tz)
    return day_start(first, tz), period.end(first, tz)


@attrs.frozen
class PeriodPlan:
    """The scheduled time of one period for one campaign (or a brand: no windows, no
    flight). `start` and `end` are the UTC instants of the brand-local period bounds; the
    flight dates are brand-local and inclusive."""

    start: datetime
    end: datetime
    windows: tuple[Window, ...] = ()
    tz: str = "UTC"
    flight_start: date | None = None
    flight_end: date | None = None

    def _clamped(self, until: datetime) -> tuple[datetime, datetime]:
        """[start, until) cut to the flight dates (may come out empty: lo >= hi)."""
        lo, hi = self.start, until
        if self.flight_start is not None:
            lo = max(lo, day_start(self.flight_start, self.tz))
        if self.flight_end is not None:
            hi = min(hi, day_end(self.flight_end, self.tz))
        return lo, hi

    @property
    def scheduled(self) -> timedelta:
        """Scheduled time of the whole period."""
        return _scheduled(self.windows, self.tz, *self._clamped(self.end))

    def elapsed(self, at: datetime) -> timedelta:
        """Scheduled time in [start, min(at, end))."""
        return _scheduled(self.windows, self.tz, *self._clamped(min(at, self.end)))

    def expected(self, budget: Money, at: datetime) -> Money:
        """The spend due by `at` if the budget were spent evenly over the scheduled time:
        budget * elapsed / scheduled, zero when the period has no scheduled time."""
        return _share_of(budget, self.elapsed(at), self.scheduled)

    def hourly_rate(self, spend: Money) -> Money | None:
        """`spend` per scheduled hour of this period (the rate a later day's forecast may
        start from); None when the period has no scheduled time."""
        scheduled = self.scheduled
        if scheduled <= ZERO:
            return None
        return Money.of(spend.amount / _hours(scheduled))

    def instant_after(self, scheduled: timedelta) -> datetime | None:
        """The first instant by which `scheduled` time of this period has elapsed; None when
        the period does not hold that much."""
        lo, hi = self._clamped(self.end)
        if scheduled <= ZERO:
            return lo if lo < hi else None
        return _instant_after(self.windows, self.tz, lo, hi, scheduled)


@attrs.frozen
class Pacing:
    """Where one period's spend stands: against the spend expected by now (`pace`, `band`)
    and against the budget at the period's end (`forecast`, `run_out`)."""

    period: str  # "daily", "monthly" or "lifetime"
    start: datetime
    end: datetime
    spend: Money
    budget: Money
    expected: Money
    pace: Decimal | None  # spend ÷ expected; None before any scheduled time elapsed
    forecast: Money
    run_out: datetime | None
    band: PaceBand | None
    tolerance: Decimal
    elapsed_share: Decimal  # scheduled time elapsed ÷ scheduled time, 0 to 1

    @property
    def alertable(self) -> bool:
        """Off pace, and far enough into the period for that to mean something."""
        return self.band in (PaceBand.OVER, PaceBand.UNDER) and (
            self.elapsed_share >= ALERT_AFTER_SHARE
        )


def pace(
    plan: PeriodPlan,
    period: str,
    spend: Money,
    budget: Money,
    now: datetime,
    earlier_rate: Money | None = None,
) -> Pacing:
    """Pacing of `spend` against `budget` over `plan` as of `now`. `earlier_rate` is the
    spend per scheduled hour of the previous day: a day with under one scheduled hour
    elapsed forecasts with it, since the few minutes so far say little."""
    scheduled = plan.scheduled
    elapsed = plan.elapsed(now)
    share = _ratio(elapsed, scheduled)
    expected = _share_of(budget, elapsed, scheduled)
    ratio = None if expected.is_zero() else (spend.amount / expected.amount).quantize(_SIX_PLACES)
    tolerance = (TOLERANCE_START - (TOLERANCE_START - TOLERANCE_END) * share).quantize(_SIX_PLACES)
    rate = _rate(period, spend, elapsed, earlier_rate)
    left = scheduled - elapsed
    forecast = Money.of(spend.amount + rate * _hours(left))
    return Pacing(
        period=period,
        start=plan.start,
        end=plan.end,
        spend=spend,
        budget=budget,
        expected=expected,
        pace=ratio,
        forecast=forecast,
        run_out=_run_out(plan, spend, budget, forecast, rate, elapsed, now),
        band=_band(ratio, tolerance),
        tolerance=tolerance,
        elapsed_share=share,
    )


def _rate(period: str, spend: Money, elapsed: timedelta, earlier: Money | None) -> Decimal:
    """Spend per scheduled hour used for the forecast."""
    if period == Period.DAY.value and elapsed < HOUR and earlier is not None:
        return earlier.amount
    if elapsed <= ZERO:
        return Decimal(0)  # nothing to go on: the forecast does not grow
    return spend.amount / _hours(elapsed)


def _run_out(
    plan: PeriodPlan,
    spend: Money,
    budget: Money,
    forecast: Money,
    rate: Decimal,
    elapsed: timedelta,
    now: datetime,
) -> datetime | None:
    if spend >= budget:
        return now
    if forecast < budget or rate <= 0:
        return None
    micros = (budget.amount - spend.amount) / rate * _MICROS_PER_HOUR
    needed = timedelta(microseconds=int(micros.to_integral_value(rounding=ROUND_CEILING)))
    # The forecast reaches the budget within the scheduled time; rounding of the forecast
    # to six places may put the exact instant a microsecond past the end.
    return plan.instant_after(min(elapsed + needed, plan.scheduled))


def _band(ratio: Decimal | None, tolerance: Decimal) -> PaceBand | None:
    if ratio is None:
        return None
    if ratio < 1 - tolerance:
        return PaceBand.UNDER
    if ratio > 1 + tolerance:
        return PaceBand.OVER
    return PaceBand.ON


def _micros(span: timedelta) -> int:
    return span // timedelta(microseconds=1)


def _hours(span: timedelta) -> Decimal:
    return Decimal(_micros(span)) / _MICROS_PER_HOUR


def _ratio(part: timedelta, whole: timedelta) -> Decimal:
    """part ÷ whole, from 0 to 1 (0 when whole is empty)."""
    if whole <= ZERO or part <= ZERO:
        return Decimal(0)
    if part >= whole:
        return Decimal(1)
    return Decimal(_micros(part)) / Decimal(_micros(whole))


def _share_of(budget: Money, part: timedelta, whole: timedelta) -> Money:
    if whole <= ZERO or part <= ZERO:
        return Money.zero()
    if part >= whole:
        return budget  # exactly the budget at the end, whatever the rounding
    return Money.of(budget.amount * _micros(part) / _micros(whole))


# -- scheduled time ----------------------------------------------------------------------
#
# A dashboard asks for a thousand campaigns that share a handful of schedules, periods and
# instants: every answer below is a pure function of its arguments and is cached. Whole days
# without a DST change cost one look-up by weekday; only partial days and DST days walk the
# window edges.


@lru_cache(maxsize=16384)
def _scheduled(windows: tuple[Window, ...], tz: str, lo: datetime, hi: datetime) -> timedelta:
    """Scheduled time in [lo, hi)."""
    if hi <= lo:
        return ZERO
    if not windows:
        return hi - lo
    total = ZERO
    for a, b, plain in _days(tz, lo, hi):
        total += (
            _weekday_cover(windows, local_date(a, tz).isoweekday())
            if plain
            else _walk(windows, tz, a, b)
        )
    return total


def _instant_after(
    windows: tuple[Window, ...], tz: str, lo: datetime, hi: datetime, target: timedelta
) -> datetime | None:
    if not windows:
        return lo + target if target <= hi - lo else None
    reached = ZERO
    for a, b, plain in _days(tz, lo, hi):
        day = _weekday_cover(windows, local_date(a, tz).isoweekday()) if plain else None
        if day is not None and reached + day < target:
            reached += day
            continue
        for start, end in _spans(windows, tz, a, b):
            if reached + (end - start) >= target:
                return start + (target - reached)
            reached += end - start
    return None


def _days(tz: str, lo: datetime, hi: datetime) -> Iterator[tuple[datetime, datetime, bool]]:
    """[lo, hi) cut at brand-local midnights: (from, to, whether it is a whole day of 24
    hours with no change of UTC offset, whose coverage depends on its weekday alone)."""
    day = local_date(lo, tz)
    while True:
        start, end = day_start(day, tz), day_end(day, tz)
        a, b = max(lo, start), min(hi, end)
        if a < b:
            whole = a == start and b == end
            yield a, b, whole and end - start == _PLAIN_DAY and _steady(day, tz)
        if end >= hi:
            return
        day += timedelta(days=1)


def _steady(day: date, tz: str) -> bool:
    return offset_change_during(day, tz) is None


def _walk(windows: tuple[Window, ...], tz: str, lo: datetime, hi: datetime) -> timedelta:
    return sum((b - a for a, b in _spans(windows, tz, lo, hi)), ZERO)


def _spans(
    windows: tuple[Window, ...], tz: str, lo: datetime, hi: datetime
) -> Iterator[tuple[datetime, datetime]]:
    """The covered stretches of [lo, hi), found by stepping from one window edge (or DST
    jump) to the next: coverage cannot change in between."""
    at = lo
    while at < hi:
        change = next_schedule_change(windows, at, tz)
        step = hi if change is None or change > hi else change
        if in_schedule(windows, at, tz):
            yield at, step
        at = step


@lru_cache(maxsize=4096)
def _weekday_cover(windows: tuple[Window, ...], weekday: int) -> timedelta:
    """Covered time of a 24-hour local day of `weekday` (1-7), from the windows' wall-clock
    minutes: the union of the windows starting that day and of those running past the
    previous midnight into it."""
    covered = [False] * (24 * 60)
    previous = (weekday - 2) % 7 + 1
    for w in windows:
        start, end = _minute(w.start.hour, w.start.minute), _minute(w.end.hour, w.end.minute)
        if w.day_of_week == weekday:
            for m in range(start, end if not w.overnight else 24 * 60):
                covered[m] = True
        if w.overnight and w.day_of_week == previous:
            for m in range(end):
                covered[m] = True
    return timedelta(minutes=sum(covered))


def _minute(hour: int, minute: int) -> int:
    return hour * 60 + minute
