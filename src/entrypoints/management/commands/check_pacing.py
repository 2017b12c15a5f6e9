"""`manage.py check_pacing [--now INSTANT] [--async]`"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from core.use_cases.pacing_alerts import CheckPacingCommand
from entrypoints.container import get_container
from entrypoints.management.commands._periodic import SweepCommandBase


class Command(SweepCommandBase):
    help = (
        "Check pacing (CheckPacing): queue an alert for each campaign or brand whose spend "
        "this day or month is over or under its pace, once a quarter of the period's "
        "scheduled time has gone by; at most one per subject, period and band. The alerts "
        "go out with the next delivery."
    )
    title = "Pacing check"
    task = "budget.check_pacing"

    def run(self, now: datetime, options: dict[str, Any]) -> list[str]:
        result = get_container().check_pacing()(CheckPacingCommand(now))
        return [
            f"{self.title} as of {now.isoformat()}: checked {result.checked}, "
            f"alerts queued {result.alerts}"
        ]
