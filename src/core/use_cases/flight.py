"""The flight check: campaigns start on their start date and complete after their end date
(brand-local calendar dates, inclusive)."""

from __future__ import annotations

from core.entities import Cause
from core.ports import Sweep, UnitOfWorkFactory
from core.use_cases._refresh import SweepCommand, SweepResult, Tallier, sweep_in_chunks


class CheckFlight:
    """Adds or removes NOT_STARTED and ENDED for the campaigns whose start or end date
    boundary has passed since they were last looked at. (The seed called this
    `activate_eligible_campaigns`.) Never changes the operator's state: a paused campaign
    stays paused when its start date comes."""

    def __init__(self, uow: UnitOfWorkFactory, chunk_size: int = 1000) -> None:
        self._uow = uow
        self._chunk = chunk_size

    def __call__(self, command: SweepCommand) -> SweepResult:
        now = command.now
        tally = Tallier()
        sweep_in_chunks(
            self._uow,
            lambda uow, limit: uow.campaigns.due(Sweep.FLIGHT, now, limit),
            now,
            Cause.FLIGHT,
            self._chunk,
            tally,
        )
        return tally.result()
