"""`manage.py import_spend FILE.csv [--batch-size N]`"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from core.use_cases.record_spend import MAX_BATCH, Outcome, RecordSpendCommand
from entrypoints.container import get_container
from entrypoints.management.commands._common import ProgressStream, describe
from entrypoints.metrics import observe_spend, timed_spend

REQUIRED = ("campaign_id", "amount", "key")
OPTIONAL = ("occurred_at", "description")


class Row:
    """One data row: its number (1 = the first row after the header), its line in the file,
    and the event it describes, or why it cannot be one."""

    def __init__(self, number: int, line: int, event: dict[str, object], problem: str) -> None:
        self.number = number
        self.line = line
        self.event = event
        self.problem = problem

    def where(self) -> str:
        return f"row {self.number} (line {self.line})"


class Command(BaseCommand):
    help = (
        "Record spend events from a CSV file with a header row and the columns "
        "campaign_id,amount,key,occurred_at,description (occurred_at: ISO-8601 with a UTC "
        "offset, empty for now; description optional). Rows go through RecordSpend in "
        "batches: each row is recorded, a duplicate (same key, amount and time as before), or "
        "rejected with its row number and field. A rejected row never blocks the others; the "
        "command exits with status 1 if any row was rejected. Re-importing a file is safe: "
        "rows already recorded come back as duplicates."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", metavar="FILE.csv", help="The CSV file to import.")
        parser.add_argument(
            "--batch-size",
            type=int,
            default=1000,
            metavar="N",
            help=f"Events per transaction (1-{MAX_BATCH}; default 1000).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        batch_size: int = options["batch_size"]
        if not 1 <= batch_size <= MAX_BATCH:
            raise CommandError(f"--batch-size: must be between 1 and {MAX_BATCH}")
        if not path.is_file():
            raise CommandError(f"FILE.csv: {path} is not a readable file")
        total = _count_lines(path)
        recorded = duplicates = rejected = held = alerts = rows = 0
        record = get_container().record_spend()
        with (
            path.open(newline="", encoding="utf-8-sig") as handle,
            tqdm(
                total=max(total - 1, 0),
                unit="row",
                desc="import_spend",
                file=ProgressStream(self.stderr),
                disable=None,
            ) as bar,
        ):
            for batch in _batches(_rows(handle), batch_size):
                rows += len(batch)
                problems = {row.number: row.problem for row in batch if row.problem}
                good = [row for row in batch if not row.problem]
                if not good:
                    observe_spend("command", None, 0, 0, len(problems))
                else:
                    command = RecordSpendCommand(events=[row.event for row in good])
                    result = timed_spend("command", record, command, refused=len(problems))
                    held += result.held
                    alerts += result.alerts
                    for row, outcome in zip(good, result.results, strict=True):
                        if outcome.outcome is Outcome.RECORDED:
                            recorded += 1
                        elif outcome.outcome is Outcome.DUPLICATE:
                            duplicates += 1
                        else:
                            problems[row.number] = describe(outcome.errors)
                rejected += len(problems)
                for row in batch:
                    if row.number in problems:
                        self.stderr.write(f"{row.where()}: {problems[row.number]}")
                bar.update(len(batch))
        self.stdout.write(
            f"Imported {path.name}: {rows} rows, recorded {recorded}, duplicate {duplicates}, "
            f"rejected {rejected}; campaigns held {held}, alerts queued {alerts}"
        )
        if rejected:
            raise CommandError(
                f"{rejected} of {rows} rows were rejected (listed above); "
                "every other row was recorded"
            )


def _count_lines(path: Path) -> int:
    with path.open("rb") as handle:
        return sum(1 for _ in handle)


def _rows(handle: Any) -> Iterator[Row]:
    reader = csv.DictReader(handle, restval="", restkey="\0extra")
    columns = reader.fieldnames
    if not columns:
        raise CommandError(
            "FILE.csv: the file is empty; the first line must be the header "
            + ",".join(REQUIRED + OPTIONAL)
        )
    present = {c.strip() for c in columns}
    missing = [c for c in REQUIRED if c not in present]
    if missing:
        raise CommandError(
            f"FILE.csv: the header lacks the column(s) {', '.join(missing)}; expected "
            + ",".join(REQUIRED + OPTIONAL)
        )
    for number, raw in enumerate(reader, start=1):
        values = {(k or "").strip(): v for k, v in raw.items()}
        problem = ""
        if "\0extra" in values:
            problem = f"has more fields than the header's {len(columns)}"
        # An id or an amount goes to the core as written, spaces included (RFC 4180: they
        # are part of the field): the core alone says what those may look like.
        event: dict[str, object] = {c: values.get(c) or "" for c in ("campaign_id", "amount")}
        event["key"] = (values.get("key") or "").strip()
        for column in OPTIONAL:
            value = values.get(column)
            event[column] = value.strip() if isinstance(value, str) and value.strip() else None
        # The line the row ends on: the row's own line unless a quoted field spans lines.
        yield Row(number, reader.line_num, event, problem)


def _batches(rows: Iterator[Row], size: int) -> Iterator[list[Row]]:
    batch: list[Row] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch
