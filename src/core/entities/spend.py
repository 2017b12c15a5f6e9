"""Spend events as reported by ad platforms, the ledger entries they become, and what became
of each event."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from datetime import datetime

import attrs

from core.entities.audit import CampaignId
from core.entities.errors import (
    Collector,
    Conflict,
    DomainError,
    FieldError,
    InvalidInput,
    NotFound,
    check_text,
    parse_id,
)
from core.entities.money import Money
from core.entities.time import parse_instant

KEY_MAX = 200
DESCRIPTION_MAX = 500


class Outcome(enum.StrEnum):
    RECORDED = "recorded"
    DUPLICATE = "duplicate"
    REJECTED = "rejected"


@attrs.frozen
class EventResult:
    """What became of one spend event: recorded, a duplicate of one recorded before, or
    rejected with the fields at fault."""

    key: str
    outcome: Outcome
    errors: tuple[FieldError, ...] = ()

    @classmethod
    def rejected(cls, key: str, error: DomainError) -> EventResult:
        return cls(key, Outcome.REJECTED, error.errors)


def key_of(raw: object) -> str:
    """The key a raw event gives, as far as it gives one (to name a rejected event)."""
    key = raw.get("key") if isinstance(raw, Mapping) else None
    return key.strip() if isinstance(key, str) else ""


def _parse_campaign_id(value: object, field: str) -> int:
    return parse_id(value, field, "a campaign id")


def _parse_key(value: object, field: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput.on(field, "is required (an idempotency key unique per campaign)")
    if len(value.strip()) > KEY_MAX:
        raise InvalidInput.on(field, f"must be at most {KEY_MAX} characters")
    return check_text(value, field).strip()


def _parse_description(value: object, field: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InvalidInput.on(field, "must be text")
    if len(value) > DESCRIPTION_MAX:
        raise InvalidInput.on(field, f"must be at most {DESCRIPTION_MAX} characters")
    return check_text(value, field)


@attrs.frozen
class SpendEvent:
    """One validated spend report."""

    campaign_id: CampaignId
    amount: Money
    key: str
    occurred_at: datetime
    description: str = ""
    # False when the report gave no time and `occurred_at` is when it arrived: a retry of it
    # arrives later but states no other time, so its key and amount alone identify it.
    time_given: bool = True

    @classmethod
    def parse(
        cls,
        *,
        campaign_id: object,
        amount: object,
        key: object,
        occurred_at: object = None,
        description: object = None,
        now: datetime,
    ) -> SpendEvent:
        """Validate raw input; `occurred_at` defaults to `now` and may not lie after it.
        Raises InvalidInput listing every bad field."""
        errors = Collector()
        campaign = errors.take(_parse_campaign_id, campaign_id, "campaign_id", 0)
        money = errors.take(Money.parse, amount, "amount", Money.zero())
        text_key = errors.take(_parse_key, key, "key", "")
        given = occurred_at is not None and occurred_at != ""
        when = errors.take(parse_instant, occurred_at, "occurred_at", now) if given else now
        if when > now:
            errors.add("occurred_at", "is in the future")
        text = errors.take(_parse_description, description, "description", "")
        errors.raise_if_any()
        return cls(CampaignId(campaign), money, text_key, when, text, time_given=given)

    @classmethod
    def judge(cls, raw: object, now: datetime) -> SpendEvent | EventResult:
        """The event a raw mapping (`campaign_id`, `amount`, `key`, optionally
        `occurred_at` and `description`) gives, or its rejection naming every bad field."""
        if not isinstance(raw, Mapping):
            return EventResult.rejected("", InvalidInput.on("event", "must be an object"))
        try:
            return cls.parse(
                campaign_id=raw.get("campaign_id"),
                amount=raw.get("amount"),
                key=raw.get("key"),
                occurred_at=raw.get("occurred_at"),
                description=raw.get("description"),
                now=now,
            )
        except InvalidInput as error:
            return EventResult.rejected(key_of(raw), error)

    @property
    def slot(self) -> tuple[CampaignId, str]:
        """Where the ledger keeps the event: one entry per campaign and key."""
        return self.campaign_id, self.key

    def same_as(self, entry: LedgerEntry) -> bool:
        """A retry of an already recorded event: same amount and, if the retry gives a time,
        the same instant."""
        return self.amount == entry.amount and (
            not self.time_given or self.occurred_at == entry.occurred_at
        )

    def against(self, recorded: LedgerEntry) -> EventResult:
        """The verdict on an event whose slot the ledger already holds: a retry of that entry
        is a duplicate; another amount or instant under the same key is a conflict."""
        if self.same_as(recorded):
            return EventResult(self.key, Outcome.DUPLICATE)
        return EventResult.rejected(
            self.key,
            Conflict.on(
                "key",
                f"'{self.key}' was already recorded for campaign {self.campaign_id} "
                f"with amount {recorded.amount} at {recorded.occurred_at.isoformat()}",
            ),
        )

    def unknown_campaign(self) -> EventResult:
        return EventResult.rejected(
            self.key,
            NotFound.on("campaign_id", f"campaign {self.campaign_id} does not exist"),
        )

    def entry(self, recorded_at: datetime, actor: str) -> LedgerEntry:
        """The ledger entry this event becomes when accepted."""
        return LedgerEntry(
            self.campaign_id,
            self.key,
            self.amount,
            self.occurred_at,
            recorded_at,
            self.description,
            actor,
        )


@attrs.frozen
class LedgerEntry:
    campaign_id: CampaignId
    key: str
    amount: Money
    occurred_at: datetime
    recorded_at: datetime
    description: str = ""
    actor: str = "system"
