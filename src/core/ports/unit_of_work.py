"""The unit of work: one transaction around a use case's reads and writes."""

from __future__ import annotations

from types import TracebackType
from typing import Protocol, Self

from core.ports.repositories import (
    AlertOutbox,
    AuditLog,
    BrandRepository,
    CampaignRepository,
    SpendHistory,
    SpendLedger,
)


class UnitOfWork(Protocol):
    """Used as `with uow_factory() as uow: ...; uow.commit()`. Everything written inside is
    rolled back unless `commit()` was called before the block ends."""

    brands: BrandRepository
    campaigns: CampaignRepository
    ledger: SpendLedger
    audit: AuditLog
    alerts: AlertOutbox
    history: SpendHistory

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    def commit(self) -> None:
        """Make every write of this unit of work permanent."""
        ...


class UnitOfWorkFactory(Protocol):
    def __call__(self) -> UnitOfWork:
        """A fresh unit of work, not yet entered."""
        ...
