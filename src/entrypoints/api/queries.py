"""The read side of the API: rows loaded straight from the Django models, turned into
entities by the adapter's mappers, so that current-period spend is computed by the core's
own rules (a counter of an earlier period than now reads as 0). Reads decide nothing: the
status and holds shown are the ones the last use case stored."""

from __future__ import annotations

from collections import Counter as Tally
from datetime import datetime
from decimal import Decimal

from django.db.models import QuerySet

from adapters.django_orm import models
from adapters.django_orm.mappers import brand_to_domain, campaign_to_domain
from core.entities import (
    Brand,
    BrandId,
    BudgetUse,
    Campaign,
    CampaignId,
    Money,
    NotFound,
    Period,
    Status,
)
from entrypoints.api.schemas import (
    BrandOut,
    BrandPage,
    CampaignOut,
    CampaignPage,
    CampaignSpendLine,
    SpendReport,
    WindowOut,
)
from entrypoints.api.schemas import (
    BudgetUse as BudgetUseOut,
)

_HUNDREDTH = Decimal("0.01")


def _money(value: Money | None) -> str | None:
    return None if value is None else str(value)


def brand_out(brand: Brand, now: datetime) -> BrandOut:
    return BrandOut(
        id=brand.id,
        name=brand.name,
        timezone=brand.timezone,
        currency=brand.currency,
        is_active=brand.is_active,
        daily_budget=_money(brand.daily_budget),
        monthly_budget=_money(brand.monthly_budget),
        daily_spend=str(brand.spend(Period.DAY, now)),
        monthly_spend=str(brand.spend(Period.MONTH, now)),
    )


def campaign_out(campaign: Campaign, brand: Brand, now: datetime) -> CampaignOut:
    tz = brand.timezone
    return CampaignOut(
        id=campaign.id,
        brand_id=campaign.brand_id,
        name=campaign.name,
        state=campaign.state,
        status=campaign.status,
        holds=sorted(campaign.holds),
        daily_budget=str(campaign.daily_budget),
        monthly_budget=str(campaign.monthly_budget),
        daily_spend=str(campaign.spend(Period.DAY, now, tz)),
        monthly_spend=str(campaign.spend(Period.MONTH, now, tz)),
        start_date=campaign.start_date,
        end_date=campaign.end_date,
        windows=[
            WindowOut(
                day_of_week=w.day_of_week,
                start_time=f"{w.start:%H:%M}",
                end_time=f"{w.end:%H:%M}",
            )
            for w in campaign.windows
        ],
    )


def _campaign_rows() -> QuerySet[models.Campaign]:
    # Windows come with the row (its copy of them); no query into the window table.
    return models.Campaign.objects.select_related("brand")


def _entities(row: models.Campaign) -> tuple[Campaign, Brand]:
    return campaign_to_domain(row), brand_to_domain(row.brand)


def get_brand(brand_id: int, now: datetime) -> BrandOut:
    """Raises NotFound (`brand_id`)."""
    row = models.Brand.objects.filter(pk=brand_id).first()
    if row is None:
        raise NotFound.on("brand_id", f"brand {brand_id} does not exist")
    return brand_out(brand_to_domain(row), now)


def list_brands(now: datetime, limit: int = 100, offset: int = 0) -> BrandPage:
    """Brands by name."""
    rows = models.Brand.objects.order_by("name")
    items = [brand_out(brand_to_domain(row), now) for row in rows[offset : offset + limit]]
    return BrandPage(items=items, count=rows.count(), limit=limit, offset=offset)


def get_campaign(campaign_id: int, now: datetime) -> CampaignOut:
    """Raises NotFound (`campaign_id`)."""
    row = _campaign_rows().filter(pk=campaign_id).first()
    if row is None:
        raise NotFound.on("campaign_id", f"campaign {campaign_id} does not exist")
    campaign, brand = _entities(row)
    return campaign_out(campaign, brand, now)


def list_campaigns(
    now: datetime,
    brand_id: int | None = None,
    status: Status | None = None,
    limit: int = 100,
    offset: int = 0,
) -> CampaignPage:
    """Campaigns in id order, optionally of one brand and/or with one status."""
    rows = _campaign_rows().order_by("id")
    if brand_id is not None:
        rows = rows.filter(brand_id=brand_id)
    if status is not None:
        rows = rows.filter(status=status.value)
    items = [campaign_out(*_entities(row), now) for row in rows[offset : offset + limit]]
    return CampaignPage(items=items, count=rows.count(), limit=limit, offset=offset)


def _use(use: BudgetUse) -> BudgetUseOut:
    if use.budget is None or use.remaining is None or use.percent is None:
        return BudgetUseOut(spend=str(use.spend), budget=None, remaining=None, percent=None)
    return BudgetUseOut(
        spend=str(use.spend),
        budget=str(use.budget),
        remaining=str(use.remaining),
        percent=f"{use.percent.quantize(_HUNDREDTH):f}",
    )


def spend_report(brand_id: int, now: datetime) -> SpendReport:
    """Today's and this month's spend of a brand and each of its campaigns against their
    budgets, in the brand's own day and month. Raises NotFound (`brand_id`)."""
    row = models.Brand.objects.filter(pk=brand_id).first()
    if row is None:
        raise NotFound.on("brand_id", f"brand {brand_id} does not exist")
    brand = brand_to_domain(row)
    tz = brand.timezone
    lines = []
    statuses: Tally[str] = Tally()
    for campaign_row in _campaign_rows().filter(brand_id=BrandId(brand.id)).order_by("id"):
        campaign = campaign_to_domain(campaign_row)
        statuses[campaign.status.value] += 1
        lines.append(
            CampaignSpendLine(
                id=CampaignId(campaign.id),
                name=campaign.name,
                state=campaign.state,
                status=campaign.status,
                holds=sorted(campaign.holds),
                today=_use(campaign.use(Period.DAY, now, tz)),
                this_month=_use(campaign.use(Period.MONTH, now, tz)),
            )
        )
    return SpendReport(
        brand=brand_out(brand, now),
        as_of=now,
        day=Period.DAY.containing(now, tz),
        month=f"{Period.MONTH.containing(now, tz):%Y-%m}",
        today=_use(brand.use(Period.DAY, now)),
        this_month=_use(brand.use(Period.MONTH, now)),
        statuses={s.value: statuses[s.value] for s in Status},
        campaigns=lines,
    )
