"""CheckPacing: alert when a campaign's or a brand's spend runs over or under its pace."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import attrs

from core.entities import (
    Alert,
    Brand,
    BrandId,
    Campaign,
    CampaignId,
    Hold,
    InvalidInput,
    PaceBand,
    State,
    Subject,
    compute_holds,
)
from core.entities.alerts import pacing_alert
from core.entities.budget import BUDGET_HOLDS, PERIODS
from core.entities.time import require_aware
from core.ports import Clock, UnitOfWorkFactory

#: Holds that mean a campaign is not meant to run at all now: pacing says nothing about it.
NOT_RUNNING = frozenset({Hold.NOT_STARTED, Hold.ENDED, Hold.BRAND_INACTIVE})


@attrs.frozen
class CheckPacingCommand:
    """Check pacing as of `now` (a replayed instant), or of the service's clock when None."""

    now: datetime | None = None

    def __attrs_post_init__(self) -> None:
        if self.now is not None:
            require_aware(self.now, "now")


@attrs.frozen
class CheckPacingResult:
    """Campaigns and brands whose pacing was worked out, and the alerts newly queued."""

    checked: int
    alerts: int


class CheckPacing:
    """Work out the day's and the month's pacing of every campaign meant to run (enabled,
    started, not ended, its brand active) and of every active brand with a budget, and queue
    an alert for each that is over or under pace once a quarter of the period's scheduled
    time has gone by. The outbox keeps one alert per (subject, period, band), so running this
    again, however often, adds nothing new. A campaign held by a budget (its own or its
    brand's) cannot spend, so being under pace is no news about it. Raises InvalidInput
    (`now`) when no instant is given and there is no clock."""

    def __init__(
        self, uow: UnitOfWorkFactory, clock: Clock | None = None, chunk_size: int = 1000
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._chunk = chunk_size

    def __call__(self, command: CheckPacingCommand) -> CheckPacingResult:
        now = self._now(command)
        checked = queued = 0
        brands: dict[BrandId, Brand] = {}
        after = CampaignId(0)
        while True:
            with self._uow() as uow:
                page = uow.campaigns.page(after, self._chunk)
                if not page:
                    break
                missing = {c.brand_id for c in page} - brands.keys()
                brands.update(uow.brands.get_many(missing))
                alerts: list[Alert] = []
                for campaign in page:
                    brand = brands.get(campaign.brand_id)
                    if brand is None or campaign.state is not State.ENABLED:
                        continue
                    holds = compute_holds(campaign, brand, now)
                    if holds.isdisjoint(NOT_RUNNING):
                        checked += 1
                        alerts.extend(_campaign_alerts(campaign, brand, holds, now))
                queued += len(uow.alerts.add_new(alerts)) if alerts else 0
                uow.commit()
            after = page[-1].id
        paced = [b for b in brands.values() if b.is_active and _has_budget(b)]
        with self._uow() as uow:
            alerts = [a for b in paced for a in _brand_alerts(b, now)]
            queued += len(uow.alerts.add_new(alerts)) if alerts else 0
            uow.commit()
        return CheckPacingResult(checked + len(paced), queued)

    def _now(self, command: CheckPacingCommand) -> datetime:
        if command.now is not None:
            return require_aware(command.now, "now")
        if self._clock is None:
            raise InvalidInput.on("now", "is required when the service has no clock")
        return self._clock.now()


def _has_budget(brand: Brand) -> bool:
    return any(brand.budget(p) is not None for p in PERIODS)


def _campaign_alerts(
    campaign: Campaign, brand: Brand, holds: frozenset[Hold], now: datetime
) -> Iterable[Alert]:
    tz = brand.timezone
    budget_held = not holds.isdisjoint(BUDGET_HOLDS)
    for period in PERIODS:
        pacing = campaign.pacing(period, now, tz)
        if budget_held and pacing.band is PaceBand.UNDER:
            continue
        key = (Subject.CAMPAIGN, campaign.id, period)
        alert = pacing_alert(key, campaign.name, brand.currency, pacing, now, tz)
        if alert is not None:
            yield alert


def _brand_alerts(brand: Brand, now: datetime) -> Iterable[Alert]:
    for period in PERIODS:
        pacing = brand.pacing(period, now)
        if pacing is None:
            continue
        key = (Subject.BRAND, brand.id, period)
        alert = pacing_alert(key, brand.name, brand.currency, pacing, now, brand.timezone)
        if alert is not None:
            yield alert
