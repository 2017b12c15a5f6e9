"""The in-memory unit of work: nothing is kept unless committed, and nothing when the block
raises; repositories hand out copies, so unsaved changes are not kept either."""

from __future__ import annotations

from datetime import date

import pytest

from adapters.in_memory import InMemoryStore
from core.entities import Brand, Campaign, InvalidInput, Money

from .support import App, snapshot


def _new_brand(name: str = "Acme") -> Brand:
    return Brand.create(name=name)


def test_nothing_is_stored_without_commit(store: InMemoryStore) -> None:
    before = snapshot(store)
    with store.unit_of_work() as uow:
        uow.brands.add(_new_brand())
    assert snapshot(store) == before
    assert store.brands() == []
    assert store.commits == 0


def test_nothing_is_stored_when_the_block_raises_even_after_commit(store: InMemoryStore) -> None:
    before = snapshot(store)
    with pytest.raises(RuntimeError), store.unit_of_work() as uow:
        uow.brands.add(_new_brand())
        uow.commit()
        raise RuntimeError("crash before the end of the transaction")
    assert snapshot(store) == before
    assert store.commits == 0


def test_committed_writes_are_seen_by_the_next_unit_of_work(store: InMemoryStore) -> None:
    with store.unit_of_work() as uow:
        brand = uow.brands.add(_new_brand())
        uow.commit()
    with store.unit_of_work() as uow:
        found = uow.brands.get(brand.id)
    assert found is not None and found.name == "Acme"
    assert store.commits == 1


def test_a_rolled_back_unit_of_work_leaves_earlier_commits_alone(app: App) -> None:
    campaign = app.campaign(app.brand())
    app.spend(campaign, "10")
    before = snapshot(app.store)
    with app.store.unit_of_work() as uow:
        stored = uow.campaigns.lock({campaign.id})[campaign.id]
        stored.daily_budget = Money.of("1")
        uow.campaigns.save(stored)
        uow.ledger.add_new([])
        uow.audit.append([])
        # no commit
    assert snapshot(app.store) == before


def test_a_change_to_a_loaded_entity_is_not_kept_without_save(app: App) -> None:
    campaign = app.campaign(app.brand())
    before = snapshot(app.store)
    with app.store.unit_of_work() as uow:
        loaded = uow.campaigns.get(campaign.id)
        assert isinstance(loaded, Campaign)
        loaded.name = "Renamed behind the repository's back"
        uow.commit()
    assert snapshot(app.store) == before


def test_a_use_case_that_fails_midway_leaves_the_store_unchanged(app: App) -> None:
    """UpdateCampaign sets the new end date on the loaded campaign before it finds the end
    before the start; the unit of work must drop that."""
    campaign = app.campaign(app.brand(), start=date(2026, 6, 10))
    before = snapshot(app.store)
    with pytest.raises(InvalidInput):
        app.edit(campaign, end_date="2026-06-01")
    assert snapshot(app.store) == before


def test_units_of_work_are_serialised(store: InMemoryStore) -> None:
    with store.unit_of_work():
        assert not store.lock.acquire(blocking=False)
    assert store.lock.acquire(blocking=False)
    store.lock.release()


def test_commit_outside_the_block_is_an_error(store: InMemoryStore) -> None:
    uow = store.unit_of_work()
    with pytest.raises(RuntimeError):
        uow.commit()
