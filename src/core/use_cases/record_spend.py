"""RecordSpend: take a batch of spend events into the ledger and the counters, and hold
campaigns in the same transaction as the spend that exhausts their budget."""

from __future__ import annotations

import enum
from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import datetime

import attrs

from core.entities import (
    SYSTEM,
    Alert,
    AlertKey,
    Brand,
    BrandId,
    Campaign,
    CampaignId,
    Cause,
    Conflict,
    FieldError,
    InvalidInput,
    LedgerEntry,
    Money,
    NotFound,
    Period,
    Refresh,
    SpendEvent,
    Status,
    Subject,
)
from core.entities.budget import PERIODS, crossed
from core.ports import Clock, UnitOfWork, UnitOfWorkFactory
from core.use_cases.refresh import lock_for_refresh, refresh_and_save

MAX_BATCH = 10_000


class Outcome(enum.StrEnum):
    RECORDED = "recorded"
    DUPLICATE = "duplicate"
    REJECTED = "rejected"


@attrs.frozen
class RecordSpendCommand:
    """A batch of raw events, each a mapping with `campaign_id`, `amount`, `key` and
    optionally `occurred_at` and `description`, as received from any entrypoint."""

    events: Sequence[Mapping[str, object]]
    actor: str = SYSTEM


@attrs.frozen
class EventResult:
    key: str
    outcome: Outcome
    errors: tuple[FieldError, ...] = ()


@attrs.frozen
class RecordSpendResult:
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
    80 % and 100 % are queued once per subject, period and threshold.

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
        results: list[EventResult | None] = [None] * len(command.events)
        valid: list[tuple[int, SpendEvent]] = []
        for index, raw in enumerate(command.events):
            try:
                event = _parse(raw, now)
            except InvalidInput as error:
                results[index] = EventResult(_key_of(raw), Outcome.REJECTED, error.errors)
            else:
                valid.append((index, event))
        held = alerts = 0
        if valid:
            with self._uow() as uow:
                held, alerts = _Batch(uow, now, command.actor).apply(valid, results)
                uow.commit()
        return RecordSpendResult(tuple(r for r in results if r is not None), held, alerts)


def _parse(raw: Mapping[str, object], now: datetime) -> SpendEvent:
    if not isinstance(raw, Mapping):
        raise InvalidInput.on("event", "must be an object")
    return SpendEvent.parse(
        campaign_id=raw.get("campaign_id"),
        amount=raw.get("amount"),
        key=raw.get("key"),
        occurred_at=raw.get("occurred_at"),
        description=raw.get("description"),
        now=now,
    )


def _key_of(raw: object) -> str:
    key = raw.get("key") if isinstance(raw, Mapping) else None
    return key.strip() if isinstance(key, str) else ""


