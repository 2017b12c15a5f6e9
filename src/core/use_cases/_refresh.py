"""Shared by the use cases that recompute campaigns: the tally of what changed, and the
chunked sweep loop."""

from __future__ import annotations

import functools
from collections import Counter as Tally
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from datetime import date, datetime

import attrs

from core.entities import (
    SYSTEM,
    Brand,
    BrandId,
    Campaign,
    CampaignId,
    Cause,
    Counter,
    Hold,
    Money,
    Period,
    Refresh,
    Status,
)
from core.entities.budget import PERIODS
from core.entities.time import day_start, require_aware
from core.ports import InOrder, Runner, Shard, Sweep, UnitOfWork, UnitOfWorkFactory


@attrs.frozen
class SweepCommand:
    """Run a periodic use case as of `now` (the real clock, or a replayed instant)."""

    now: datetime

    def __attrs_post_init__(self) -> None:
        require_aware(self.now, "now")


@attrs.frozen
class SweepResult:
    """What a run did: campaigns looked at, campaigns that gained or lost a hold, status
    changes, and counters started afresh."""

    checked: int = 0
    held: int = 0
    released: int = 0
    activated: int = 0
    stopped: int = 0
    counters_reset: int = 0
    brands_reset: int = 0
    holds_added: dict[str, int] = attrs.field(factory=dict)
    holds_removed: dict[str, int] = attrs.field(factory=dict)

    def summary(self) -> str:
        parts = [
            f"checked {self.checked}",
            f"held {self.held}",
            f"released {self.released}",
            f"activated {self.activated}",
            f"stopped {self.stopped}",
        ]
        if self.counters_reset or self.brands_reset:
            parts.append(f"counters reset {self.counters_reset}")
            parts.append(f"brands reset {self.brands_reset}")
        return ", ".join(parts)


