"""`manage.py activate_eligible_campaigns [--now INSTANT] [--async]`"""

from __future__ import annotations

from collections.abc import Callable

from core.use_cases.sweeps import SweepCommand, SweepResult
from entrypoints.container import Container
from entrypoints.management.commands._periodic import SweepCommandBase


class Command(SweepCommandBase):
    help = (
        "Apply flight dates (CheckFlight): release NOT_STARTED on a campaign's start date and "
        "hold ENDED after its end date (brand-local calendar dates, inclusive). An operator's "
        "pause is never undone: a paused campaign stays paused."
    )
    title = "Flight check"
    task = "budget.check_flight"

    def sweep(self, container: Container) -> Callable[[SweepCommand], SweepResult]:
        return container.check_flight()
