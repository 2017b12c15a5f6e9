"""`manage.py reconcile [--repair] [--now INSTANT]`"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.management.base import CommandError, CommandParser

from core.use_cases.reconcile import ReconcileCommand
from entrypoints.container import get_container
from entrypoints.management.commands._periodic import PeriodicCommand


class Command(PeriodicCommand):
    help = (
        "Check that every campaign's and brand's current daily and monthly counter equals the "
        "sum of its spend ledger for that period (Reconcile). Lists each mismatch and exits "
        "with status 1 if there is any. With --repair, sets the mismatching counters to the "
        "ledger's sums and recomputes the campaigns' holds (each status change audited)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "--repair",
            action="store_true",
            help="Set mismatching counters to the ledger's sums and recompute holds.",
        )

    def run(self, now: datetime, options: dict[str, Any]) -> list[str]:
        repair = bool(options["repair"])
        result = get_container().reconcile()(ReconcileCommand(now=now, repair=repair))
        lines = [
            f"Reconcile as of {now.isoformat()}: checked {result.checked_campaigns} campaigns "
            f"and {result.checked_brands} brands, {len(result.mismatches)} mismatches"
        ]
        for m in result.mismatches:
            lines.append(
                f"  {m.subject} {m.subject_id} {m.period}: counter {m.counter}, ledger {m.ledger}"
            )
        if result.mismatches and repair:
            lines.append("Repaired: the counters now equal the ledger.")
        elif result.mismatches:
            for line in lines:
                self.stdout.write(line)
            raise CommandError(
                f"{len(result.mismatches)} counters disagree with the ledger; "
                "run `reconcile --repair` to set them from the ledger"
            )
        return lines
