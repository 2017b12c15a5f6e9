"""Rebuilding the spend history (the campaign-day and brand-day tables) from the ledger: the
data migration that first fills them and the `rebuild_spend_history` command both call
`rebuild_history`, with the migration's historical models or the live ones.

Each brand is rebuilt on its own, under its row lock (the lock every spend batch takes
first), so no batch adds to a row between its deletion and its fresh insert."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterator
from datetime import date
from decimal import Decimal
from typing import Any, NamedTuple

from django.apps.registry import Apps
from django.db import transaction
from django.db.models import Exists, OuterRef

from core.entities.time import local_date

# Ledger rows fetched per round trip while grouping, and rows per bulk insert.
READ_CHUNK = 5000
WRITE_CHUNK = 1000
# Days whose campaign rows one statement deletes.
DELETE_DAYS = 31


class Rebuilt(NamedTuple):
    """What one brand's rebuild wrote."""

    brand_id: int
    brand_name: str
    campaign_days: int
    brand_days: int
    spend: Decimal


def rebuild_history(
    apps: Apps, using: str, brand_ids: Collection[int] | None = None
) -> Iterator[Rebuilt]:
    """Recompute the history rows of every brand (or of `brand_ids`), in id order, from the
    ledger: each campaign's entries grouped by its brand's local day, each brand's day the
    sum of its campaigns'. The budget of every row is the campaign's (brand's) current
    daily budget: the ledger does not say what it was on earlier days. The old rows of a
    brand are replaced, so running it again writes the same rows; last, a campaign row on a
    day its brand has none (which no spend batch writes) is deleted. Yields each brand's
    figures once its transaction has committed (or, inside an outer transaction such as
    a migration's, once its savepoint is released)."""
    brands = apps.get_model("budget", "Brand").objects.using(using).order_by("pk")
    if brand_ids is not None:
        brands = brands.filter(pk__in=list(brand_ids))
    for brand_id in list(brands.values_list("pk", flat=True)):
        with transaction.atomic(using=using):
            brand = brands.select_for_update().filter(pk=brand_id).first()
            if brand is not None:
                yield _rebuild_brand(apps, using, brand)
    _delete_strays(apps, using, brand_ids)


def _delete_strays(apps: Apps, using: str, brand_ids: Collection[int] | None) -> None:
    """Delete the campaign rows without a row of their brand on their day: one pass over the
    table (a spend batch commits both rows together, so none of its rows is a stray)."""
    brand_day = apps.get_model("budget", "BrandDay").objects.using(using)
    of_brand = brand_day.filter(brand_id=OuterRef("campaign__brand_id"), day=OuterRef("day"))
    strays = apps.get_model("budget", "CampaignDay").objects.using(using)
    if brand_ids is not None:
        strays = strays.filter(campaign__brand_id__in=list(brand_ids))
    strays.exclude(Exists(of_brand)).delete()


def _rebuild_brand(apps: Apps, using: str, brand: Any) -> Rebuilt:
    campaign_model = apps.get_model("budget", "Campaign")
    ledger_model = apps.get_model("budget", "SpendEntry")
    campaign_day = apps.get_model("budget", "CampaignDay")
    brand_day = apps.get_model("budget", "BrandDay")
    budgets: dict[int, Decimal] = dict(
        campaign_model.objects.using(using)
        .filter(brand_id=brand.pk)
        .values_list("pk", "daily_budget")
    )
    days = _campaign_days(
        ledger_model.objects.using(using).filter(campaign__brand_id=brand.pk), brand.timezone
    )
    brand_days: dict[date, Decimal] = defaultdict(Decimal)
    for (_, day), spend in days.items():
        brand_days[day] += spend
    # A campaign has a row only on a day its brand has one (a spend batch writes both), so
    # the brand's days name the campaigns' rows to replace: one probe of the (day, campaign)
    # index per day and campaign. A brand without any (as when the migration first fills
    # the tables) has nothing to delete.
    stored = brand_day.objects.using(using).filter(brand_id=brand.pk)
    for chunk in _chunks(list(stored.values_list("day", flat=True)), DELETE_DAYS):
        rows = campaign_day.objects.using(using).filter(day__in=chunk, campaign_id__in=budgets)
        rows.delete()
    stored.delete()
    campaign_day.objects.using(using).bulk_create(
        (
            campaign_day(campaign_id=campaign_id, day=day, spend=spend, budget=budgets[campaign_id])
            for (campaign_id, day), spend in sorted(days.items())
        ),
        batch_size=WRITE_CHUNK,
    )
    brand_day.objects.using(using).bulk_create(
        (
            brand_day(brand_id=brand.pk, day=day, spend=spend, budget=brand.daily_budget)
            for day, spend in sorted(brand_days.items())
        ),
        batch_size=WRITE_CHUNK,
    )
    return Rebuilt(brand.pk, brand.name, len(days), len(brand_days), sum(days.values(), Decimal(0)))


def _chunks(items: list[date], size: int) -> Iterator[list[date]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _campaign_days(ledger: Any, timezone: str) -> dict[tuple[int, date], Decimal]:
    """The `ledger` entries added up per (campaign, brand-local day), read in chunks so a
    long ledger never sits in memory at once."""
    days: dict[tuple[int, date], Decimal] = defaultdict(Decimal)
    entries = ledger.order_by().values_list("campaign_id", "occurred_at", "amount")
    for campaign_id, occurred_at, amount in entries.iterator(chunk_size=READ_CHUNK):
        days[(campaign_id, local_date(occurred_at, timezone))] += amount
    return days
