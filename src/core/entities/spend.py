"""Spend events as reported by ad platforms, and the ledger entries they become."""

from __future__ import annotations

from datetime import datetime

import attrs

from core.entities.audit import CampaignId
from core.entities.errors import Collector, InvalidInput, check_text, parse_id
from core.entities.money import Money
from core.entities.time import parse_instant

KEY_MAX = 200
DESCRIPTION_MAX = 500


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
        campaign = 0
        try:
            campaign = parse_id(campaign_id, "campaign_id", "a campaign id")
        except InvalidInput as error:
            errors.absorb(error)
        money = Money.zero()
        try:
            money = Money.parse(amount, "amount")
        except InvalidInput as error:
            errors.absorb(error)
        text_key = ""
        if not isinstance(key, str) or not key.strip():
            errors.add("key", "is required (an idempotency key unique per campaign)")
        elif len(key.strip()) > KEY_MAX:
            errors.add("key", f"must be at most {KEY_MAX} characters")
        else:
            try:
                text_key = check_text(key, "key").strip()
            except InvalidInput as error:
                errors.absorb(error)
        when = now
        if occurred_at is not None and occurred_at != "":
            try:
                when = parse_instant(occurred_at, "occurred_at")
            except InvalidInput as error:
                errors.absorb(error)
            else:
                if when > now:
                    errors.add("occurred_at", "is in the future")
        text = ""
        if description is not None:
            if not isinstance(description, str):
                errors.add("description", "must be text")
            elif len(description) > DESCRIPTION_MAX:
                errors.add("description", f"must be at most {DESCRIPTION_MAX} characters")
            else:
                try:
                    text = check_text(description, "description")
                except InvalidInput as error:
                    errors.absorb(error)
        errors.raise_if_any()
        given = occurred_at is not None and occurred_at != ""
        return cls(CampaignId(campaign), money, text_key, when, text, time_given=given)

    def same_as(self, entry: LedgerEntry) -> bool:
        """A retry of an already recorded event: same amount and, if the retry gives a time,
        the same instant."""
        return self.amount == entry.amount and (
            not self.time_given or self.occurred_at == entry.occurred_at
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
