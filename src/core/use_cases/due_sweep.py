"""The chunked sweep loop shared by the periodic use cases: select what is due, lock it in
the writers' order, refresh, commit, chunk after chunk and shard by shard."""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import datetime

from core.entities import CampaignId, Cause, Shard, Sweep
from core.ports import Runner, UnitOfWork, UnitOfWorkFactory
from core.use_cases.refresh import lock_for_refresh, refresh_and_save
from core.use_cases.runners import InOrder
from core.use_cases.sweeps import SweepCommand, SweepResult, Tallier


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
