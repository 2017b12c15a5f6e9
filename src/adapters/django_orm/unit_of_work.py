"""The unit of work on Django: one durable transaction that rolls back unless committed."""

from __future__ import annotations

from types import TracebackType
from typing import Self

from django.db import DEFAULT_DB_ALIAS, transaction

from adapters.django_orm.repositories import (
    DjangoAlertOutbox,
    DjangoAuditLog,
    DjangoBrandRepository,
    DjangoCampaignRepository,
    DjangoSpendHistory,
    DjangoSpendLedger,
)
from core.ports import (
    AlertOutbox,
    AuditLog,
    BrandRepository,
    CampaignRepository,
    SpendHistory,
    SpendLedger,
    UnitOfWork,
    UnitOfWorkFactory,
)


class DjangoUnitOfWork:
    """`with DjangoUnitOfWork() as uow: ...; uow.commit()`.

    Entering opens `transaction.atomic(durable=True)`: it must be the outermost transaction,
    so what a use case commits is really committed when the block ends (a unit of work
    inside another one is a programming error and raises RuntimeError). Leaving the block
    commits only if `commit()` was called and no exception escaped; otherwise everything
    written inside is rolled back. The class itself is the factory the use cases take."""

    def __init__(self, using: str = DEFAULT_DB_ALIAS) -> None:
        self._using = using
        self._atomic: transaction.Atomic | None = None
        self._committed = False
        self._repositories()

    def _repositories(self) -> None:
        # Fresh for every transaction: a repository remembers what it read in one.
        using = self._using
        self.brands: BrandRepository = DjangoBrandRepository(using)
        self.campaigns: CampaignRepository = DjangoCampaignRepository(using)
        self.ledger: SpendLedger = DjangoSpendLedger(using)
        self.audit: AuditLog = DjangoAuditLog(using)
        self.alerts: AlertOutbox = DjangoAlertOutbox(using)
        self.history: SpendHistory = DjangoSpendHistory(using)

    def __enter__(self) -> Self:
        if self._atomic is not None:
            raise RuntimeError("a unit of work cannot be entered twice")
        atomic = transaction.atomic(using=self._using, durable=True)
        atomic.__enter__()
        self._atomic = atomic
        self._committed = False
        self._repositories()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        atomic, self._atomic = self._atomic, None
        if atomic is None:
            return
        if exc_type is None and not self._committed:
            transaction.set_rollback(True, using=self._using)
        atomic.__exit__(exc_type, exc, tb)

    def commit(self) -> None:
        """Mark the work to be committed when the block ends."""
        if self._atomic is None:
            raise RuntimeError("commit() outside the unit of work")
        self._committed = True


def unit_of_work_factory(using: str = DEFAULT_DB_ALIAS) -> UnitOfWorkFactory:
    """A factory of units of work on the database `using` (the default one unless told)."""

    def make() -> UnitOfWork:
        return DjangoUnitOfWork(using)

    return make
