"""The audit trail: one entry per change of a campaign's status or of its holds."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import NewType

import attrs

from core.entities.budget import Hold, Status

CampaignId = NewType("CampaignId", int)

SYSTEM = "system"


class Cause(enum.StrEnum):
    CREATED = "created"
    SPEND = "spend"
    BUDGET_CHECK = "budget_check"
    PERIOD_RESET = "period_reset"
    DAYPARTING = "dayparting"
    FLIGHT = "flight"
    LAUNCH = "launch"
    PAUSE = "pause"
    RESUME = "resume"
    EDIT = "edit"
    SCHEDULE = "schedule"
    BRAND_EDIT = "brand_edit"


@attrs.frozen
class AuditEntry:
    campaign_id: CampaignId
    from_status: Status | None
    to_status: Status
    holds: frozenset[Hold]
    cause: Cause
    actor: str
    at: datetime
