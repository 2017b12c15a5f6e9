"""ApplyDayparting: hold campaigns outside their windows, release them inside."""

from __future__ import annotations

from core.entities import Cause
from core.ports import Sweep, UnitOfWorkFactory
from core.use_cases._refresh import SweepCommand, SweepResult, Tallier, sweep_in_chunks


class ApplyDayparting:
    """Adds or removes OUTSIDE_SCHEDULE from the brand-local wall-clock time at `now`, for
    the campaigns that reached a window edge (or a DST jump) since they were last looked at.
    Campaigns without windows are never restricted and never selected."""

    def __init__(self, uow: UnitOfWorkFactory, chunk_size: int = 1000) -> None:
        self._uow = uow
        self._chunk = chunk_size

    def __call__(self, command: SweepCommand) -> SweepResult:
        now = command.now
        tally = Tallier()
        sweep_in_chunks(
            self._uow,
            lambda uow, limit: uow.campaigns.due(Sweep.SCHEDULE, now, limit),
            now,
            Cause.DAYPARTING,
            self._chunk,
            tally,
        )
        return tally.result()
