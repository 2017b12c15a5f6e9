"""The default beat schedule: which task runs how often.

Every entry is a UTC crontab. A brand's midnight and its dayparting edges are handled by the
use cases, which run every minute and act on whatever is due in each brand's own time zone;
a crontab per time zone would misfire across DST changes. Each tick expires if no worker
picks it up in time, so a worker that was down does not face a backlog of stale ticks (the
next tick catches up: the sweeps act on everything due by their run time).

`ensure_default_schedules` creates the missing entries and leaves existing ones alone, so an
operator's edits in the admin survive; the data migration calls it, and so can anyone."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any, NamedTuple


class Entry(NamedTuple):
    name: str
    task: str
    minute: str
    expire_seconds: int
    description: str


EVERY_MINUTE = "*"
EVERY_FIVE_MINUTES = "*/5"
EVERY_FIFTEEN_MINUTES = "*/15"

DEFAULT_SCHEDULES = (
    Entry(
        "Reset budget periods",
        "budget.reset_periods",
        EVERY_MINUTE,
        120,
        "Starts each brand's new day and month at its local midnight (ResetPeriod).",
    ),
    Entry(
        "Apply dayparting",
        "budget.apply_dayparting",
        EVERY_MINUTE,
        120,
        "Holds campaigns outside their windows, releases them inside (ApplyDayparting).",
    ),
    Entry(
        "Flight check",
        "budget.check_flight",
        EVERY_MINUTE,
        120,
        "Starts campaigns on their start date, completes them after their end date.",
    ),
    Entry(
        "Enforce budgets",
        "budget.enforce_budgets",
        EVERY_FIVE_MINUTES,
        600,
        "Safety net: brings budget holds in line with counters and budgets.",
    ),
    Entry(
        "Check pacing",
        "budget.check_pacing",
        EVERY_FIFTEEN_MINUTES,
        1800,
        "Queues an alert for each campaign or brand over or under its pace (CheckPacing).",
    ),
    Entry(
        "Deliver budget alerts",
        "budget.deliver_alerts",
        EVERY_MINUTE,
        120,
        "Sends the queued 80 % and 100 % budget alerts (also queued right after spend).",
    ),
)


def ensure_default_schedules(
    periodic_task: Any, crontab_schedule: Any, periodic_tasks: Any
) -> list[str]:
    """Create the default entries that do not exist yet (matched by name); return their
    names. Takes django-celery-beat's PeriodicTask, CrontabSchedule and PeriodicTasks models
    (the real ones, or a migration's historical ones)."""
    created = []
    for entry in DEFAULT_SCHEDULES:
        if periodic_task.objects.filter(name=entry.name).exists():
            continue
        crontab, _ = crontab_schedule.objects.get_or_create(
            minute=entry.minute,
            hour="*",
            day_of_week="*",
            day_of_month="*",
            month_of_year="*",
            timezone="UTC",
        )
        periodic_task.objects.create(
            name=entry.name,
            task=entry.task,
            crontab=crontab,
            kwargs=json.dumps({}),
            expire_seconds=entry.expire_seconds,
            description=entry.description,
        )
        created.append(entry.name)
    if created:
        # What a running beat watches to notice that its schedule changed.
        periodic_tasks.objects.update_or_create(
            ident=1, defaults={"last_update": datetime.now(UTC)}
        )
    return created