class _Batch:
    def __init__(self, uow: UnitOfWork, now: datetime, actor: str) -> None:
        self.uow, self.now, self.actor = uow, now, actor

    def apply(
        self, valid: list[tuple[int, SpendEvent]], results: list[EventResult | None]
    ) -> tuple[int, int]:
        uow, now = self.uow, self.now
        locked, brands = lock_for_refresh(uow, {e.campaign_id for _, e in valid})
        campaigns = {c.id: c for c in locked}
        by_campaign: dict[CampaignId, list[tuple[int, SpendEvent]]] = defaultdict(list)
        for index, event in valid:
            if event.campaign_id not in campaigns:
                error = NotFound.on("campaign_id", f"campaign {event.campaign_id} does not exist")
                results[index] = EventResult(event.key, Outcome.REJECTED, error.errors)
            else:
                by_campaign[event.campaign_id].append((index, event))

        before = {b: _spend_snapshot(brand, now) for b, brand in brands.items()}
        campaign_before = {
            c: _spend_snapshot_campaign(campaigns[c], brands[campaigns[c].brand_id], now)
            for c in by_campaign
        }
        # Each slot's first event goes to the ledger, which keeps those whose slot is free
        # (one insert for the whole batch); the slots it refuses are looked up once, to tell
        # a retry (duplicate) from a reuse of the key (conflict).
        offered: dict[tuple[CampaignId, str], LedgerEntry] = {}
        for campaign_id, events in by_campaign.items():
            for _, event in events:
                if (campaign_id, event.key) not in offered:
                    offered[(campaign_id, event.key)] = LedgerEntry(
                        campaign_id,
                        event.key,
                        event.amount,
                        event.occurred_at,
                        now,
                        event.description,
                        self.actor,
                    )
        added = uow.ledger.add_new(list(offered.values()))
        known = uow.ledger.find_many(offered.keys() - added) if len(added) < len(offered) else {}
        known.update((slot, offered[slot]) for slot in added)
        recorded = 0
        for campaign_id, events in by_campaign.items():
            campaign = campaigns[campaign_id]
            brand = brands[campaign.brand_id]
            for index, event in events:
                slot = (campaign_id, event.key)
                if slot in added:
                    added.discard(slot)  # the slot's later events compare with this one
                    campaign.record(event.amount, event.occurred_at, now, brand.timezone)
                    brand.record(event.amount, event.occurred_at, now)
                    results[index] = EventResult(event.key, Outcome.RECORDED)
                    recorded += 1
                    continue
                entry = known[slot]
                if event.same_as(entry):
                    results[index] = EventResult(event.key, Outcome.DUPLICATE)
                else:
                    error = Conflict.on(
                        "key",
                        f"'{event.key}' was already recorded for campaign {campaign_id} "
                        f"with amount {entry.amount} at {entry.occurred_at.isoformat()}",
                    )
                    results[index] = EventResult(event.key, Outcome.REJECTED, error.errors)
        if not recorded:
            return 0, 0

        touched = [campaigns[c] for c in sorted(by_campaign)]
        refreshes = refresh_and_save(uow, touched, brands, now, Cause.SPEND, self.actor)
        uow.brands.save_many([brands[b] for b in sorted(brands)])
        for brand_id, brand in brands.items():
            if _brand_flags(brand, now) != _brand_flags_from(before[brand_id], brand):
                # The touched campaigns were refreshed above with this brand already.
                others = [c for c in uow.campaigns.lock_brand(brand_id) if c.id not in by_campaign]
                refreshes += refresh_and_save(
                    uow, others, {brand_id: brand}, now, Cause.SPEND, self.actor
                )
        alerts = self._alerts(touched, brands, campaign_before, before)
        new_alerts = uow.alerts.add_new(alerts) if alerts else []
        held = sum(1 for r in refreshes if r.status_changed and r.status_before is Status.ACTIVE)
        return held, len(new_alerts)

    def _alerts(
        self,
        touched: list[Campaign],
        brands: dict[BrandId, Brand],
        campaign_before: dict[CampaignId, dict[Period, Money]],
        brand_before: dict[BrandId, dict[Period, Money]],
    ) -> list[Alert]:
        now = self.now
        alerts: list[Alert] = []
        for campaign in touched:
            brand = brands[campaign.brand_id]
            for period in PERIODS:
                after = campaign.spend(period, now, brand.timezone)
                budget = campaign.budget(period)
                for threshold in crossed(campaign_before[campaign.id][period], after, budget):
                    key = AlertKey(
                        Subject.CAMPAIGN,
                        campaign.id,
                        period,
                        period.containing(now, brand.timezone),
                        threshold,
                    )
                    alerts.append(Alert(key, campaign.name, after, budget, brand.currency, now))
        for brand_id, brand in brands.items():
            for period in PERIODS:
                after = brand.spend(period, now)
                brand_budget = brand.budget(period)
                if brand_budget is None:
                    continue
                for threshold in crossed(brand_before[brand_id][period], after, brand_budget):
                    key = AlertKey(
                        Subject.BRAND,
                        brand.id,
                        period,
                        period.containing(now, brand.timezone),
                        threshold,
                    )
                    alerts.append(Alert(key, brand.name, after, brand_budget, brand.currency, now))
        return alerts


def _spend_snapshot(brand: Brand, now: datetime) -> dict[Period, Money]:
    return {p: brand.spend(p, now) for p in PERIODS}


def _spend_snapshot_campaign(
    campaign: Campaign, brand: Brand, now: datetime
) -> dict[Period, Money]:
    return {p: campaign.spend(p, now, brand.timezone) for p in PERIODS}


def _brand_flags(brand: Brand, now: datetime) -> tuple[bool, bool]:
    return brand.use(Period.DAY, now).exhausted, brand.use(Period.MONTH, now).exhausted


def _brand_flags_from(before: dict[Period, Money], brand: Brand) -> tuple[bool, bool]:
    return tuple(  # type: ignore[return-value]
        (budget := brand.budget(p)) is not None and before[p] >= budget for p in PERIODS
    )


__all__ = [
    "EventResult",
    "Outcome",
    "RecordSpend",
    "RecordSpendCommand",
    "RecordSpendResult",
    "Refresh",
]