class Tallier:
    def __init__(self) -> None:
        self.checked = self.held = self.released = self.activated = self.stopped = 0
        self.counters_reset = self.brands_reset = 0
        self.added: Tally[Hold] = Tally()
        self.removed: Tally[Hold] = Tally()

    def count(self, refreshes: Iterable[Refresh]) -> None:
        for r in refreshes:
            self.checked += 1
            self.counters_reset += r.counters_reset
            self.held += bool(r.added)
            self.released += bool(r.removed)
            self.added.update(r.added)
            self.removed.update(r.removed)
            if r.status_changed and r.status_after is Status.ACTIVE:
                self.activated += 1
            if r.status_changed and r.status_before is Status.ACTIVE:
                self.stopped += 1

    def absorb(self, other: Tallier) -> None:
        for name in (
            "checked",
            "held",
            "released",
            "activated",
            "stopped",
            "counters_reset",
            "brands_reset",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.added.update(other.added)
        self.removed.update(other.removed)

    def result(self) -> SweepResult:
        return SweepResult(
            checked=self.checked,
            held=self.held,
            released=self.released,
            activated=self.activated,
            stopped=self.stopped,
            counters_reset=self.counters_reset,
            brands_reset=self.brands_reset,
            holds_added={h.value: n for h, n in sorted(self.added.items())},
            holds_removed={h.value: n for h, n in sorted(self.removed.items())},
        )


def refresh_and_save(
    uow: UnitOfWork,
    campaigns: Sequence[Campaign],
    brands: Mapping[BrandId, Brand],
    now: datetime,
    cause: Cause,
    actor: str = SYSTEM,
) -> list[Refresh]:
    """Recompute each campaign, write them back in bulk, and audit every status change."""
    refreshes = [c.refresh(brands[c.brand_id], now, cause, actor) for c in campaigns]
    uow.campaigns.save_many(campaigns)
    audit = [r.audit for r in refreshes if r.audit is not None]
    if audit:
        uow.audit.append(audit)
    return refreshes


def current_periods(now: datetime, tz: str) -> list[tuple[Period, date, datetime, datetime]]:
    """The current day and month in zone `tz`: each period, its first local day, and the
    instants it starts and ends (its window of the ledger)."""
    found = []
    for period in PERIODS:
        day = period.containing(now, tz)
        found.append((period, day, day_start(day, tz), period.end(day, tz)))
    return found


def set_counter(subject: Brand | Campaign, period: Period, counter: Counter) -> None:
    if period is Period.DAY:
        subject.daily = counter
    else:
        subject.monthly = counter


def recount(
    uow: UnitOfWork,
    campaigns: Sequence[Campaign],
    brands: Mapping[BrandId, Brand],
    now: datetime,
) -> None:
    """Set each campaign's current day and month counters to the ledger's sums for them,
    with one ledger look-up for all the campaigns."""
    periods = [current_periods(now, brands[c.brand_id].timezone) for c in campaigns]
    totals = iter(
        uow.ledger.totals(
            [
                (campaign.id, start, end)
                for campaign, current in zip(campaigns, periods, strict=True)
                for _, _, start, end in current
            ]
        )
    )
    for campaign, current in zip(campaigns, periods, strict=True):
        for period, day, _, _ in current:
            set_counter(campaign, period, Counter(day, next(totals)))


def brand_ledger_totals(
    uow: UnitOfWork, brand: Brand, now: datetime
) -> list[tuple[Period, date, Money]]:
    """The brand's current day and month, each with the ledger's sum for it."""
    return [
        (period, day, uow.ledger.brand_total(brand.id, start, end))
        for period, day, start, end in current_periods(now, brand.timezone)
    ]


def lock_for_refresh(
    uow: UnitOfWork, campaign_ids: Collection[CampaignId]
) -> tuple[list[Campaign], dict[BrandId, Brand]]:
    """Lock the campaigns' brands, then the campaigns (the lock order every writer keeps),
    and return both."""
    brands = uow.brands.lock_of_campaigns(campaign_ids)
    campaigns = uow.campaigns.lock(campaign_ids)
    # A campaign whose brand is not locked was added after the brands were taken: it was
    # not among the campaigns asked for when the brands were locked, so it is left out.
    return [c for _, c in sorted(campaigns.items()) if c.brand_id in brands], brands


def sweep_in_chunks(
    uow_factory: UnitOfWorkFactory,
    select: Callable[[UnitOfWork, int], list[CampaignId]],
    now: datetime,
    cause: Cause,
    chunk_size: int,
    tally: Tallier,
) -> None:
    """Select, lock, refresh and commit chunk after chunk, each chunk in its own
    transaction, until the selection comes back empty. A refreshed campaign is never due
    again at the same `now`, so the loop ends; if a selection repeats itself the adapter is
    broken."""
    seen: set[int] = set()
    while True:
        with uow_factory() as uow:
            ids = select(uow, chunk_size)
            if not ids:
                return
            if set(ids) <= seen:
                raise RuntimeError(
                    f"{cause} sweep selected the same campaigns twice: {sorted(ids)[:10]}"
                )
            seen.update(ids)
            batch, brands = lock_for_refresh(uow, ids)
            refreshes = refresh_and_save(uow, batch, brands, now, cause)
            uow.commit()
        tally.count(refreshes)


def sweep_shards(
    runner: Runner, shards: int, sweep: Callable[[Shard, Tallier], None], tally: Tallier
) -> None:
    """Run `sweep` once per shard through `runner` (at once, where it runs jobs at once;
    shards share no brand, so they never wait on each other) and add up their tallies."""

    def job(shard: Shard) -> Tallier:
        own = Tallier()
        sweep(shard, own)
        return own

    for own in runner.run_all([functools.partial(job, shard) for shard in Shard.split(shards)]):
        tally.absorb(own)


class DueSweep:
    """A periodic use case that refreshes the campaigns due for one `Sweep`, `shards`
    parts of the campaigns through `runner`."""

    sweep: Sweep
    cause: Cause

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        chunk_size: int = 1000,
        shards: int = 1,
        runner: Runner | None = None,
    ) -> None:
        self._uow = uow
        self._chunk = chunk_size
        self._shards = shards
        self._runner = runner or InOrder()

    def _sweep_due(self, now: datetime, shard: Shard, tally: Tallier) -> None:
        sweep_in_chunks(
            self._uow,
            lambda uow, limit: uow.campaigns.due(self.sweep, now, limit, shard),
            now,
            self.cause,
            self._chunk,
            tally,
        )

    def _anything_due(self, now: datetime) -> bool:
        with self._uow() as uow:
            return bool(uow.campaigns.due(self.sweep, now, 1))

    def _sweep(self, now: datetime, tally: Tallier) -> None:
        # One probe first, so that a sweep with nothing to do starts no shard (each may
        # cost a connection).
        if self._shards > 1 and not self._anything_due(now):
            return
        sweep_shards(self._runner, self._shards, functools.partial(self._sweep_due, now), tally)

    def __call__(self, command: SweepCommand) -> SweepResult:
        tally = Tallier()
        self._sweep(command.now, tally)
        return tally.result()
