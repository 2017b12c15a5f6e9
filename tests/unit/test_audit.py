"""The audit trail: exactly one entry per change of a campaign's status or holds."""

from __future__ import annotations

import itertools
from datetime import date, timedelta

from adapters.in_memory import FixedClock
from core.entities import SYSTEM, Cause, Hold, Status

from .support import App, audit_chain_problems, utc, window


def test_creation_writes_the_first_entry_from_nothing_to_draft(app: App, clock: FixedClock) -> None:
    campaign = app.campaign(app.brand(), launch=False)
    (entry,) = app.audit(campaign)
    assert (entry.from_status, entry.to_status, entry.cause, entry.at) == (
        None,
        Status.DRAFT,
        Cause.CREATED,
        clock.now(),
    )


def test_an_entry_records_from_to_holds_cause_actor_and_time(app: App, clock: FixedClock) -> None:
    campaign = app.campaign(app.brand(), daily="100")
    clock.advance(timedelta(minutes=3))
    app.spend(campaign, "100")
    entry = app.audit(campaign)[-1]
    assert entry.campaign_id == campaign.id
    assert (entry.from_status, entry.to_status) == (Status.ACTIVE, Status.PAUSED)
    assert entry.holds == {Hold.DAILY_BUDGET}
    assert (entry.cause, entry.actor, entry.at) == (Cause.SPEND, SYSTEM, clock.now())
    paused = app.audit(app.pause(app.campaign(app.brand())))[-1]
    assert (paused.cause, paused.actor) == (Cause.PAUSE, "ops")


def test_every_change_of_status_or_holds_writes_exactly_one_audit_entry(
    app: App, clock: FixedClock
) -> None:
    clock.set(utc(2026, 6, 15, 8))
    brand = app.brand(daily_budget="150")
    campaign = app.campaign(
        brand,
        daily="100",
        end=date(2026, 6, 16),
        windows=[window(1, "09:00", "23:00")],
        launch=False,
    )
    other = app.campaign(brand)
    states = [(app.get(campaign).status, app.get(campaign).holds)]

    def step() -> None:
        states.append((app.get(campaign).status, app.get(campaign).holds))

    app.launch(campaign)  # draft -> paused (outside its window)
    step()
    app.dayparting(utc(2026, 6, 15, 9))  # -> active
    step()
    clock.set(utc(2026, 6, 15, 10))
    app.spend(campaign, "100")  # -> paused (daily budget)
    step()
    app.edit(campaign, daily_budget="300")  # -> active
    step()
    app.spend(other, "50")  # brand budget reached -> paused
    step()
    app.pause(campaign)  # still paused: no entry
    step()
    app.edit_brand(brand, daily_budget=None)  # holds released, the operator's pause stays
    step()
    app.resume(campaign)  # -> active
    step()
    app.sweeps(utc(2026, 6, 15, 23))  # -> paused (outside window)
    step()
    app.sweeps(utc(2026, 6, 17))  # -> completed (ended)
    step()
    app.sweeps(utc(2026, 6, 17, 1))  # nothing changes
    step()

    changes = sum(1 for a, b in itertools.pairwise(states) if a != b)
    entries = app.audit(campaign)
    assert len(entries) == 1 + changes  # creation, then one per change
    assert audit_chain_problems(entries, app.get(campaign)) == []
    assert [e.to_status for e in entries] == [
        Status.DRAFT,
        Status.PAUSED,
        Status.ACTIVE,
        Status.PAUSED,
        Status.ACTIVE,
        Status.PAUSED,
        Status.PAUSED,  # the brand's hold released while the operator's pause stays
        Status.ACTIVE,
        Status.PAUSED,
        Status.COMPLETED,
    ]


def test_a_pause_that_changes_neither_status_nor_holds_writes_no_entry(app: App) -> None:
    brand = app.brand(daily_budget="100")
    campaign = app.campaign(brand, daily="100")
    app.spend(campaign, "100")  # paused by its daily budget
    count = len(app.audit(campaign))
    app.pause(campaign)  # already paused, holds unchanged
    assert app.get(campaign).status is Status.PAUSED
    assert len(app.audit(campaign)) == count


def test_a_brand_wide_hold_audits_each_campaign_once(app: App) -> None:
    brand = app.brand(daily_budget="100")
    spender, idle = app.campaign(brand), app.campaign(brand)
    app.spend(spender, "100")
    for campaign in (spender, idle):
        entries = [e for e in app.audit(campaign) if e.cause is Cause.SPEND]
        assert len(entries) == 1, campaign.name
        assert audit_chain_problems(app.audit(campaign), app.get(campaign)) == []


def test_a_hold_added_while_the_status_stays_paused_writes_an_entry(
    app: App, clock: FixedClock
) -> None:
    campaign = app.pause(app.campaign(app.brand(), daily="100"))
    before = len(app.audit(campaign))
    clock.advance(timedelta(minutes=5))

    app.spend(campaign, "100")  # the daily budget is reached; the operator's pause stays

    entries = app.audit(campaign)
    assert len(entries) == before + 1
    entry = entries[-1]
    assert (entry.from_status, entry.to_status) == (Status.PAUSED, Status.PAUSED)
    assert (entry.holds, entry.cause, entry.actor, entry.at) == (
        {Hold.DAILY_BUDGET},
        Cause.SPEND,
        SYSTEM,
        clock.now(),
    )


def test_a_hold_released_while_the_status_stays_paused_writes_an_entry(
    app: App, clock: FixedClock
) -> None:
    campaign = app.pause(app.campaign(app.brand(), daily="100"))
    app.spend(campaign, "100")
    before = len(app.audit(campaign))

    app.edit(campaign, daily_budget="300")  # the hold is released; still paused by the operator

    entry = app.audit(campaign)[-1]
    assert len(app.audit(campaign)) == before + 1
    assert (entry.from_status, entry.to_status, entry.holds) == (
        Status.PAUSED,
        Status.PAUSED,
        frozenset(),
    )
    assert (entry.cause, entry.actor) == (Cause.EDIT, "ops")


def test_a_recomputation_that_changes_neither_status_nor_holds_writes_no_entry(
    app: App, clock: FixedClock
) -> None:
    campaign = app.campaign(app.brand(), daily="100")
    before = len(app.audit(campaign))

    app.spend(campaign, "10")  # below the budget: nothing held
    app.edit(campaign, name="Renamed")
    app.pause(app.resume(campaign))  # active -> active, then active -> paused

    assert [e.cause for e in app.audit(campaign)[before:]] == [Cause.PAUSE]
