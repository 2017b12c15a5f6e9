"""ApplyDayparting: hold campaigns outside their windows, release them inside."""

from __future__ import annotations

from core.entities import Cause, Sweep
from core.use_cases.due_sweep import DueSweep


class ApplyDayparting(DueSweep):
    """Adds or removes OUTSIDE_SCHEDULE from the brand-local wall-clock time at `now`, for
    the campaigns that reached a window edge (or a DST jump) since they were last looked at.
    Campaigns without windows are never restricted and never selected."""

    sweep = Sweep.SCHEDULE
    cause = Cause.DAYPARTING
