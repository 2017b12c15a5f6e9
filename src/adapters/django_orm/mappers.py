"""Rows to entities and back. `*_to_domain` builds a fresh entity from a row; `*_fields`
gives the column values of an entity, for inserts and updates."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from datetime import date, time
from decimal import Decimal
from typing import Any

from adapters.django_orm import models
from core.entities import (
    Alert,
    AlertKey,
    AuditEntry,
    Brand,
    BrandId,
    Campaign,
    CampaignId,
    Counter,
    DaySpend,
    Hold,
    LedgerEntry,
    Money,
    Period,
    State,
    Status,
    Subject,
    Window,
)
from core.entities.alerts import AlertKind

# -- values ----------------------------------------------------------------------------------


def money(value: Decimal) -> Money:
    # A money column's value is exact and already has the column's six places, so it
    # needs no quantizing (a sweep chunk or spend batch reads thousands of them).
    return Money(value)


def optional_money(value: Decimal | None) -> Money | None:
    return None if value is None else Money(value)


def counter(period: date | None, spend: Decimal) -> Counter:
    if period is None:
        return Counter.never()
    return Counter(period, Money(spend))


def counter_columns(value: Counter) -> tuple[date | None, Decimal]:
    """(period, spend) columns; a counter that never counted has no period."""
    if value.period == date.min:
        return None, value.spend.amount
    return value.period, value.spend.amount


@functools.lru_cache(maxsize=512)
def holds_from(text: str) -> frozenset[Hold]:
    # Cached: a few dozen distinct sets of holds cover every campaign.
    return frozenset(Hold(name) for name in models.holds_names(text))


def holds_to(holds: Iterable[Hold]) -> str:
    if isinstance(holds, frozenset):
        return _holds_text(holds)
    return models.holds_text(h.value for h in holds)


@functools.lru_cache(maxsize=512)
def _holds_text(holds: frozenset[Hold]) -> str:
    return models.holds_text(h.value for h in holds)


# -- brand -----------------------------------------------------------------------------------


def brand_to_domain(row: models.Brand) -> Brand:
    return brand_from_values({name: getattr(row, name) for name in BRAND_READ_COLUMNS})


# Every column `save` and `save_many` write, and with the id what a bulk read selects.
BRAND_COLUMNS = (
    "name",
    "timezone",
    "currency",
    "is_active",
    "daily_budget",
    "monthly_budget",
    "daily_spend",
    "daily_period",
    "monthly_spend",
    "monthly_period",
    "reset_due_at",
)
BRAND_READ_COLUMNS = ("id", *BRAND_COLUMNS)


def brand_from_values(values: dict[str, Any]) -> Brand:
    """A brand from a row read as plain values (BRAND_READ_COLUMNS)."""
    return Brand(
        id=BrandId(values["id"]),
        name=values["name"],
        timezone=values["timezone"],
        currency=values["currency"],
        is_active=values["is_active"],
        daily_budget=optional_money(values["daily_budget"]),
        monthly_budget=optional_money(values["monthly_budget"]),
        daily=counter(values["daily_period"], values["daily_spend"]),
        monthly=counter(values["monthly_period"], values["monthly_spend"]),
        reset_due_at=values["reset_due_at"],
    )


def brand_fields(brand: Brand) -> dict[str, Any]:
    daily_period, daily_spend = counter_columns(brand.daily)
    monthly_period, monthly_spend = counter_columns(brand.monthly)
    return {
        "name": brand.name,
        "timezone": brand.timezone,
        "currency": brand.currency,
        "is_active": brand.is_active,
        "daily_budget": None if brand.daily_budget is None else brand.daily_budget.amount,
        "monthly_budget": None if brand.monthly_budget is None else brand.monthly_budget.amount,
        "daily_spend": daily_spend,
        "daily_period": daily_period,
        "monthly_spend": monthly_spend,
        "monthly_period": monthly_period,
        "reset_due_at": brand.reset_due_at,
    }


# -- campaign --------------------------------------------------------------------------------


def window_rows(campaign_id: CampaignId, windows: Iterable[Window]) -> list[models.Window]:
    return [
        models.Window(
            campaign_id=campaign_id, day_of_week=w.day_of_week, start_time=w.start, end_time=w.end
        )
        for w in sorted(set(windows))
    ]


def campaign_to_domain(row: models.Campaign) -> Campaign:
    return campaign_from_values({name: getattr(row, name) for name in CAMPAIGN_READ_COLUMNS})


@functools.lru_cache(maxsize=4096)
def windows_from_text(text: str | None) -> tuple[Window, ...]:
    """Windows read as "day start end" items joined by ";" (None or "" for none), in
    Window order. Cached: campaigns share a few schedules, and windows are immutable."""
    if not text:
        return ()
    items = set()
    for item in text.split(";"):
        day, start, end = item.split(" ")
        items.add((int(day), time.fromisoformat(start), time.fromisoformat(end)))
    # Sorted as plain tuples (the same order as Window's), which is much cheaper.
    return tuple(Window(*w) for w in sorted(items))


def windows_to_text(windows: Iterable[Window]) -> str:
    """The stored text of a set of windows (read back by `windows_from_text`)."""
    return ";".join(
        f"{w.day_of_week} {w.start.isoformat()} {w.end.isoformat()}" for w in sorted(set(windows))
    )


# By stored value: a dictionary look-up costs a tenth of calling the enum.
_STATES = {s.value: s for s in State}
_STATUSES = {s.value: s for s in Status}


def campaign_from_values(values: dict[str, Any]) -> Campaign:
    """A campaign from a row read as plain values (CAMPAIGN_READ_COLUMNS)."""
    return Campaign(
        id=CampaignId(values["id"]),
        brand_id=BrandId(values["brand_id"]),
        name=values["name"],
        daily_budget=money(values["daily_budget"]),
        monthly_budget=money(values["monthly_budget"]),
        start_date=values["start_date"],
        end_date=values["end_date"],
        state=_STATES[values["state"]],
        holds=holds_from(values["holds"]),
        status=_STATUSES[values["status"]],
        daily=counter(values["daily_period"], values["daily_spend"]),
        monthly=counter(values["monthly_period"], values["monthly_spend"]),
        windows=windows_from_text(values["windows_text"]),
        reset_due_at=values["reset_due_at"],
        schedule_due_at=values["schedule_due_at"],
        flight_due_at=values["flight_due_at"],
    )


# Every column `save` and `save_many` write (windows are written by replace_windows only).
CAMPAIGN_COLUMNS = (
    "name",
    "daily_budget",
    "monthly_budget",
    "start_date",
    "end_date",
    "state",
    "status",
    "holds",
    "daily_spend",
    "daily_period",
    "monthly_spend",
    "monthly_period",
    "reset_due_at",
    "schedule_due_at",
    "flight_due_at",
)


CAMPAIGN_READ_COLUMNS = ("id", "brand_id", *CAMPAIGN_COLUMNS, "windows_text")


def campaign_fields(campaign: Campaign) -> dict[str, Any]:
    daily_period, daily_spend = counter_columns(campaign.daily)
    monthly_period, monthly_spend = counter_columns(campaign.monthly)
    return {
        "name": campaign.name,
        "daily_budget": campaign.daily_budget.amount,
        "monthly_budget": campaign.monthly_budget.amount,
        "start_date": campaign.start_date,
        "end_date": campaign.end_date,
        "state": campaign.state.value,
        "status": campaign.status.value,
        "holds": holds_to(campaign.holds),
        "daily_spend": daily_spend,
        "daily_period": daily_period,
        "monthly_spend": monthly_spend,
        "monthly_period": monthly_period,
        "reset_due_at": campaign.reset_due_at,
        "schedule_due_at": campaign.schedule_due_at,
        "flight_due_at": campaign.flight_due_at,
    }


def campaign_row(campaign: Campaign) -> models.Campaign:
    """An unsaved row carrying the campaign's id and columns (for inserts and bulk updates)."""
    row = models.Campaign(brand_id=campaign.brand_id, **campaign_fields(campaign))
    if campaign.id:
        row.pk = campaign.id
    return row


# -- ledger, audit, alerts -------------------------------------------------------------------


def ledger_from_values(values: dict[str, Any]) -> LedgerEntry:
    return LedgerEntry(
        campaign_id=CampaignId(values["campaign_id"]),
        key=values["key"],
        amount=money(values["amount"]),
        occurred_at=values["occurred_at"],
        recorded_at=values["recorded_at"],
        description=values["description"],
        actor=values["actor"],
    )


def ledger_fields(entry: LedgerEntry) -> dict[str, Any]:
    return {
        "campaign_id": entry.campaign_id,
        "key": entry.key,
        "amount": entry.amount.amount,
        "occurred_at": entry.occurred_at,
        "recorded_at": entry.recorded_at,
        "description": entry.description,
        "actor": entry.actor,
    }


def audit_fields(entry: AuditEntry) -> dict[str, Any]:
    return {
        "campaign_id": entry.campaign_id,
        "from_status": None if entry.from_status is None else entry.from_status.value,
        "to_status": entry.to_status.value,
        "holds": holds_to(entry.holds),
        "cause": entry.cause.value,
        "actor": entry.actor,
        "at": entry.at,
    }


def alert_key_fields(key: AlertKey) -> dict[str, Any]:
    return {
        "subject": key.subject.value,
        "subject_id": key.subject_id,
        "kind": key.kind.value,
        "period_kind": key.period_kind.value,
        "period": key.period,
        "threshold": key.threshold,
    }


def alert_to_domain(row: models.Alert) -> Alert:
    return Alert(
        key=AlertKey(
            Subject(row.subject),
            row.subject_id,
            Period(row.period_kind),
            row.period,
            row.threshold,
            AlertKind(row.kind),
        ),
        subject_name=row.subject_name,
        spend=money(row.spend),
        budget=money(row.budget),
        currency=row.currency,
        raised_at=row.raised_at,
        id=row.pk,
        delivered_at=row.delivered_at,
        expected=optional_money(row.expected),
    )


def alert_row(alert: Alert) -> models.Alert:
    return models.Alert(
        **alert_key_fields(alert.key),
        subject_name=alert.subject_name,
        spend=alert.spend.amount,
        budget=alert.budget.amount,
        expected=None if alert.expected is None else alert.expected.amount,
        currency=alert.currency,
        raised_at=alert.raised_at,
        delivered_at=alert.delivered_at,
    )


# -- spend history ---------------------------------------------------------------------------

DAY_COLUMNS = ("day", "spend", "budget")


def day_from_values(subject_id: int, values: dict[str, Any]) -> DaySpend:
    return DaySpend(
        subject_id, values["day"], money(values["spend"]), optional_money(values["budget"])
    )


def day_fields(owner: str, row: DaySpend) -> dict[str, Any]:
    """Column values of a history row; `owner` is its foreign key ("campaign", "brand")."""
    return {
        f"{owner}_id": row.subject_id,
        "day": row.day,
        "spend": row.spend.amount,
        "budget": None if row.budget is None else row.budget.amount,
    }
