"""Operator use cases on campaigns: create, edit, replace windows, launch, pause, resume.
Each recomputes the campaign's holds and status at once and audits a status change."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

import attrs

from core.entities import (
    SYSTEM,
    AuditEntry,
    BrandId,
    Campaign,
    CampaignId,
    Cause,
    NotFound,
)
from core.entities.campaign import CampaignChanges
from core.entities.errors import Collector, InvalidInput, parse_id
from core.entities.schedule import Window, parse_windows
from core.entities.unset import UNSET
from core.ports import Clock, UnitOfWork, UnitOfWorkFactory
from core.use_cases.refresh import lock_for_refresh


@attrs.frozen
class CreateCampaignCommand:
    brand_id: object
    name: object
    daily_budget: object
    monthly_budget: object
    start_date: object
    end_date: object = None
    windows: Iterable[Mapping[str, object]] = ()
    actor: str = SYSTEM


class CreateCampaign:
    """Create a campaign as a draft (it never runs until launched), with optional windows.
    Raises InvalidInput listing every bad field (non-positive or over-precise budgets, end
    before start, bad windows), NotFound (`brand_id`), Conflict (`name`, taken within the
    brand); nothing is written then."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    def __call__(self, command: CreateCampaignCommand) -> Campaign:
        errors = Collector()
        brand_id = 0
        try:
            brand_id = parse_id(command.brand_id, "brand_id", "a brand id")
        except InvalidInput as error:
            errors.absorb(error)
        campaign: Campaign | None = None
        try:
            campaign = Campaign.create(
                brand_id=BrandId(brand_id),
                name=command.name,
                daily_budget=command.daily_budget,
                monthly_budget=command.monthly_budget,
                start_date=command.start_date,
                end_date=command.end_date,
            )
        except InvalidInput as error:
            errors.absorb(error)
        windows: tuple[Window, ...] = ()
        try:
            windows = parse_windows(command.windows)
        except InvalidInput as error:
            errors.absorb(error)
        errors.raise_if_any()
        assert campaign is not None
        campaign.replace_windows(windows)
        now = self._clock.now()
        with self._uow() as uow:
            brand = uow.brands.get(BrandId(brand_id))
            if brand is None:
                raise NotFound.on("brand_id", f"brand {brand_id} does not exist")
            campaign.refresh(brand, now, Cause.CREATED, command.actor)
            campaign = uow.campaigns.add(campaign)
            uow.audit.append(
                [
                    AuditEntry(
                        campaign.id,
                        None,
                        campaign.status,
                        campaign.holds,
                        Cause.CREATED,
                        command.actor,
                        now,
                    )
                ]
            )
            uow.commit()
        return campaign


def _change(
    uow_factory: UnitOfWorkFactory,
    clock: Clock,
    campaign_id: object,
    cause: Cause,
    actor: str,
    apply: Callable[[UnitOfWork, Campaign], None],
) -> Campaign:
    """Lock the campaign (after its brand), apply the operator's change, recompute, save,
    audit, commit."""
    cid = CampaignId(parse_id(campaign_id, "campaign_id", "a campaign id"))
    now = clock.now()
    with uow_factory() as uow:
        locked, brands = lock_for_refresh(uow, {cid})
        if not locked:
            raise NotFound.on("campaign_id", f"campaign {cid} does not exist")
        (campaign,) = locked
        brand = brands[campaign.brand_id]
        apply(uow, campaign)
        refresh = campaign.refresh(brand, now, cause, actor)
        uow.campaigns.save(campaign)
        if refresh.audit is not None:
            uow.audit.append([refresh.audit])
        uow.commit()
    return campaign


@attrs.frozen
class UpdateCampaignCommand:
    """Fields left UNSET stay as they are; `end_date=None` removes the end date; `windows`,
    when given, becomes the whole schedule (as ReplaceSchedule, in the same transaction)."""

    campaign_id: object
    name: object = UNSET
    daily_budget: object = UNSET
    monthly_budget: object = UNSET
    start_date: object = UNSET
    end_date: object = UNSET
    windows: object = UNSET
    actor: str = SYSTEM


