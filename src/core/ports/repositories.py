"""Repository ports, shaped by the use cases that call them. Implementations: the Django ORM
adapter (production) and the in-memory adapter (tests, demos); one contract suite checks both."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from datetime import date, datetime
from typing import Protocol

from core.entities import (
    EVERY,
    Alert,
    AuditEntry,
    Brand,
    BrandId,
    Campaign,
    CampaignId,
    DaySpend,
    LedgerEntry,
    Money,
    Shard,
    Sweep,
    Window,
)


class BrandRepository(Protocol):
    def add(self, brand: Brand) -> Brand:
        """Store a new brand and give it an id. Raises Conflict (field `name`) if a brand
        with that name exists."""
        ...

    def get(self, brand_id: BrandId) -> Brand | None:
        """The brand as committed, without locking it."""
        ...

    def get_many(self, brand_ids: Collection[BrandId]) -> dict[BrandId, Brand]:
        """Brands by id, unlocked; unknown ids are left out."""
        ...

    def lock(self, brand_ids: Collection[BrandId]) -> dict[BrandId, Brand]:
        """Brands by id, locked until the unit of work ends (in id order, so two callers
        never deadlock); unknown ids are left out. Lock brands before their campaigns."""
        ...

    def lock_of_campaigns(self, campaign_ids: Collection[CampaignId]) -> dict[BrandId, Brand]:
        """The brands of these campaigns, locked as `lock` locks them, found and locked in
        one step; unknown campaigns are ignored."""
        ...

    def save(self, brand: Brand) -> None:
        """Write back a brand read in this unit of work. Raises Conflict (field `name`) when
        the new name is taken."""
        ...

    def save_many(self, brands: Sequence[Brand]) -> None:
        """Write back many brands read in this unit of work, in bulk. Raises Conflict
        (field `name`) as `save` does."""
        ...

    def due_for_reset(self, now: datetime, limit: int) -> list[Brand]:
        """Up to `limit` brands, locked, whose counters need starting afresh at `now`."""
        ...


class CampaignRepository(Protocol):
    def add(self, campaign: Campaign) -> Campaign:
        """Store a new campaign (with its windows) and give it an id. Raises Conflict (field
        `name`) if its brand already has a campaign of that name."""
        ...

    def get(self, campaign_id: CampaignId) -> Campaign | None:
        """The campaign as committed, without locking it."""
        ...

    def lock(self, campaign_ids: Collection[CampaignId]) -> dict[CampaignId, Campaign]:
        """Campaigns by id, locked until the unit of work ends, taken in id order; unknown
        ids are left out. Callers hold the lock of each campaign's brand first, so every
        writer of a campaign is serialised on its brand and none waits in a circle."""
        ...

    def lock_brand(self, brand_id: BrandId) -> list[Campaign]:
        """Every campaign of a brand, locked, in id order."""
        ...

    def save(self, campaign: Campaign) -> None:
        """Write back a campaign read in this unit of work (not its windows). Raises Conflict
        (field `name`) when the new name is taken within the brand."""
        ...

    def save_many(self, campaigns: Sequence[Campaign]) -> None:
        """Write back many campaigns read in this unit of work, in bulk."""
        ...

    def replace_windows(self, campaign_id: CampaignId, windows: Iterable[Window]) -> None:
        """Make `windows` the campaign's whole schedule."""
        ...

    def due(
        self, sweep: Sweep, now: datetime, limit: int, shard: Shard = EVERY
    ) -> list[CampaignId]:
        """Ids of up to `limit` campaigns of `shard` whose due time for `sweep` is at or
        before `now`, the earliest due first. Selects only rows that can change (an indexed
        query); the core decides what changes. Nothing is locked: the caller locks the
        brands, then the campaigns."""
        ...

    def budget_candidates(
        self, after: CampaignId, limit: int, shard: Shard = EVERY
    ) -> list[CampaignId]:
        """Ids, in id order, of up to `limit` campaigns of `shard` with id above `after` that
        might have budget holds out of line with their stored counters and budgets (or
        their brand's). May return more than needed, never fewer. A budget hold whose
        counter's period has ended is ResetPeriod's to release (its reset is due), so it
        need not be returned. Nothing is locked."""
        ...

    def page(self, after: CampaignId, limit: int) -> list[Campaign]:
        """Up to `limit` campaigns with id greater than `after`, in id order, unlocked."""
        ...


class SpendLedger(Protocol):
    def find_many(
        self, slots: Collection[tuple[CampaignId, str]]
    ) -> dict[tuple[CampaignId, str], LedgerEntry]:
        """Entries already recorded under any of the (campaign, key) `slots`, in one look-up
        however many campaigns the slots name."""
        ...

    def add_new(self, entries: Sequence[LedgerEntry]) -> set[tuple[CampaignId, str]]:
        """Add, in bulk, each entry whose (campaign, key) slot is free, and return the slots
        added. An entry whose slot is taken (by an earlier batch, or by a concurrent one that
        commits first) is left out, and nothing is raised. The entries name distinct slots."""
        ...

    def totals(self, windows: Sequence[tuple[CampaignId, datetime, datetime]]) -> list[Money]:
        """For each (campaign, start, end) window, in order, the sum of the campaign's
        entries with start <= occurred_at < end: a few look-ups for however many windows
        (a page of a thousand campaigns, each with its own brand-local periods)."""
        ...

    def brand_total(self, brand_id: BrandId, start: datetime, end: datetime) -> Money:
        """Sum of the entries of all the brand's campaigns with start <= occurred_at < end."""
        ...


class AuditLog(Protocol):
    def append(self, entries: Sequence[AuditEntry]) -> None:
        """Write status-change entries."""
        ...


class AlertOutbox(Protocol):
    def add_new(self, alerts: Sequence[Alert]) -> list[Alert]:
        """Store alerts whose key has not been seen; return just those (with ids)."""
        ...

    def pending(self, limit: int) -> list[Alert]:
        """Up to `limit` undelivered alerts, oldest first, locked."""
        ...

    def mark_delivered(self, alert_ids: Collection[int], at: datetime) -> None:
        """Record that these alerts were sent."""
        ...


class SpendHistory(Protocol):
    """Spend per campaign and per brand and brand-local day (the roll-up the reports read),
    written in the spend transaction so that a read never sums the ledger."""

    def add(self, campaign_days: Sequence[DaySpend], brand_days: Sequence[DaySpend]) -> None:
        """Add each row's spend to the stored row of its (campaign or brand, day), creating
        the row when there is none, and set the stored row's budget to the given one. The
        rows of each sequence name distinct (subject, day) pairs, ordered by subject, then
        day (the order concurrent writers lock them in)."""
        ...

    def campaign_days(self, campaign_id: CampaignId, start: date, end: date) -> list[DaySpend]:
        """The stored rows of a campaign from `start` to `end` (both included), in day
        order; days without a row are left out."""
        ...

    def brand_days(self, brand_id: BrandId, start: date, end: date) -> list[DaySpend]:
        """The stored rows of a brand from `start` to `end` (both included), in day order;
        days without a row are left out."""
        ...
