"""`manage.py record_spend --campaign ID --amount X --key K [--at T] [--description D]`"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from core.use_cases.record_spend import Outcome, RecordSpendCommand
from entrypoints.container import get_container
from entrypoints.management.commands._common import describe
from entrypoints.metrics import timed_spend

# The event's fields as this command's options are called.
OPTION_OF = {
    "campaign_id": "--campaign",
    "amount": "--amount",
    "key": "--key",
    "occurred_at": "--at",
    "description": "--description",
}


class Command(BaseCommand):
    help = (
        "Record one spend event (RecordSpend): it goes to the ledger and to the campaign's "
        "and brand's counters, and holds the campaign at once if a budget is now exhausted. "
        "The key makes it idempotent: the same key with the same amount and time again is "
        "a duplicate and changes nothing; with a different amount or time it is refused."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--campaign", required=True, metavar="ID", help="Campaign id.")
        parser.add_argument(
            "--amount",
            required=True,
            metavar="X",
            help="Amount in the brand's currency, > 0, up to 6 decimal places (e.g. 12.50).",
        )
        parser.add_argument(
            "--key",
            required=True,
            metavar="K",
            help="Idempotency key, unique per campaign (e.g. the platform's report id).",
        )
        parser.add_argument(
            "--at",
            metavar="ISO-8601-INSTANT",
            help="When the spend happened, with a UTC offset; default now. Not in the future.",
        )
        parser.add_argument("--description", metavar="D", default=None, help="Free text.")

    def handle(self, *args: Any, **options: Any) -> None:
        event = {
            "campaign_id": options["campaign"],
            "amount": options["amount"],
            "key": options["key"],
            "occurred_at": options["at"],
            "description": options["description"],
        }
        command = RecordSpendCommand(events=[event])
        result = timed_spend("command", get_container().record_spend(), command)
        outcome = result.results[0]
        if outcome.outcome is Outcome.REJECTED:
            raise CommandError(describe(outcome.errors, OPTION_OF) + " (nothing was recorded)")
        if outcome.outcome is Outcome.DUPLICATE:
            self.stdout.write(
                f"Duplicate: key '{outcome.key}' was already recorded for campaign "
                f"{options['campaign']} with the same amount and time; nothing changed."
            )
            return
        self.stdout.write(
            f"Recorded {options['amount']} for campaign {options['campaign']} "
            f"(key '{outcome.key}'); campaigns held: {result.held}, alerts queued: "
            f"{result.alerts}."
        )
