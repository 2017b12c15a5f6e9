"""`manage.py task_counts [--json]`"""

from __future__ import annotations

import json
import os
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from entrypoints.task_metrics import LOST, OUTCOMES, SPEND_TASK, read_counts

COLUMNS = ("accepted", *OUTCOMES, "unfinished")


class Command(BaseCommand):
    help = (
        "Show, per Celery task, how many messages the workers of this machine took and how "
        "each delivery ended (succeeded, retried, requeued, bad_input, failed, "
        "internal_error, revoked, ignored); `unfinished` is what is running or waiting for "
        "its retry countdown, plus deliveries cut short by a killed worker (delivered again). "
        "Counts add up since the metrics folder (PROMETHEUS_MULTIPROC_DIR, shared with the "
        "workers) was last emptied. Exits with status 1 when a spend batch failed or hit an "
        "internal error: spend that will not reach the ledger (the worker log names the task)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", help="Print one JSON object.")

    def handle(self, *args: Any, **options: Any) -> None:
        folder = str(settings.PROMETHEUS_MULTIPROC_DIR)
        if not os.path.isdir(folder):
            raise CommandError(
                "PROMETHEUS_MULTIPROC_DIR: task counts are kept in the metrics folder the "
                f"workers write to, and {folder!r} is not one; run this on a worker's "
                "machine with the workers' settings"
            )
        counts = read_counts(folder)
        for row in counts.values():
            row["unfinished"] = row["accepted"] - sum(row[o] for o in OUTCOMES)
        lost = sum(counts.get(SPEND_TASK, {}).get(o, 0) for o in LOST)
        if options["json"]:
            self.stdout.write(json.dumps({"tasks": counts, "lost_spend_batches": lost}))
        else:
            self._table(counts)
        if lost:
            raise CommandError(
                f"{lost} spend batches failed or hit an internal error and will not be "
                f"recorded: look for 'Lost spend' in the worker logs"
            )

    def _table(self, counts: dict[str, dict[str, int]]) -> None:
        width = max([len("task"), *(len(task) for task in counts)])
        self.stdout.write("  ".join(["task".ljust(width), *COLUMNS]))
        for task in sorted(counts):
            cells = [str(counts[task][c]).rjust(len(c)) for c in COLUMNS]
            self.stdout.write("  ".join([task.ljust(width), *cells]))
        if not counts:
            self.stdout.write("(no task taken by a worker yet)")
