"""ResetPeriod: start each brand's new day and month at its own local midnight."""

from __future__ import annotations

from datetime import datetime

from core.entities import Cause, Sweep
from core.use_cases.due_sweep import DueSweep
from core.use_cases.sweeps import Tallier


class ResetPeriod(DueSweep):
    """For every brand and campaign whose local day or month has ended, start the new
    period: counters to zero, and the budget holds of the ended period released (a monthly
    hold stays while this month's spend still reaches the monthly budget).

    Idempotent: a second run at the same instant finds nothing due, and one late run after
    missed ones leaves the same state as runs on time, because counters carry their period
    and holds are recomputed from them. Cost grows with what is due, not with the total."""

    sweep = Sweep.RESET
    cause = Cause.PERIOD_RESET

    def _sweep(self, now: datetime, tally: Tallier) -> None:
        # Brands first: their campaigns are refreshed against the brand's new period.
        seen: set[int] = set()
        while True:
            with self._uow() as uow:
                brands = uow.brands.due_for_reset(now, self._chunk)
                if not brands:
                    break
                ids = {b.id for b in brands}
                if ids <= seen:
                    # A rolled brand is never due again at the same `now`.
                    raise RuntimeError(f"reset selected the same brands twice: {sorted(ids)[:10]}")
                seen |= ids
                for brand in brands:
                    tally.brands_reset += bool(brand.roll(now))
                    uow.brands.save(brand)
                uow.commit()
        super()._sweep(now, tally)
