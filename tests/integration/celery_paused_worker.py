"""The worker for the crash tests: `celery -A tests.integration.celery_paused_worker worker`.

It is the real application, except that each pool process makes RecordSpend stop for a
while (BUDGET_TEST_PAUSE_SECONDS, default 60) at the point named by BUDGET_TEST_PAUSE_AT:

- `ledger`: the batch is written to the ledger, nothing is committed yet;
- `commit`: the batch is committed, the task has not returned (its message is not acked).

On reaching that point it writes its pid to BUDGET_TEST_PAUSE_MARKER, so that a test knows
when to kill the worker.

With BUDGET_TEST_SPEND_RAISES set instead, RecordSpend raises a RuntimeError with that
message for any batch with events: a spend batch that fails for good, as a defect in the
code would make it."""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import django
from celery import signals
from dependency_injector import providers

from entrypoints.celery_app import app

django.setup()  # before the models are imported; the worker would do it a moment later

from adapters.django_orm.unit_of_work import DjangoUnitOfWork  # noqa: E402
from core.entities import CampaignId, LedgerEntry  # noqa: E402
from core.ports import SpendLedger  # noqa: E402
from entrypoints.container import get_container  # noqa: E402

__all__ = ["app"]


def pause() -> None:
    Path(os.environ["BUDGET_TEST_PAUSE_MARKER"]).write_text(str(os.getpid()))
    time.sleep(float(os.environ.get("BUDGET_TEST_PAUSE_SECONDS", "60")))


class PausingLedger:
    def __init__(self, ledger: SpendLedger) -> None:
        self._ledger = ledger

    def add_new(self, entries: Sequence[LedgerEntry]) -> set[tuple[CampaignId, str]]:
        added = self._ledger.add_new(entries)
        pause()
        return added

    def __getattr__(self, name: str) -> Any:
        return getattr(self._ledger, name)


class PausingUnitOfWork(DjangoUnitOfWork):
    def __init__(self) -> None:
        super().__init__()
        self._pause_at = os.environ["BUDGET_TEST_PAUSE_AT"]

    def __enter__(self) -> Self:
        super().__enter__()
        if self._pause_at == "ledger":
            self.ledger = PausingLedger(self.ledger)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        committed = self._committed and exc_type is None
        super().__exit__(exc_type, exc, tb)
        if committed and self._pause_at == "commit":
            pause()


class BrokenRecordSpend:
    """Fails on every batch with events; an empty one still reaches the real use case,
    which refuses it as bad input."""

    def __init__(self, real: Any) -> None:
        self._real = real

    def __call__(self, command: Any) -> Any:
        if command.events:
            raise RuntimeError(os.environ["BUDGET_TEST_SPEND_RAISES"])
        return self._real(command)


@signals.worker_process_init.connect
def pause_record_spend(**kwargs: Any) -> None:
    # Runs after entrypoints.celery_app has built this process's container.
    container = get_container()
    if os.environ.get("BUDGET_TEST_SPEND_RAISES"):
        broken = BrokenRecordSpend(container.record_spend())
        container.record_spend.override(providers.Object(broken))
    if os.environ.get("BUDGET_TEST_PAUSE_AT"):
        container.uow.override(providers.Factory(PausingUnitOfWork))
