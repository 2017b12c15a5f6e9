"""EnforceBudgets: bring budget holds in line with counters and budgets."""

from __future__ import annotations

from core.entities import CampaignId, Cause
from core.ports import UnitOfWorkFactory
from core.use_cases._refresh import (
    SweepCommand,
    SweepResult,
    Tallier,
    lock_for_refresh,
    refresh_and_save,
)


class EnforceBudgets:
    """Recompute the campaigns whose budget holds may disagree with their counters and
    budgets (after a budget was changed outside a use case, or a counter was repaired), and
    add or remove holds. Spend and operator edits already hold and release at once; this is
    the safety net. Walks the candidates in id order, one chunk per transaction."""

    def __init__(self, uow: UnitOfWorkFactory, chunk_size: int = 1000) -> None:
        self._uow = uow
        self._chunk = chunk_size

    def __call__(self, command: SweepCommand) -> SweepResult:
        now = command.now
        tally = Tallier()
        after = CampaignId(0)
        while True:
            with self._uow() as uow:
                ids = uow.campaigns.budget_candidates(after, self._chunk)
                if not ids:
                    break
                batch, brands = lock_for_refresh(uow, ids)
                refreshes = refresh_and_save(uow, batch, brands, now, Cause.BUDGET_CHECK)
                uow.commit()
            tally.count(refreshes)
            after = max(ids)
        return tally.result()
