"""Spend history: each campaign's and brand's spend per brand-local day, with the daily
budget in force that day, kept up to date in the spend transaction (reads never sum the
ledger)."""

from __future__ import annotations

from datetime import date

import attrs

from core.entities.money import Money


@attrs.frozen
class DaySpend:
    """The spend of one subject (a campaign or a brand, by id) on one brand-local day, and
    its daily budget that day (None: the brand had no daily budget)."""

    subject_id: int
    day: date
    spend: Money
    budget: Money | None
