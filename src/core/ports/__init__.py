"""Ports: the small interfaces the use cases need from the outside world."""

from core.ports.repositories import (
    AlertOutbox,
    AuditLog,
    BrandRepository,
    CampaignRepository,
    SpendHistory,
    SpendLedger,
)
from core.ports.services import AlertNotifier, Clock, Runner
from core.ports.unit_of_work import UnitOfWork, UnitOfWorkFactory

__all__ = [
    "AlertNotifier",
    "AlertOutbox",
    "AuditLog",
    "BrandRepository",
    "CampaignRepository",
    "Clock",
    "Runner",
    "SpendHistory",
    "SpendLedger",
    "UnitOfWork",
    "UnitOfWorkFactory",
]
