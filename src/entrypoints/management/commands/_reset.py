"""The two seed commands that start budget periods. Both run ResetPeriod, which starts each
brand's new day *and* new month at that brand's own local midnight: whichever of them runs,
every period that has ended by `--now` is started, so running either (or both, or one late)
gives the same result."""

from __future__ import annotations

from collections.abc import Callable

from core.use_cases.sweeps import SweepCommand, SweepResult
from entrypoints.container import Container
from entrypoints.management.commands._periodic import SweepCommandBase

RESET_HELP = (
    "Start the budget periods that have ended (ResetPeriod). Days and months are per brand, "
    "in the brand's time zone: a brand's day starts at its local midnight and its month on "
    "the 1st at local midnight. For every brand and campaign whose day or month has ended by "
    "--now, the counter of the ended period goes to zero and its budget hold is released "
    "(a campaign an operator paused stays paused). reset_daily_spends and "
    "reset_monthly_spends run the same use case, which handles days and months together; "
    "it is idempotent, so running it twice or late after a missed run gives the same result "
    "as one run on time."
)


class ResetCommand(SweepCommandBase):
    help = RESET_HELP
    title = "Period reset"
    task = "budget.reset_periods"

    def sweep(self, container: Container) -> Callable[[SweepCommand], SweepResult]:
        return container.reset_period()
