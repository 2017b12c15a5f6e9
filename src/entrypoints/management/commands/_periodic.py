"""The base of the periodic commands: run a sweep as of `--now` (replaying an instant, catching
up after an outage) or as of the container's clock, and print what it did.

A subclass names its use case by overriding `sweep`; the base owns the options, so an option
every periodic command shares (such as queueing the run instead of doing it here) is added in
one place."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, ClassVar

from django.core.management.base import BaseCommand, CommandError, CommandParser

from core.use_cases.sweeps import SweepCommand, SweepResult
from entrypoints.container import Container, get_container
from entrypoints.management.commands._common import instant_option
from entrypoints.metrics import timed_sweep

NOW_HELP = (
    "Run as of this past instant (to catch up after an outage or replay a day): ISO-8601 "
    "with a UTC offset, e.g. 2026-03-01T00:00:00+00:00 or ...Z. Default: the service's clock."
)


class PeriodicCommand(BaseCommand):
    """A use case run as of an instant."""

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--now", metavar="ISO-8601-INSTANT", help=NOW_HELP)

    def now(self, options: dict[str, Any]) -> datetime:
        raw: str | None = options.get("now")
        clock_now = get_container().clock().now()
        if raw is None:
            return clock_now
        now = instant_option(raw, "--now")
        if now > clock_now:
            # A sweep ahead of time would start periods that have not begun, and spend
            # arriving meanwhile would miss their counters.
            raise CommandError(
                f"--now: {now.isoformat()} is in the future (the clock reads "
                f"{clock_now.isoformat()}); replay past instants only"
            )
        return now

    def handle(self, *args: Any, **options: Any) -> None:
        now = self.now(options)
        for line in self.run(now, options):
            self.stdout.write(line)

    def run(self, now: datetime, options: dict[str, Any]) -> list[str]:
        """Call the use case once; return the lines to print."""
        raise NotImplementedError


class SweepCommandBase(PeriodicCommand):
    """A periodic command whose use case takes a SweepCommand and returns a SweepResult.

    With `--async` the run is queued as the Celery task that calls the same use case, and
    the task id is printed on the last line; a worker does the work (as of `--now` if given,
    else of its clock when it runs)."""

    #: Printed before the result, e.g. "Budget check".
    title: ClassVar[str]
    #: The Celery task (entrypoints/tasks.py) that runs the same use case.
    task: ClassVar[str]

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "--async",
            dest="queue",
            action="store_true",
            help="Queue the run for a Celery worker and print the task id, instead of "
            "running it here.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not options.get("queue"):
            return super().handle(*args, **options)
        now = options.get("now")
        if now is not None:
            now = self.now(options).isoformat()  # a bad --now is refused here, not later
        from entrypoints import tasks  # noqa: F401  (registers the tasks with the app)
        from entrypoints.celery_app import app

        result = app.tasks[self.task].apply_async(kwargs={"now": now})
        self.stdout.write(f"{self.title} queued as Celery task {self.task}; task id:")
        self.stdout.write(str(result.id))

    def sweep(self, container: Container) -> Callable[[SweepCommand], SweepResult]:
        raise NotImplementedError

    def run(self, now: datetime, options: dict[str, Any]) -> list[str]:
        name = self.task.removeprefix("budget.")  # as the task's sweep is named
        result = timed_sweep(name, self.sweep(get_container()), SweepCommand(now=now))
        return report(self.title, now, result)


def report(title: str, now: datetime, result: SweepResult) -> list[str]:
    lines = [f"{title} as of {now.isoformat()}: {result.summary()}"]
    for label, holds in (
        ("holds added", result.holds_added),
        ("holds removed", result.holds_removed),
    ):
        if holds:
            lines.append(f"  {label}: " + ", ".join(f"{h} {n}" for h, n in holds.items()))
    return lines