class UpdateCampaign:
    """Edit name, budgets or dates and recompute holds now: a budget lowered below today's
    spend holds the campaign at once, a raised one releases it at once. Raises InvalidInput
    per bad field, NotFound (`campaign_id`), Conflict (`name`)."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    def __call__(self, command: UpdateCampaignCommand) -> Campaign:
        changes, windows = _parse_edit(command)

        def apply(uow: UnitOfWork, campaign: Campaign) -> None:
            campaign.edit(changes)
            if windows is not None:
                campaign.replace_windows(windows)
                uow.campaigns.replace_windows(campaign.id, campaign.windows)

        only_windows = changes == CampaignChanges()
        cause = Cause.SCHEDULE if windows is not None and only_windows else Cause.EDIT
        return _change(self._uow, self._clock, command.campaign_id, cause, command.actor, apply)


def _parse_edit(
    command: UpdateCampaignCommand,
) -> tuple[CampaignChanges, tuple[Window, ...] | None]:
    """The edit's fields and its new windows (None: the schedule stays); raises InvalidInput
    listing every bad field of both."""
    errors = Collector()
    changes = CampaignChanges()
    try:
        changes = CampaignChanges.parse(
            name=command.name,
            daily_budget=command.daily_budget,
            monthly_budget=command.monthly_budget,
            start_date=command.start_date,
            end_date=command.end_date,
        )
    except InvalidInput as error:
        errors.absorb(error)
    windows = errors.change(_windows_of, command.windows, "windows")
    errors.raise_if_any()
    return changes, None if windows is UNSET else windows


def _windows_of(raw: object, field: str) -> tuple[Window, ...]:
    if not isinstance(raw, Iterable) or isinstance(raw, str | bytes):
        raise InvalidInput.on(field, "must be a list of windows")
    return parse_windows(raw)


@attrs.frozen
class ReplaceScheduleCommand:
    campaign_id: object
    windows: Iterable[Mapping[str, object]]
    actor: str = SYSTEM


class ReplaceSchedule:
    """Make the given windows the campaign's whole dayparting schedule (an empty list lifts
    every restriction) and apply it now. Raises InvalidInput naming e.g.
    `windows[1].end_time`, NotFound (`campaign_id`)."""

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    def __call__(self, command: ReplaceScheduleCommand) -> Campaign:
        windows = parse_windows(command.windows)

        def apply(uow: UnitOfWork, campaign: Campaign) -> None:
            campaign.replace_windows(windows)
            uow.campaigns.replace_windows(campaign.id, campaign.windows)

        return _change(
            self._uow, self._clock, command.campaign_id, Cause.SCHEDULE, command.actor, apply
        )


@attrs.frozen
class CampaignActionCommand:
    campaign_id: object
    actor: str = SYSTEM


class _CampaignAction:
    """An operator action on one campaign: lock, act, recompute, audit."""

    cause: Cause

    def __init__(self, uow: UnitOfWorkFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    def _act(self, campaign: Campaign) -> None:
        raise NotImplementedError

    def __call__(self, command: CampaignActionCommand) -> Campaign:
        return _change(
            self._uow,
            self._clock,
            command.campaign_id,
            self.cause,
            command.actor,
            lambda _uow, c: self._act(c),
        )


class LaunchCampaign(_CampaignAction):
    """Move a draft to enabled; it runs as soon as nothing holds it. Raises Conflict
    (`state`) if it is not a draft, NotFound (`campaign_id`)."""

    cause = Cause.LAUNCH

    def _act(self, campaign: Campaign) -> None:
        campaign.launch()


class PauseCampaign(_CampaignAction):
    """The operator stops a campaign; nothing automatic ever resumes it. Pausing a paused
    campaign changes nothing. Raises Conflict (`state`) for a draft, NotFound."""

    cause = Cause.PAUSE

    def _act(self, campaign: Campaign) -> None:
        campaign.pause()


class ResumeCampaign(_CampaignAction):
    """Undo an operator pause; the campaign runs again unless something holds it. Raises
    Conflict (`state`) for a draft, NotFound."""

    cause = Cause.RESUME

    def _act(self, campaign: Campaign) -> None:
        campaign.resume()
