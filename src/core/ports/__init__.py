"""Ports: the small interfaces the use cases need from the outside world."""

from core.ports.repositories import (
    EVERY,
    AlertOutbox,
    AuditLog,
    BrandRepository,
    CampaignRepository,
    Shard,
    SpendLedger,
    Sweep,
)
from core.ports.services import AlertNotifier, Clock, InOrder, Runner
from core.ports.unit_of_work import UnitOfWork, UnitOfWorkFactory

__all__ = [
    "EVERY",
    "AlertNotifier",
    "AlertOutbox",
    "AuditLog",
    "BrandRepository",
    "CampaignRepository",
    "Clock",
    "InOrder",
    "Runner",
    "Shard",
    "SpendLedger",
    "Sweep",
    "UnitOfWork",
    "UnitOfWorkFactory",
]
