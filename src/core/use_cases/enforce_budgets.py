"""EnforceBudgets: bring budget holds in line with counters and budgets."""

from __future__ import annotations

from datetime import datetime

from core.entities import CampaignId, Cause, Shard
from core.use_cases.due_sweep import DueSweep
from core.use_cases.refresh import lock_for_refresh, refresh_and_save
from core.use_cases.sweeps import Tallier


class EnforceBudgets(DueSweep):
    """Recompute the campaigns whose budget holds may disagree with their counters and
    budgets (after a budget was changed outside a use case, or a counter was repaired), and
    add or remove holds. Spend and operator edits already hold and release at once; this is
    the safety net. Walks each shard's candidates in id order, one chunk per transaction."""

    cause = Cause.BUDGET_CHECK

    def _anything_due(self, now: datetime) -> bool:
        with self._uow() as uow:
            return bool(uow.campaigns.budget_candidates(CampaignId(0), 1))

    def _sweep_due(self, now: datetime, shard: Shard, tally: Tallier) -> None:
        after = CampaignId(0)
        while True:
            with self._uow() as uow:
                ids = uow.campaigns.budget_candidates(after, self._chunk, shard)
                if not ids:
                    break
                batch, brands = lock_for_refresh(uow, ids)
                refreshes = refresh_and_save(uow, batch, brands, now, self.cause)
                uow.commit()
            tally.count(refreshes)
            after = max(ids)
