"""Ports: the small interfaces the use cases need from the outside world."""

from core.ports.repositories import (
    AlertOutbox,
    AuditLog,
    BrandRepository,
    CampaignRepository,
    SpendLedger,
    Sweep,
)
from core.ports.services import AlertNotifier, Clock
from core.ports.unit_of_work import UnitOfWork, UnitOfWorkFactory

__all__ = [
    "AlertNotifier",
    "AlertOutbox",
    "AuditLog",
    "BrandRepository",
    "CampaignRepository",
    "Clock",
    "SpendLedger",
    "Sweep",
    "UnitOfWork",
    "UnitOfWorkFactory",
]
