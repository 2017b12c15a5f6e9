"""The campaign aggregate and the one pure function that decides its holds and status."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta

import attrs

from core.entities.alerts import Alert, Subject, raised
from core.entities.audit import AuditEntry, CampaignId, Cause
from core.entities.brand import Brand, BrandId, parse_name
from core.entities.budget import (
    DAILY_HOLDS,
    MONTHLY_HOLDS,
    PERIODS,
    BudgetUse,
    Counter,
    Hold,
    Period,
    State,
    Status,
    add_to_counters,
    derive_status,
    next_counter_reset,
    roll_counters,
)
from core.entities.errors import Collector, Conflict, InvalidInput
from core.entities.money import Money
from core.entities.pacing import Pacing, PeriodPlan, pace, period_bounds
from core.entities.schedule import Window, in_schedule, next_schedule_change
from core.entities.time import day_end, day_start, local_date, parse_date
from core.entities.unset import UNSET, Unset

__all__ = ["Campaign", "CampaignChanges", "CampaignId", "Refresh", "compute_holds"]


def compute_holds(campaign: Campaign, brand: Brand, now: datetime) -> frozenset[Hold]:
    """Every reason the system has, at `now`, to stop `campaign`. Pure: the same campaign,
    brand and instant always give the same holds; no use case decides holds any other way."""
    tz = brand.timezone
    today = local_date(now, tz)
    holds: set[Hold] = set()
    if campaign.use(Period.DAY, now, tz).exhausted:
        holds.add(Hold.DAILY_BUDGET)
    if campaign.use(Period.MONTH, now, tz).exhausted:
        holds.add(Hold.MONTHLY_BUDGET)
    if brand.exhausted(Period.DAY, now):
        holds.add(Hold.BRAND_DAILY_BUDGET)
    if brand.exhausted(Period.MONTH, now):
        holds.add(Hold.BRAND_MONTHLY_BUDGET)
    if not in_schedule(campaign.windows, now, tz):
        holds.add(Hold.OUTSIDE_SCHEDULE)
    if today < campaign.start_date:
        holds.add(Hold.NOT_STARTED)
    if campaign.end_date is not None and today > campaign.end_date:
        holds.add(Hold.ENDED)
    if not brand.is_active:
        holds.add(Hold.BRAND_INACTIVE)
    return frozenset(holds)


@attrs.frozen
class Refresh:
    """What one recomputation did to a campaign."""

    campaign_id: CampaignId
    holds_before: frozenset[Hold]
    holds_after: frozenset[Hold]
    status_before: Status
    status_after: Status
    counters_reset: int
    audit: AuditEntry | None

    @property
    def added(self) -> frozenset[Hold]:
        return self.holds_after - self.holds_before

    @property
    def removed(self) -> frozenset[Hold]:
        return self.holds_before - self.holds_after

    @property
    def status_changed(self) -> bool:
        return self.status_before is not self.status_after

    @property
    def stopped(self) -> bool:
        """The campaign ran before and does not now."""
        return self.status_before is Status.ACTIVE and self.status_after is not Status.ACTIVE

    @property
    def started(self) -> bool:
        """The campaign runs now and did not before."""
        return self.status_after is Status.ACTIVE and self.status_before is not Status.ACTIVE


def check_flight(start: date, end: date | None) -> None:
    if end is not None and end < start:
        raise InvalidInput.on("end_date", f"{end} is before start_date {start}")


def parse_end_date(value: object, field: str = "end_date") -> date | None:
    """An optional end date: None or "" means none."""
    return None if value is None or value == "" else parse_date(value, field)


@attrs.frozen
class CampaignChanges:
    """An operator's edit of a campaign, checked field by field; a field left UNSET keeps
    its value, `end_date=None` removes the end date."""

    name: str | Unset = UNSET
    daily_budget: Money | Unset = UNSET
    monthly_budget: Money | Unset = UNSET
    start_date: date | Unset = UNSET
    end_date: date | Unset | None = UNSET

    @classmethod
    def parse(
        cls,
        *,
        name: object = UNSET,
        daily_budget: object = UNSET,
        monthly_budget: object = UNSET,
        start_date: object = UNSET,
        end_date: object = UNSET,
    ) -> CampaignChanges:
        """Raises InvalidInput listing every bad field, and (`end_date`) when both dates are
        given and the end comes first."""
        errors = Collector()
        changes = cls(
            name=errors.change(parse_name, name, "name"),
            daily_budget=errors.change(Money.parse, daily_budget, "daily_budget"),
            monthly_budget=errors.change(Money.parse, monthly_budget, "monthly_budget"),
            start_date=errors.change(parse_date, start_date, "start_date"),
            end_date=errors.change(parse_end_date, end_date, "end_date"),
        )
        errors.raise_if_any()
        if isinstance(changes.start_date, date) and isinstance(changes.end_date, date):
            check_flight(changes.start_date, changes.end_date)
        return changes


@attrs.define(eq=False)
class Campaign:
    id: CampaignId
    brand_id: BrandId
    name: str
    daily_budget: Money
    monthly_budget: Money
    start_date: date
    end_date: date | None = None
    state: State = State.DRAFT
    holds: frozenset[Hold] = frozenset()
    status: Status = Status.DRAFT
    daily: Counter = attrs.field(factory=Counter.never)
    monthly: Counter = attrs.field(factory=Counter.never)
    windows: tuple[Window, ...] = ()
    # When each sweep next needs to look at this campaign (None: never, until it changes).
    reset_due_at: datetime | None = None
    schedule_due_at: datetime | None = None
    flight_due_at: datetime | None = None

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Campaign) and other.id == self.id and self.id != 0

    def __hash__(self) -> int:
        return hash(("campaign", self.id))

    @classmethod
    def create(
        cls,
        *,
        brand_id: BrandId,
        name: object,
        daily_budget: object,
        monthly_budget: object,
        start_date: object,
        end_date: object = None,
    ) -> Campaign:
        """Validate every field and build an unsaved draft; raises InvalidInput listing each
        bad field."""
        errors = Collector()
        parsed: dict[str, object] = {}
        for field, raw, parse in (
            ("name", name, parse_name),
            ("daily_budget", daily_budget, Money.parse),
            ("monthly_budget", monthly_budget, Money.parse),
            ("start_date", start_date, parse_date),
        ):
            try:
                parsed[field] = parse(raw, field)
            except InvalidInput as error:
                errors.absorb(error)
        end = errors.take(parse_end_date, end_date, "end_date", None)
        errors.raise_if_any()
        start = parsed["start_date"]
        assert isinstance(start, date)
        check_flight(start, end)
        daily, monthly = parsed["daily_budget"], parsed["monthly_budget"]
        assert isinstance(daily, Money) and isinstance(monthly, Money)
        return cls(
            id=CampaignId(0),
            brand_id=brand_id,
            name=str(parsed["name"]),
            daily_budget=daily,
            monthly_budget=monthly,
            start_date=start,
            end_date=end,
        )

    # -- spend ---------------------------------------------------------------------------

    def spend(self, period: Period, now: datetime, tz: str) -> Money:
        counter = self.daily if period is Period.DAY else self.monthly
        return counter.spend_in(period.containing(now, tz))

    def budget(self, period: Period) -> Money:
        return self.daily_budget if period is Period.DAY else self.monthly_budget

    def use(self, period: Period, now: datetime, tz: str) -> BudgetUse:
        """How much of the budget for the period containing `now` (in zone `tz`) is used."""
        # Written out: every refresh of every campaign asks for both periods.
        if period is Period.DAY:
            return BudgetUse(self.daily.spend_in(period.containing(now, tz)), self.daily_budget)
        return BudgetUse(self.monthly.spend_in(period.containing(now, tz)), self.monthly_budget)

    def set_counter(self, period: Period, counter: Counter) -> None:
        """Replace one period's counter (with the ledger's sum, when counting afresh)."""
        if period is Period.DAY:
            self.daily = counter
        else:
            self.monthly = counter

    def spent(self, now: datetime, tz: str) -> dict[Period, Money]:
        """Spend in the day and the month containing `now` (in zone `tz`)."""
        return {p: self.spend(p, now, tz) for p in PERIODS}

    def alerts_since(
        self, before: Mapping[Period, Money], brand: Brand, now: datetime
    ) -> list[Alert]:
        """The alerts this campaign's spend raised by growing from `before` (its `spent`
        earlier in the same periods)."""
        tz = brand.timezone
        return [
            alert
            for p in PERIODS
            for alert in raised(
                (Subject.CAMPAIGN, self.id, p),
                self.name,
                brand.currency,
                self.use(p, now, tz),
                before[p],
                now,
                tz,
            )
        ]

    def record(self, amount: Money, occurred_at: datetime, now: datetime, tz: str) -> None:
        """Count an accepted spend in the current periods it falls in (the caller appends it
        to the ledger and then refreshes the campaign)."""
        self.daily, self.monthly, _ = roll_counters(self.daily, self.monthly, now, tz)
        self.daily, self.monthly = add_to_counters(
            self.daily, self.monthly, amount, occurred_at, tz
        )

    # -- pacing ----------------------------------------------------------------------------

    def plan(self, period: Period, now: datetime, tz: str) -> PeriodPlan:
        """The scheduled time of the day or month containing `now` (in zone `tz`): inside
        this campaign's windows and flight dates."""
        start, end = period_bounds(period, now, tz)
        return PeriodPlan(start, end, self.windows, tz, self.start_date, self.end_date)

    def lifetime_plan(self, tz: str) -> PeriodPlan | None:
        """The scheduled time of the whole flight; None while it has no end date."""
        if self.end_date is None:
            return None
        start, end = day_start(self.start_date, tz), day_end(self.end_date, tz)
        return PeriodPlan(start, end, self.windows, tz, self.start_date, self.end_date)

    def pacing(
        self, period: Period, now: datetime, tz: str, earlier_rate: Money | None = None
    ) -> Pacing:
        """This period's spend against its budget as of `now`; `earlier_rate` (spend per
        scheduled hour the day before) forecasts a day's first hour."""
        plan = self.plan(period, now, tz)
        return pace(
            plan, period.value, self.spend(period, now, tz), self.budget(period), now, earlier_rate
        )

    # -- operator actions ------------------------------------------------------------------

    def edit(self, changes: CampaignChanges) -> None:
        """Apply an operator's edit. Raises InvalidInput (`end_date`), changing nothing, when
        the flight would end before it starts."""
        start = self.start_date if changes.start_date is UNSET else changes.start_date
        end = self.end_date if changes.end_date is UNSET else changes.end_date
        check_flight(start, end)
        self.start_date, self.end_date = start, end
        if changes.name is not UNSET:
            self.name = changes.name
        if changes.daily_budget is not UNSET:
            self.daily_budget = changes.daily_budget
        if changes.monthly_budget is not UNSET:
            self.monthly_budget = changes.monthly_budget

    def launch(self) -> None:
        if self.state is not State.DRAFT:
            raise Conflict.on("state", f"only a draft campaign can be launched; it is {self.state}")
        self.state = State.ENABLED

    def pause(self) -> None:
        if self.state is State.DRAFT:
            raise Conflict.on("state", "a draft campaign cannot be paused; launch it first")
        self.state = State.PAUSED

    def resume(self) -> None:
        if self.state is State.DRAFT:
            raise Conflict.on("state", "a draft campaign cannot be resumed; launch it first")
        self.state = State.ENABLED

    def replace_windows(self, windows: Iterable[Window]) -> None:
        self.windows = tuple(sorted(set(windows)))

    # -- the decision ------------------------------------------------------------------------

    def refresh(self, brand: Brand, now: datetime, cause: Cause, actor: str) -> Refresh:
        """Roll counters to `now`'s periods, recompute holds and status through
        `compute_holds`, and work out when each sweep must look again. Returns what changed,
        with the audit entry to write when the status or the holds changed (a hold added or
        released while the status stays, say a paused campaign reaching its budget, is
        audited too)."""
        if brand.id != self.brand_id:
            raise ValueError("refresh needs the campaign's own brand")
        tz = brand.timezone
        self.daily, self.monthly, reset = roll_counters(self.daily, self.monthly, now, tz)
        before_holds, before_status = self.holds, self.status
        self.holds = compute_holds(self, brand, now)
        self.status = derive_status(self.state, self.holds)
        self.reset_due_at = self._next_reset(brand, now)
        self.schedule_due_at = next_schedule_change(self.windows, now, tz)
        self.flight_due_at = self._next_flight_change(now, tz)
        audit = None
        if self.status is not before_status or self.holds != before_holds:
            audit = AuditEntry(self.id, before_status, self.status, self.holds, cause, actor, now)
        return Refresh(self.id, before_holds, self.holds, before_status, self.status, reset, audit)

    def _next_reset(self, brand: Brand, now: datetime) -> datetime | None:
        tz = brand.timezone
        # A budget hold (the campaign's own or the brand's) is released when its period
        # ends, even if this campaign spent nothing itself. A day ends no later than its
        # month, so the earliest candidate is the first one found.
        holds = self.holds
        if not holds.isdisjoint(DAILY_HOLDS):
            return Period.DAY.end(Period.DAY.containing(now, tz), tz)
        own = next_counter_reset(self.daily, self.monthly, now, tz)
        if own is None and not holds.isdisjoint(MONTHLY_HOLDS):
            return Period.MONTH.end(Period.MONTH.containing(now, tz), tz)
        return own

    def _next_flight_change(self, now: datetime, tz: str) -> datetime | None:
        today = local_date(now, tz)
        if today < self.start_date:
            return day_start(self.start_date, tz)
        if self.end_date is not None and today <= self.end_date:
            return day_start(self.end_date + timedelta(days=1), tz)
        return None
