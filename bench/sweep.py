"""One sweep, timed, in a fresh process (so its peak RSS is its own):
`python -m bench.sweep DB SWEEP idle|due RUNS` prints one JSON line."""

from __future__ import annotations

import json
import resource
import sys
import time
from datetime import UTC, datetime, timedelta

from bench.setup import configure

SWEEPS = ("enforce_budgets", "reset_period", "apply_dayparting", "check_flight")
SHARE = 100  # 1 campaign in SHARE is made due


def make_due(sweep: str, now: datetime) -> None:
    """Make one campaign in a hundred due for `sweep`, in bulk (not timed)."""
    from django.db import connection

    from adapters.django_orm import models

    table = models.Campaign._meta.db_table
    past = now - timedelta(seconds=1)
    column = {
        "reset_period": "reset_due_at",
        "apply_dayparting": "schedule_due_at",
        "check_flight": "flight_due_at",
    }.get(sweep)
    with connection.cursor() as cursor:
        if column is not None:
            cursor.execute(f"UPDATE {table} SET {column} = %s WHERE id %% {SHARE} = 0", [past])
        else:  # counters at the budget, hold missing: out of line
            cursor.execute(
                f"UPDATE {table} SET daily_spend = daily_budget, holds = '' "
                f"WHERE id %% {SHARE} = 0",
                [],
            )


def main() -> None:
    db, sweep, mode, runs = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    configure(db)
    from core.use_cases.sweeps import SweepCommand
    from entrypoints.container import get_container

    use_case = getattr(get_container(), sweep)()
    times, checked = [], []
    for _ in range(runs):
        now = datetime.now(UTC)
        if mode == "due":
            make_due(sweep, now)
        started = time.perf_counter()
        result = use_case(SweepCommand(now))
        times.append(time.perf_counter() - started)
        checked.append(result.checked)
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"times": times, "checked": checked, "rss_mb": rss_mb}))


if __name__ == "__main__":
    main()
