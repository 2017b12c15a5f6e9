"""RecordSpend: take a batch of spend events into the ledger and the counters, and hold
campaigns in the same transaction as the spend that exhausts their budget."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import date, datetime

import attrs

from core.entities import (
    SYSTEM,
    Alert,
    Brand,
    BrandId,
    Campaign,
    CampaignId,
    Cause,
    DaySpend,
    InvalidInput,
    LedgerEntry,
    Money,
    Period,
    Refresh,
    SpendEvent,
)
from core.entities.spend import EventResult, Outcome
from core.ports import Clock, UnitOfWork, UnitOfWorkFactory
from core.use_cases.refresh import lock_for_refresh, refresh_and_save

MAX_BATCH = 10_000

Slot = tuple[CampaignId, str]


@attrs.frozen
class RecordSpendCommand:
    """A batch of raw events, each a mapping with `campaign_id`, `amount`, `key` and
    optionally `occurred_at` and `description`, as received from any entrypoint. An
    entrypoint that already refused an event (its fields were not even of the right types)
    passes its `EventResult` in the event's place, so that the result lists every event of
    the batch in order."""

    events: Sequence[Mapping[str, object] | EventResult]
    actor: str = SYSTEM


@attrs.frozen
class RecordSpendResult:
    """One result per event of the command, in its order; the counts are of those."""

    results: tuple[EventResult, ...]
    held: int = 0
    alerts: int = 0

    def count(self, outcome: Outcome) -> int:
        return sum(1 for r in self.results if r.outcome is outcome)

    @property
    def recorded(self) -> int:
        return self.count(Outcome.RECORDED)

    @property
    def duplicates(self) -> int:
        return self.count(Outcome.DUPLICATE)

    @property
    def rejected(self) -> int:
        return self.count(Outcome.REJECTED)

    def summary(self) -> str:
        return (
            f"recorded {self.recorded}, duplicate {self.duplicates}, "
            f"rejected {self.rejected}, campaigns held {self.held}, alerts {self.alerts}"
        )


class RecordSpend:
    """Record every event of a batch exactly once, in one transaction.

    Each event is validated on its own: a bad one is answered `rejected` with its field
    errors and never blocks the others. A key already recorded for the campaign with the
    same amount and instant (the same amount, when the retry gives no instant) is a
    `duplicate` and changes nothing; with a different amount or instant it is `rejected` as
    a conflict (field `key`). An accepted event goes to the
    ledger and to the counters of the current periods it falls in; then every touched
    campaign, and every campaign of a brand whose brand-wide budget flipped, is recomputed
    before the commit, so no committed spend leaves an exhausted campaign active. Alerts at
    80 % and 100 % are queued once per subject, period and threshold. The spend history
    takes each accepted amount on the brand-local day it occurred (a late event on its own
    day), for the campaign and for its brand, in the same transaction.

    Raises InvalidInput (field `events`) only for an empty or oversized batch."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    def __call__(self, command: RecordSpendCommand) -> RecordSpendResult:
        if not command.events:
            raise InvalidInput.on("events", "must contain at least one event")
        if len(command.events) > MAX_BATCH:
            raise InvalidInput.on("events", f"must contain at most {MAX_BATCH} events")
        now = self._clock.now()
        results = [
            e if isinstance(e, EventResult) else SpendEvent.judge(e, now) for e in command.events
        ]
        valid = [(i, e) for i, e in enumerate(results) if isinstance(e, SpendEvent)]
        if not valid:
            return RecordSpendResult(tuple(r for r in results if isinstance(r, EventResult)))
        events = [e for _, e in valid]
        with self._uow() as uow:
            batch = _SpendBatch(uow, now, command.actor, {e.campaign_id for e in events})  # lock
            verdicts = batch.decide(events)  # decide
            held, alerts = batch.save()  # save
            uow.commit()
        for (index, _), verdict in zip(valid, verdicts, strict=True):
            results[index] = verdict
        return RecordSpendResult(  # report
            tuple(r for r in results if isinstance(r, EventResult)), held, alerts
        )


