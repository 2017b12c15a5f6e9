"""Test helpers: explicit instants, a small application wired to the in-memory adapters, and
snapshots of the committed state for "nothing changed" checks. No test reads the wall clock."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import attrs

from adapters.in_memory import FixedClock, InMemoryStore, RecordingNotifier
from core.entities import AuditEntry, Brand, Campaign, LedgerEntry, Money, Period
from core.use_cases.alerts import DeliverAlerts, DeliverAlertsCommand, DeliverAlertsResult
from core.use_cases.apply_dayparting import ApplyDayparting
from core.use_cases.brands import (
    CreateBrand,
    CreateBrandCommand,
    UpdateBrand,
    UpdateBrandCommand,
    UpdateBrandResult,
)
from core.use_cases.campaigns import (
    CampaignActionCommand,
    CreateCampaign,
    CreateCampaignCommand,
    LaunchCampaign,
    PauseCampaign,
    ReplaceSchedule,
    ReplaceScheduleCommand,
    ResumeCampaign,
    UpdateCampaign,
    UpdateCampaignCommand,
)
from core.use_cases.enforce_budgets import EnforceBudgets
from core.use_cases.flight import CheckFlight
from core.use_cases.reconcile import Reconcile, ReconcileCommand, ReconcileResult
from core.use_cases.record_spend import RecordSpend, RecordSpendCommand, RecordSpendResult
from core.use_cases.reset_period import ResetPeriod
from core.use_cases.sweeps import SweepCommand, SweepResult


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def wall(
    tz: str, year: int, month: int, day: int, hour: int = 0, minute: int = 0, *, fold: int = 0
) -> datetime:
    """The UTC instant at which the wall clock of `tz` reads the given time (`fold=1` picks
    the second reading of a repeated hour)."""
    local = datetime(year, month, day, hour, minute, fold=fold, tzinfo=ZoneInfo(tz))
    return local.astimezone(UTC)


def local_date(instant: datetime, tz: str) -> date:
    return instant.astimezone(ZoneInfo(tz)).date()


def money(value: str) -> Money:
    return Money.of(value)


def window(day: int, start: str, end: str) -> dict[str, object]:
    return {"day_of_week": day, "start_time": start, "end_time": end}


class App:
    """The use cases wired to one in-memory store and one fixed clock, with shorthands that
    build brands and campaigns the way an operator would (through the use cases)."""

    def __init__(
        self,
        store: InMemoryStore,
        clock: FixedClock,
        notifier: RecordingNotifier,
        *,
        shards: int = 1,
        chunk_size: int = 1000,
    ) -> None:
        self.store, self.clock, self.notifier = store, clock, notifier
        uow = store.unit_of_work
        self.create_brand = CreateBrand(uow)
        self.update_brand = UpdateBrand(uow, clock)
        self.create_campaign = CreateCampaign(uow, clock)
        self.update_campaign = UpdateCampaign(uow, clock)
        self.replace_schedule = ReplaceSchedule(uow, clock)
        self.launch_campaign = LaunchCampaign(uow, clock)
        self.pause_campaign = PauseCampaign(uow, clock)
        self.resume_campaign = ResumeCampaign(uow, clock)
        self.record_spend = RecordSpend(uow, clock)
        sweep = {"chunk_size": chunk_size, "shards": shards}
        self.reset_period = ResetPeriod(uow, **sweep)
        self.apply_dayparting = ApplyDayparting(uow, **sweep)
        self.check_flight = CheckFlight(uow, **sweep)
        self.enforce_budgets = EnforceBudgets(uow, **sweep)
        self.reconciler = Reconcile(uow)
        self.deliver_alerts = DeliverAlerts(uow, notifier, clock)
        self._names = itertools.count(1)
        self._keys = itertools.count(1)

    @property
    def now(self) -> datetime:
        return self.clock.now()

    # -- building ---------------------------------------------------------------------------

    def brand(
        self,
        name: str | None = None,
        timezone: str = "UTC",
        *,
        daily_budget: object = None,
        monthly_budget: object = None,
        currency: str = "USD",
    ) -> Brand:
        return self.create_brand(
            CreateBrandCommand(
                name=name or f"Brand {next(self._names)}",
                timezone=timezone,
                currency=currency,
                daily_budget=daily_budget,
                monthly_budget=monthly_budget,
            )
        )

    def campaign(
        self,
        brand: Brand,
        name: str | None = None,
        *,
        daily: object = "100",
        monthly: object = "1000",
        start: object = None,
        end: object = None,
        windows: Iterable[Mapping[str, object]] = (),
        launch: bool = True,
    ) -> Campaign:
        """A campaign of `brand`; by default it started a month ago (brand-local) and is
        launched."""
        if start is None:
            start = local_date(self.now, brand.timezone) - timedelta(days=31)
        created = self.create_campaign(
            CreateCampaignCommand(
                brand_id=brand.id,
                name=name or f"Campaign {next(self._names)}",
                daily_budget=daily,
                monthly_budget=monthly,
                start_date=start,
                end_date=end,
                windows=tuple(windows),
            )
        )
        if launch:
            return self.launch(created)
        return created

    # -- operator actions -------------------------------------------------------------------

    def launch(self, campaign: Campaign) -> Campaign:
        return self.launch_campaign(CampaignActionCommand(campaign.id, actor="ops"))

    def pause(self, campaign: Campaign) -> Campaign:
        return self.pause_campaign(CampaignActionCommand(campaign.id, actor="ops"))

    def resume(self, campaign: Campaign) -> Campaign:
        return self.resume_campaign(CampaignActionCommand(campaign.id, actor="ops"))

    def edit(self, campaign: Campaign, **changes: Any) -> Campaign:
        return self.update_campaign(UpdateCampaignCommand(campaign.id, actor="ops", **changes))

    def edit_brand(self, brand: Brand, **changes: Any) -> UpdateBrandResult:
        return self.update_brand(UpdateBrandCommand(brand.id, actor="ops", **changes))

    def schedule(self, campaign: Campaign, *windows: Mapping[str, object]) -> Campaign:
        return self.replace_schedule(ReplaceScheduleCommand(campaign.id, windows, actor="ops"))

    # -- spend ------------------------------------------------------------------------------

    def spend(
        self,
        campaign: Campaign,
        amount: object,
        *,
        key: str | None = None,
        at: datetime | None = None,
    ) -> RecordSpendResult:
        event: dict[str, object] = {
            "campaign_id": campaign.id,
            "amount": amount,
            "key": key or f"auto-{next(self._keys)}",
        }
        if at is not None:
            event["occurred_at"] = at
        return self.record_spend(RecordSpendCommand([event]))

    def spend_batch(self, events: Iterable[Mapping[str, object]]) -> RecordSpendResult:
        return self.record_spend(RecordSpendCommand(list(events)))

    # -- periodic work ----------------------------------------------------------------------

    def reset(self, now: datetime | None = None) -> SweepResult:
        return self.reset_period(SweepCommand(now or self.now))

    def dayparting(self, now: datetime | None = None) -> SweepResult:
        return self.apply_dayparting(SweepCommand(now or self.now))

    def flight(self, now: datetime | None = None) -> SweepResult:
        return self.check_flight(SweepCommand(now or self.now))

    def enforce(self, now: datetime | None = None) -> SweepResult:
        return self.enforce_budgets(SweepCommand(now or self.now))

    def sweeps(self, now: datetime | None = None) -> None:
        """The periodic sweeps that run on due times (EnforceBudgets, the safety net that
        looks at everything, is left out on purpose)."""
        now = now or self.now
        self.reset(now)
        self.dayparting(now)
        self.flight(now)

    def reconcile(self, *, repair: bool = False, now: datetime | None = None) -> ReconcileResult:
        return self.reconciler(ReconcileCommand(now or self.now, repair=repair))

    def deliver(self) -> DeliverAlertsResult:
        return self.deliver_alerts(DeliverAlertsCommand())

    # -- reading back -----------------------------------------------------------------------

    def get(self, campaign: Campaign) -> Campaign:
        return self.store.campaign(campaign.id)

    def get_brand(self, brand: Brand) -> Brand:
        return self.store.brand(brand.id)

    def daily_spend(self, campaign: Campaign) -> Money:
        stored = self.get(campaign)
        return stored.spend(Period.DAY, self.now, self.store.brand(stored.brand_id).timezone)

    def monthly_spend(self, campaign: Campaign) -> Money:
        stored = self.get(campaign)
        return stored.spend(Period.MONTH, self.now, self.store.brand(stored.brand_id).timezone)

    def audit(self, campaign: Campaign) -> list[AuditEntry]:
        return [e for e in self.store.audit() if e.campaign_id == campaign.id]

    def ledger(self, campaign: Campaign | None = None) -> list[LedgerEntry]:
        return [e for e in self.store.ledger() if campaign is None or e.campaign_id == campaign.id]


def fields(entity: object) -> dict[str, Any]:
    """Every attribute of an attrs entity (brands and campaigns compare by id only)."""
    return attrs.asdict(entity, recurse=False)  # type: ignore[arg-type]


def snapshot(store: InMemoryStore) -> dict[str, Any]:
    """Everything committed, in a form that compares by value."""
    state = store.state
    return {
        "brands": {i: fields(b) for i, b in state.brands.items()},
        "campaigns": {i: fields(c) for i, c in state.campaigns.items()},
        "ledger": dict(state.ledger),
        "audit": list(state.audit),
        "alerts": dict(state.alerts),
        "next_id": state.next_id,
    }


def audit_chain_problems(entries: list[AuditEntry], current: Campaign) -> list[str]:
    """What is wrong with a campaign's audit trail, if anything: it must start at creation
    (from nothing to draft), each entry must start where the previous one ended, no entry may
    be a non-change (the same status and the same holds as before it), and the last must end
    at the current status and holds."""
    problems: list[str] = []
    if not entries:
        return ["no audit entry at all"]
    if entries[0].from_status is not None:
        problems.append(f"first entry starts from {entries[0].from_status}, not from nothing")
    for previous, entry in itertools.pairwise(entries):
        if entry.from_status is not previous.to_status:
            problems.append(f"{entry} does not follow {previous.to_status}")
        if entry.from_status is entry.to_status and entry.holds == previous.holds:
            problems.append(f"{entry} records no change")
    if entries[0].from_status is entries[0].to_status:
        problems.append(f"{entries[0]} records no change")
    if entries[-1].to_status is not current.status:
        problems.append(f"last entry ends at {entries[-1].to_status}, status is {current.status}")
    if entries[-1].holds != current.holds:
        problems.append(
            f"last entry holds {set(entries[-1].holds)}, campaign holds {set(current.holds)}"
        )
    return problems


__all__ = [
    "App",
    "audit_chain_problems",
    "fields",
    "local_date",
    "money",
    "snapshot",
    "utc",
    "wall",
    "window",
]
