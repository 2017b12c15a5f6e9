"""Recomputing campaigns: the lock order every writer keeps (brands, then campaigns), and
the refresh of a batch of locked campaigns with its bulk save and status audit."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime

from core.entities import SYSTEM, Brand, BrandId, Campaign, CampaignId, Cause, Refresh
from core.ports import UnitOfWork


def lock_for_refresh(
    uow: UnitOfWork, campaign_ids: Collection[CampaignId]
) -> tuple[list[Campaign], dict[BrandId, Brand]]:
    """Lock the campaigns' brands, then the campaigns (the lock order every writer keeps),
    and return both."""
    brands = uow.brands.lock_of_campaigns(campaign_ids)
    campaigns = uow.campaigns.lock(campaign_ids)
    # A campaign whose brand is not locked was added after the brands were taken: it was
    # not among the campaigns asked for when the brands were locked, so it is left out.
    return [c for _, c in sorted(campaigns.items()) if c.brand_id in brands], brands


def refresh_and_save(
    uow: UnitOfWork,
    campaigns: Sequence[Campaign],
    brands: Mapping[BrandId, Brand],
    now: datetime,
    cause: Cause,
    actor: str = SYSTEM,
) -> list[Refresh]:
    """Recompute each campaign, write them back in bulk, and audit every status change."""
    refreshes = [c.refresh(brands[c.brand_id], now, cause, actor) for c in campaigns]
    uow.campaigns.save_many(campaigns)
    audit = [r.audit for r in refreshes if r.audit is not None]
    if audit:
        uow.audit.append(audit)
    return refreshes
