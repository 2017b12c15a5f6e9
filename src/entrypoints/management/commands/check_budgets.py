"""`manage.py check_budgets [--now INSTANT] [--async]`"""

from __future__ import annotations

from collections.abc import Callable

from core.use_cases.sweeps import SweepCommand, SweepResult
from entrypoints.container import Container
from entrypoints.management.commands._periodic import SweepCommandBase


class Command(SweepCommandBase):
    help = (
        "Bring budget holds in line with counters and budgets (EnforceBudgets): hold campaigns "
        "whose daily or monthly spend (or their brand's) has reached the budget, release those "
        "whose budget was raised or whose counter was repaired. Spend and operator edits "
        "already do this at once; this is the safety net."
    )
    title = "Budget check"
    task = "budget.enforce_budgets"

    def sweep(self, container: Container) -> Callable[[SweepCommand], SweepResult]:
        return container.enforce_budgets()
