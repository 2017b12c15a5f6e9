"""Entities and value objects of the budget domain."""

from core.entities.alerts import Alert, AlertKey, AlertKind, Subject
from core.entities.audit import SYSTEM, AuditEntry, CampaignId, Cause
from core.entities.brand import Brand, BrandId
from core.entities.budget import (
    Band,
    BudgetUse,
    Counter,
    Hold,
    Period,
    State,
    Status,
    derive_status,
)
from core.entities.campaign import Campaign, Refresh, compute_holds
from core.entities.errors import Conflict, DomainError, FieldError, InvalidInput, NotFound
from core.entities.history import DaySpend
from core.entities.money import Money
from core.entities.pacing import PaceBand, Pacing, PeriodPlan
from core.entities.schedule import Window
from core.entities.spend import EventResult, LedgerEntry, Outcome, SpendEvent
from core.entities.sweeps import EVERY, Shard, Sweep

__all__ = [
    "EVERY",
    "SYSTEM",
    "Alert",
    "AlertKey",
    "AlertKind",
    "AuditEntry",
    "Band",
    "Brand",
    "BrandId",
    "BudgetUse",
    "Campaign",
    "CampaignId",
    "Cause",
    "Conflict",
    "Counter",
    "DaySpend",
    "DomainError",
    "EventResult",
    "FieldError",
    "Hold",
    "InvalidInput",
    "LedgerEntry",
    "Money",
    "NotFound",
    "Outcome",
    "PaceBand",
    "Pacing",
    "Period",
    "PeriodPlan",
    "Refresh",
    "Shard",
    "SpendEvent",
    "State",
    "Status",
    "Subject",
    "Sweep",
    "Window",
    "compute_holds",
    "derive_status",
]
