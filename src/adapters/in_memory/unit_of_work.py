"""In-memory repositories and a unit of work that really rolls back.

The committed state lives in an `InMemoryStore`. A unit of work takes the store's lock (so
units of work are serialised, like row locks that cover everything), works on a private copy
of the state, and swaps it in only on `commit()`. Repositories hand out copies of entities
and store copies on `save`, so a change that is not saved is not kept, as with a database."""

from __future__ import annotations

import threading
from collections.abc import Collection, Iterable, Sequence
from datetime import date, datetime
from types import TracebackType
from typing import Self

import attrs

from core.entities import (
    EVERY,
    Alert,
    AlertKey,
    AuditEntry,
    Brand,
    BrandId,
    Campaign,
    CampaignId,
    Conflict,
    DaySpend,
    LedgerEntry,
    Money,
    Shard,
    Sweep,
    Window,
)


@attrs.define
class _State:
    brands: dict[BrandId, Brand] = attrs.Factory(dict)
    campaigns: dict[CampaignId, Campaign] = attrs.Factory(dict)
    ledger: dict[tuple[CampaignId, str], LedgerEntry] = attrs.Factory(dict)
    audit: list[AuditEntry] = attrs.Factory(list)
    alerts: dict[AlertKey, Alert] = attrs.Factory(dict)
    next_id: int = 1
    # The spend history, by (campaign or brand id, brand-local day).
    campaign_days: dict[tuple[int, date], DaySpend] = attrs.Factory(dict)
    brand_days: dict[tuple[int, date], DaySpend] = attrs.Factory(dict)

    def copy(self) -> _State:
        return _State(
            dict(self.brands),
            dict(self.campaigns),
            dict(self.ledger),
            list(self.audit),
            dict(self.alerts),
            self.next_id,
            dict(self.campaign_days),
            dict(self.brand_days),
        )

    def new_id(self) -> int:
        self.next_id += 1
        return self.next_id - 1


class InMemoryStore:
    """Committed state shared by the units of work made from it."""

    def __init__(self) -> None:
        self.state = _State()
        self.lock = threading.Lock()
        self.commits = 0

    def unit_of_work(self) -> InMemoryUnitOfWork:
        return InMemoryUnitOfWork(self)

    # Read-only views for tests and reports (copies; never mutate the store through them).
    def brand(self, brand_id: int) -> Brand:
        return attrs.evolve(self.state.brands[BrandId(brand_id)])

    def campaign(self, campaign_id: int) -> Campaign:
        return attrs.evolve(self.state.campaigns[CampaignId(campaign_id)])

    def campaigns(self) -> list[Campaign]:
        return [attrs.evolve(c) for _, c in sorted(self.state.campaigns.items())]

    def brands(self) -> list[Brand]:
        return [attrs.evolve(b) for _, b in sorted(self.state.brands.items())]

    def ledger(self) -> list[LedgerEntry]:
        return list(self.state.ledger.values())

    def audit(self) -> list[AuditEntry]:
        return list(self.state.audit)

    def alerts(self) -> list[Alert]:
        return list(self.state.alerts.values())

    def campaign_days(self) -> list[DaySpend]:
        """Every stored spend-history row of the campaigns, in (campaign, day) order."""
        return [row for _, row in sorted(self.state.campaign_days.items())]

    def brand_days(self) -> list[DaySpend]:
        """Every stored spend-history row of the brands, in (brand, day) order."""
        return [row for _, row in sorted(self.state.brand_days.items())]


class InMemoryBrandRepository:
    def __init__(self, state: _State) -> None:
        self._s = state

    def add(self, brand: Brand) -> Brand:
        self._check_name(brand)
        stored = attrs.evolve(brand, id=BrandId(self._s.new_id()))
        self._s.brands[stored.id] = stored
        return attrs.evolve(stored)

    def _check_name(self, brand: Brand) -> None:
        if any(b.name == brand.name and b.id != brand.id for b in self._s.brands.values()):
            raise Conflict.on("name", f"a brand named '{brand.name}' already exists")

    def get(self, brand_id: BrandId) -> Brand | None:
        brand = self._s.brands.get(brand_id)
        return attrs.evolve(brand) if brand else None

    def get_many(self, brand_ids: Collection[BrandId]) -> dict[BrandId, Brand]:
        return {
            i: attrs.evolve(self._s.brands[i]) for i in sorted(brand_ids) if i in self._s.brands
        }

    lock = get_many

    def lock_of_campaigns(self, campaign_ids: Collection[CampaignId]) -> dict[BrandId, Brand]:
        campaigns = self._s.campaigns
        return self.lock({campaigns[i].brand_id for i in campaign_ids if i in campaigns})

    def save(self, brand: Brand) -> None:
        if brand.id not in self._s.brands:
            raise KeyError(f"brand {brand.id} was never added")
        self._check_name(brand)
        self._s.brands[brand.id] = attrs.evolve(brand)

    def save_many(self, brands: Sequence[Brand]) -> None:
        for brand in brands:
            self.save(brand)

    def due_for_reset(self, now: datetime, limit: int) -> list[Brand]:
        due = sorted(
            (b for b in self._s.brands.values() if b.reset_due_at and b.reset_due_at <= now),
            key=lambda b: (b.reset_due_at, b.id),
        )[:limit]
        return [attrs.evolve(b) for b in sorted(due, key=lambda b: b.id)]


