"""The flight check: campaigns start on their start date and complete after their end date
(brand-local calendar dates, inclusive)."""

from __future__ import annotations

from core.entities import Cause, Sweep
from core.use_cases.due_sweep import DueSweep


class CheckFlight(DueSweep):
    """Adds or removes NOT_STARTED and ENDED for the campaigns whose start or end date
    boundary has passed since they were last looked at. (The seed called this
    `activate_eligible_campaigns`.) Never changes the operator's state: a paused campaign
    stays paused when its start date comes."""

    sweep = Sweep.FLIGHT
    cause = Cause.FLIGHT