class _SpendBatch:
    """The campaigns and brands one batch touches, locked in the writers' order, with their
    spend before the batch (to tell which alert thresholds it crossed)."""

    def __init__(
        self, uow: UnitOfWork, now: datetime, actor: str, campaign_ids: Collection[CampaignId]
    ) -> None:
        self.uow, self.now, self.actor = uow, now, actor
        locked, self.brands = lock_for_refresh(uow, campaign_ids)
        self.campaigns = {c.id: c for c in locked}
        self.before = {c.id: c.spent(now, self.brands[c.brand_id].timezone) for c in locked}
        self.brands_before = {b.id: b.spent(now) for b in self.brands.values()}
        self.flipped: set[BrandId] = set()
        self.recorded = 0
        # Spend per (campaign, brand-local day of the event), for the spend history.
        self.days: dict[tuple[CampaignId, date], Money] = {}

    def decide(self, events: Sequence[SpendEvent]) -> list[EventResult]:
        """Each event's verdict, in order. The ledger takes each free slot's first event (one
        insert for the whole batch); the slots it refuses are looked up once, to tell a
        retry (duplicate) from a reuse of the key (conflict)."""
        offered: dict[Slot, LedgerEntry] = {}
        for event in events:
            if event.campaign_id in self.campaigns and event.slot not in offered:
                offered[event.slot] = event.entry(self.now, self.actor)
        added = self.uow.ledger.add_new(list(offered.values()))
        taken = offered.keys() - added
        earlier = self.uow.ledger.find_many(taken) if taken else {}
        return [self._verdict(event, offered, added, earlier) for event in events]

    def _verdict(
        self,
        event: SpendEvent,
        offered: Mapping[Slot, LedgerEntry],
        added: set[Slot],
        earlier: dict[Slot, LedgerEntry],
    ) -> EventResult:
        campaign = self.campaigns.get(event.campaign_id)
        if campaign is None:
            return event.unknown_campaign()
        if event.slot not in added:
            return event.against(earlier[event.slot])
        # The slot's later events in this batch are judged against this one.
        added.discard(event.slot)
        earlier[event.slot] = offered[event.slot]
        self._count(campaign, event)
        return EventResult(event.key, Outcome.RECORDED)

    def _count(self, campaign: Campaign, event: SpendEvent) -> None:
        brand = self.brands[campaign.brand_id]
        campaign.record(event.amount, event.occurred_at, self.now, brand.timezone)
        if brand.record(event.amount, event.occurred_at, self.now):
            self.flipped.add(brand.id)
        # The day the counters just looked up (cached), not a fresh time-zone conversion.
        day = (campaign.id, Period.DAY.containing(event.occurred_at, brand.timezone))
        self.days[day] = self.days.get(day, Money.zero()) + event.amount
        self.recorded += 1

    def save(self) -> tuple[int, int]:
        """Refresh and save what the batch changed: the campaigns it named, the brands, and
        every other campaign of a brand whose budget it exhausted; queue the alerts. Returns
        how many campaigns stopped and how many alerts are new."""
        if not self.recorded:
            return 0, 0
        touched = [self.campaigns[c] for c in sorted(self.campaigns)]
        refreshes = self._refresh(touched, self.brands)
        self.uow.brands.save_many([self.brands[b] for b in sorted(self.brands)])
        for brand_id in sorted(self.flipped):
            # The campaigns named by the batch were refreshed above with this brand already.
            others = self.uow.campaigns.lock_brand(brand_id)
            others = [c for c in others if c.id not in self.campaigns]
            refreshes += self._refresh(others, {brand_id: self.brands[brand_id]})
        alerts = self._alerts(touched)
        new_alerts = self.uow.alerts.add_new(alerts) if alerts else []
        self.uow.history.add(*self._history())
        return sum(1 for r in refreshes if r.stopped), len(new_alerts)

    def _history(self) -> tuple[list[DaySpend], list[DaySpend]]:
        """The batch's spend per (campaign, day) and per (brand, day), each in (id, day)
        order, with the daily budget of the campaign or brand."""
        campaign_days: list[DaySpend] = []
        brand_days: dict[tuple[BrandId, date], Money] = {}
        for (campaign_id, day), spend in sorted(self.days.items()):
            campaign = self.campaigns[campaign_id]
            campaign_days.append(DaySpend(campaign_id, day, spend, campaign.daily_budget))
            key = (campaign.brand_id, day)
            brand_days[key] = brand_days.get(key, Money.zero()) + spend
        return campaign_days, [
            DaySpend(brand_id, day, spend, self.brands[brand_id].daily_budget)
            for (brand_id, day), spend in sorted(brand_days.items())
        ]

    def _refresh(self, campaigns: list[Campaign], brands: Mapping[BrandId, Brand]) -> list[Refresh]:
        return refresh_and_save(self.uow, campaigns, brands, self.now, Cause.SPEND, self.actor)

    def _alerts(self, touched: list[Campaign]) -> list[Alert]:
        now = self.now
        alerts = [
            alert
            for campaign in touched
            for alert in campaign.alerts_since(
                self.before[campaign.id], self.brands[campaign.brand_id], now
            )
        ]
        for brand in self.brands.values():
            alerts += brand.alerts_since(self.brands_before[brand.id], now)
        return alerts


__all__ = [
    "EventResult",
    "Outcome",
    "RecordSpend",
    "RecordSpendCommand",
    "RecordSpendResult",
    "Refresh",
]