_DUE_FIELD = {
    Sweep.RESET: "reset_due_at",
    Sweep.SCHEDULE: "schedule_due_at",
    Sweep.FLIGHT: "flight_due_at",
}


class InMemoryCampaignRepository:
    def __init__(self, state: _State) -> None:
        self._s = state

    def _check_name(self, campaign: Campaign) -> None:
        for other in self._s.campaigns.values():
            if (
                other.brand_id == campaign.brand_id
                and other.name == campaign.name
                and other.id != campaign.id
            ):
                raise Conflict.on(
                    "name",
                    f"brand {campaign.brand_id} already has a campaign named '{campaign.name}'",
                )

    def add(self, campaign: Campaign) -> Campaign:
        self._check_name(campaign)
        stored = attrs.evolve(campaign, id=CampaignId(self._s.new_id()))
        self._s.campaigns[stored.id] = stored
        return attrs.evolve(stored)

    def get(self, campaign_id: CampaignId) -> Campaign | None:
        campaign = self._s.campaigns.get(campaign_id)
        return attrs.evolve(campaign) if campaign else None

    def lock(self, campaign_ids: Collection[CampaignId]) -> dict[CampaignId, Campaign]:
        return {
            i: attrs.evolve(self._s.campaigns[i])
            for i in sorted(campaign_ids)
            if i in self._s.campaigns
        }

    def lock_brand(self, brand_id: BrandId) -> list[Campaign]:
        return [
            attrs.evolve(c) for _, c in sorted(self._s.campaigns.items()) if c.brand_id == brand_id
        ]

    def save(self, campaign: Campaign) -> None:
        stored = self._s.campaigns.get(campaign.id)
        if stored is None:
            raise KeyError(f"campaign {campaign.id} was never added")
        self._check_name(campaign)
        # Windows are written only by replace_windows, as in the database.
        self._s.campaigns[campaign.id] = attrs.evolve(campaign, windows=stored.windows)

    def save_many(self, campaigns: Sequence[Campaign]) -> None:
        for campaign in campaigns:
            self.save(campaign)

    def replace_windows(self, campaign_id: CampaignId, windows: Iterable[Window]) -> None:
        stored = self._s.campaigns[campaign_id]
        self._s.campaigns[campaign_id] = attrs.evolve(stored, windows=tuple(sorted(set(windows))))

    def due(
        self, sweep: Sweep, now: datetime, limit: int, shard: Shard = EVERY
    ) -> list[CampaignId]:
        field = _DUE_FIELD[sweep]
        due = [
            c
            for c in self._s.campaigns.values()
            if (at := getattr(c, field)) is not None and at <= now and shard.has(c.brand_id)
        ]
        due.sort(key=lambda c: (getattr(c, field), c.id))
        return [c.id for c in due[:limit]]

    def budget_candidates(
        self, after: CampaignId, limit: int, shard: Shard = EVERY
    ) -> list[CampaignId]:
        campaigns = self._s.campaigns
        return sorted(i for i, c in campaigns.items() if i > after and shard.has(c.brand_id))[
            :limit
        ]

    def page(self, after: CampaignId, limit: int) -> list[Campaign]:
        ids = sorted(i for i in self._s.campaigns if i > after)[:limit]
        return [attrs.evolve(self._s.campaigns[i]) for i in ids]


