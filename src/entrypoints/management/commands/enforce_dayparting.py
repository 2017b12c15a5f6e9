"""`manage.py enforce_dayparting [--now INSTANT] [--async]`"""

from __future__ import annotations

from collections.abc import Callable

from core.use_cases.sweeps import SweepCommand, SweepResult
from entrypoints.container import Container
from entrypoints.management.commands._periodic import SweepCommandBase


class Command(SweepCommandBase):
    help = (
        "Apply dayparting (ApplyDayparting): hold campaigns outside their windows "
        "(OUTSIDE_SCHEDULE) and release those inside, by each brand's local wall clock. Only "
        "campaigns that reached a window edge since they were last looked at are touched."
    )
    title = "Dayparting"
    task = "budget.apply_dayparting"

    def sweep(self, container: Container) -> Callable[[SweepCommand], SweepResult]:
        return container.apply_dayparting()