class InMemorySpendLedger:
    def __init__(self, state: _State) -> None:
        self._s = state

    def find_many(
        self, slots: Collection[tuple[CampaignId, str]]
    ) -> dict[tuple[CampaignId, str], LedgerEntry]:
        return {s: e for s in slots if (e := self._s.ledger.get(s)) is not None}

    def add_new(self, entries: Sequence[LedgerEntry]) -> set[tuple[CampaignId, str]]:
        added: set[tuple[CampaignId, str]] = set()
        for entry in entries:
            slot = (entry.campaign_id, entry.key)
            if slot not in self._s.ledger:
                self._s.ledger[slot] = entry
                added.add(slot)
        return added

    def totals(self, windows: Sequence[tuple[CampaignId, datetime, datetime]]) -> list[Money]:
        wanted = {campaign_id for campaign_id, _, _ in windows}
        entries: dict[CampaignId, list[LedgerEntry]] = {c: [] for c in wanted}
        for (campaign_id, _), entry in self._s.ledger.items():
            if campaign_id in wanted:
                entries[campaign_id].append(entry)
        return [
            sum(
                (e.amount for e in entries[campaign_id] if start <= e.occurred_at < end),
                Money.zero(),
            )
            for campaign_id, start, end in windows
        ]

    def brand_total(self, brand_id: BrandId, start: datetime, end: datetime) -> Money:
        ids = {i for i, c in self._s.campaigns.items() if c.brand_id == brand_id}
        return sum(
            (
                e.amount
                for (cid, _), e in self._s.ledger.items()
                if cid in ids and start <= e.occurred_at < end
            ),
            Money.zero(),
        )


class InMemoryAuditLog:
    def __init__(self, state: _State) -> None:
        self._s = state

    def append(self, entries: Sequence[AuditEntry]) -> None:
        self._s.audit.extend(entries)


class InMemoryAlertOutbox:
    def __init__(self, state: _State) -> None:
        self._s = state

    def add_new(self, alerts: Sequence[Alert]) -> list[Alert]:
        new: list[Alert] = []
        for alert in alerts:
            if alert.key in self._s.alerts:
                continue
            stored = attrs.evolve(alert, id=self._s.new_id())
            self._s.alerts[alert.key] = stored
            new.append(stored)
        return new

    def pending(self, limit: int) -> list[Alert]:
        waiting = [a for a in self._s.alerts.values() if a.delivered_at is None]
        return sorted(waiting, key=lambda a: (a.raised_at, a.id))[:limit]

    def mark_delivered(self, alert_ids: Collection[int], at: datetime) -> None:
        wanted = set(alert_ids)
        for key, alert in self._s.alerts.items():
            if alert.id in wanted:
                self._s.alerts[key] = attrs.evolve(alert, delivered_at=at)


class InMemorySpendHistory:
    def __init__(self, state: _State) -> None:
        self._s = state

    def add(self, campaign_days: Sequence[DaySpend], brand_days: Sequence[DaySpend]) -> None:
        for rows, stored in (
            (campaign_days, self._s.campaign_days),
            (brand_days, self._s.brand_days),
        ):
            for row in rows:
                key = (row.subject_id, row.day)
                before = stored.get(key)
                spend = row.spend if before is None else before.spend + row.spend
                # DaySpend is frozen: the copied state never shares a row it could change.
                stored[key] = attrs.evolve(row, spend=spend)

    def campaign_days(self, campaign_id: CampaignId, start: date, end: date) -> list[DaySpend]:
        return self._between(self._s.campaign_days, campaign_id, start, end)

    def brand_days(self, brand_id: BrandId, start: date, end: date) -> list[DaySpend]:
        return self._between(self._s.brand_days, brand_id, start, end)

    @staticmethod
    def _between(
        stored: dict[tuple[int, date], DaySpend], subject_id: int, start: date, end: date
    ) -> list[DaySpend]:
        return [
            row
            for (owner, day), row in sorted(stored.items())
            if owner == subject_id and start <= day <= end
        ]


class InMemoryUnitOfWork:
    def __init__(self, store: InMemoryStore) -> None:
        self._store = store
        self._state: _State | None = None
        self._committed = False

    def __enter__(self) -> Self:
        self._store.lock.acquire()
        self._state = self._store.state.copy()
        self._committed = False
        self.brands = InMemoryBrandRepository(self._state)
        self.campaigns = InMemoryCampaignRepository(self._state)
        self.ledger = InMemorySpendLedger(self._state)
        self.audit = InMemoryAuditLog(self._state)
        self.alerts = InMemoryAlertOutbox(self._state)
        self.history = InMemorySpendHistory(self._state)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if self._committed and exc_type is None and self._state is not None:
                self._store.state = self._state
                self._store.commits += 1
        finally:
            self._state = None
            self._store.lock.release()

    def commit(self) -> None:
        if self._state is None:
            raise RuntimeError("commit() outside the unit of work")
        self._committed = True
