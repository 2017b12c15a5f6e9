"""One contract for the repository ports, run against the in-memory adapter and the Django
adapter alike, so the fakes the unit tests rely on behave like the database."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, time, timedelta
from typing import Any

import attrs
import pytest

from adapters.in_memory import InMemoryStore
from core.entities import (
    Alert,
    AlertKey,
    AuditEntry,
    Brand,
    BrandId,
    Campaign,
    CampaignId,
    Cause,
    Conflict,
    Counter,
    DaySpend,
    Hold,
    LedgerEntry,
    Money,
    Period,
    State,
    Status,
    Subject,
    Sweep,
    Window,
)
from core.entities.money import MAX_AMOUNT
from core.ports import SpendLedger, UnitOfWork

from .conftest import NOW, TODAY, stored_audit

UowFactory = Callable[[], UnitOfWork]


@attrs.frozen
class Adapter:
    """One kind of repositories: its units of work, and a campaign's audit entries as
    committed, oldest first, read from its storage (the audit port only writes them)."""

    uow: UowFactory
    audit: Callable[[CampaignId], list[AuditEntry]]


@pytest.fixture(
    params=[
        "in_memory",
        # transaction=True: the unit of work is a durable transaction, which cannot run
        # inside the per-test transaction of a plain django_db test.
        pytest.param("django", marks=pytest.mark.django_db(transaction=True)),
    ]
)
def adapter(request: pytest.FixtureRequest) -> Adapter:
    if request.param == "in_memory":
        store = InMemoryStore()

        def audit(campaign_id: CampaignId) -> list[AuditEntry]:
            return [e for e in store.audit() if e.campaign_id == campaign_id]

        return Adapter(store.unit_of_work, audit)
    factory: UowFactory = request.getfixturevalue("django_uow")
    return Adapter(factory, stored_audit)


@pytest.fixture
def uow(adapter: Adapter) -> UowFactory:
    return adapter.uow


# -- helpers ---------------------------------------------------------------------------------


def money(value: str) -> Money:
    return Money.of(value)


def make_brand(name: str = "Acme", **fields: Any) -> Brand:
    return Brand(id=BrandId(0), name=name, **fields)


def make_campaign(brand_id: BrandId, name: str = "Spring", **fields: Any) -> Campaign:
    values: dict[str, Any] = {
        "daily_budget": money("100"),
        "monthly_budget": money("1000"),
        "start_date": date(2026, 1, 1),
    }
    values.update(fields)
    return Campaign(id=CampaignId(0), brand_id=brand_id, name=name, **values)


def add_brand(uow: UowFactory, name: str = "Acme", **fields: Any) -> Brand:
    with uow() as u:
        brand = u.brands.add(make_brand(name, **fields))
        u.commit()
    return brand


def add_campaign(
    uow: UowFactory, brand_id: BrandId, name: str = "Spring", **fields: Any
) -> Campaign:
    with uow() as u:
        campaign = u.campaigns.add(make_campaign(brand_id, name, **fields))
        u.commit()
    return campaign


def entry(campaign_id: CampaignId, key: str, amount: str, at: Any = NOW) -> LedgerEntry:
    return LedgerEntry(campaign_id, key, money(amount), at, NOW, f"event {key}", "system")


def alert(subject_id: int, threshold: int, raised_at: Any = NOW) -> Alert:
    key = AlertKey(Subject.CAMPAIGN, subject_id, Period.DAY, TODAY, threshold)
    return Alert(key, "Spring", money("80"), money("100"), "EUR", raised_at)


def same_campaign(a: Campaign, b: Campaign) -> None:
    assert attrs.asdict(a, recurse=False) == attrs.asdict(b, recurse=False)


def same_brand(a: Brand, b: Brand) -> None:
    assert attrs.asdict(a, recurse=False) == attrs.asdict(b, recurse=False)


# -- brands ----------------------------------------------------------------------------------


def test_an_added_brand_gets_an_id_and_reads_back_every_field(uow: UowFactory) -> None:
    wanted = make_brand(
        "Acme",
        timezone="Europe/Berlin",
        currency="EUR",
        is_active=False,
        daily_budget=money("250.123456"),
        monthly_budget=money("5000"),
        daily=Counter(TODAY, money("12.5")),
        monthly=Counter(date(2026, 6, 1), money("99.000001")),
        reset_due_at=NOW + timedelta(hours=10),
    )
    added = add_brand(
        uow, **{k: v for k, v in attrs.asdict(wanted, recurse=False).items() if k != "id"}
    )
    assert added.id != 0
    with uow() as u:
        stored = u.brands.get(added.id)
    assert stored is not None
    same_brand(stored, attrs.evolve(wanted, id=added.id))
    same_brand(added, stored)


def test_a_brand_without_budgets_or_spend_reads_back_empty(uow: UowFactory) -> None:
    added = add_brand(uow)
    with uow() as u:
        stored = u.brands.get(added.id)
    assert stored is not None
    assert stored.daily_budget is None and stored.monthly_budget is None
    assert stored.daily == Counter.never() and stored.monthly == Counter.never()
    assert stored.reset_due_at is None


def test_brand_names_are_unique_on_add_and_on_save(uow: UowFactory) -> None:
    add_brand(uow, "Acme")
    other = add_brand(uow, "Globex")
    with uow() as u, pytest.raises(Conflict) as error:
        u.brands.add(make_brand("Acme"))
    assert error.value.field == "name"
    with uow() as u:
        renamed = u.brands.lock({other.id})[other.id]
        renamed.name = "Acme"
        with pytest.raises(Conflict) as error:
            u.brands.save(renamed)
    assert error.value.field == "name"
    with uow() as u:
        same = u.brands.lock({other.id})[other.id]
        u.brands.save(same)  # saving under its own name is no conflict
        u.commit()


def test_unknown_brands_are_left_out(uow: UowFactory) -> None:
    brand = add_brand(uow)
    missing = BrandId(brand.id + 1000)
    with uow() as u:
        assert u.brands.get(missing) is None
        assert list(u.brands.get_many({brand.id, missing})) == [brand.id]
        assert list(u.brands.lock({brand.id, missing})) == [brand.id]
        assert u.brands.lock(set()) == {}


def test_a_saved_brand_reads_back_changed(uow: UowFactory) -> None:
    brand = add_brand(uow, daily_budget=money("10"))
    with uow() as u:
        locked = u.brands.lock({brand.id})[brand.id]
        locked.daily = Counter(TODAY, money("3.000001"))
        locked.daily_budget = None
        locked.reset_due_at = NOW
        u.brands.save(locked)
        u.commit()
    with uow() as u:
        stored = u.brands.get(brand.id)
    assert stored is not None
    same_brand(stored, locked)


def test_brands_due_for_reset_come_earliest_first_limited_and_in_id_order(
    uow: UowFactory,
) -> None:
    due = {
        "late": NOW - timedelta(minutes=1),
        "earliest": NOW - timedelta(hours=3),
        "exactly_now": NOW,
        "future": NOW + timedelta(seconds=1),
        "never": None,
    }
    ids = {name: add_brand(uow, name, reset_due_at=at).id for name, at in due.items()}
    with uow() as u:
        two = u.brands.due_for_reset(NOW, 2)
        everything = u.brands.due_for_reset(NOW, 100)
    assert [b.id for b in two] == sorted([ids["earliest"], ids["late"]])
    assert [b.id for b in everything] == sorted([ids["earliest"], ids["late"], ids["exactly_now"]])


# -- campaigns -------------------------------------------------------------------------------


def test_an_added_campaign_reads_back_every_field_and_its_windows(uow: UowFactory) -> None:
    brand = add_brand(uow, timezone="America/New_York")
    # Sorted, as Campaign.replace_windows keeps them.
    windows = (
        Window(1, time(8, 0), time(12, 0)),
        Window(1, time(9, 0), time(17, 30)),
        Window(5, time(22, 0), time(2, 0)),
    )
    wanted = make_campaign(
        brand.id,
        "Summer sale",
        daily_budget=money("100.000001"),
        monthly_budget=money("2500.5"),
        start_date=date(2026, 6, 1),
        end_date=date(2026, 8, 31),
        state=State.ENABLED,
        holds=frozenset({Hold.DAILY_BUDGET, Hold.OUTSIDE_SCHEDULE}),
        status=Status.PAUSED,
        daily=Counter(TODAY, money("100.000001")),
        monthly=Counter(date(2026, 6, 1), money("700.25")),
        windows=windows,
        reset_due_at=NOW + timedelta(hours=16),
        schedule_due_at=NOW + timedelta(hours=1, minutes=30),
        flight_due_at=NOW + timedelta(days=80),
    )
    added = add_campaign(
        uow,
        brand.id,
        "Summer sale",
        **{
            k: v
            for k, v in attrs.asdict(wanted, recurse=False).items()
            if k not in {"id", "brand_id", "name"}
        },
    )
    assert added.id != 0
    expected = attrs.evolve(wanted, id=added.id)
    same_campaign(added, expected)
    with uow() as u:
        stored = u.campaigns.get(added.id)
        assert stored is not None
        same_campaign(stored, expected)
        same_campaign(u.campaigns.lock({added.id})[added.id], expected)
        assert list(u.brands.lock_of_campaigns({added.id})) == [brand.id]


def test_a_new_campaign_reads_back_with_empty_counters_and_no_end(uow: UowFactory) -> None:
    brand = add_brand(uow)
    added = add_campaign(uow, brand.id)
    with uow() as u:
        stored = u.campaigns.get(added.id)
    assert stored is not None
    assert stored.end_date is None and stored.windows == ()
    assert stored.daily == Counter.never() and stored.monthly == Counter.never()
    assert stored.holds == frozenset() and stored.state is State.DRAFT
    assert (stored.reset_due_at, stored.schedule_due_at, stored.flight_due_at) == (None,) * 3


def test_campaign_names_are_unique_within_their_brand_only(uow: UowFactory) -> None:
    acme, globex = add_brand(uow, "Acme"), add_brand(uow, "Globex")
    add_campaign(uow, acme.id, "Spring")
    add_campaign(uow, globex.id, "Spring")
    autumn = add_campaign(uow, acme.id, "Autumn")
    with uow() as u, pytest.raises(Conflict) as error:
        u.campaigns.add(make_campaign(acme.id, "Spring"))
    assert error.value.field == "name"
    with uow() as u:
        renamed = u.campaigns.lock({autumn.id})[autumn.id]
        renamed.name = "Spring"
        with pytest.raises(Conflict) as error:
            u.campaigns.save(renamed)
    assert error.value.field == "name"


def test_unknown_campaigns_are_left_out(uow: UowFactory) -> None:
    brand = add_brand(uow)
    campaign = add_campaign(uow, brand.id)
    missing = CampaignId(campaign.id + 1000)
    with uow() as u:
        assert u.campaigns.get(missing) is None
        assert list(u.brands.lock_of_campaigns({campaign.id, missing})) == [brand.id]
        assert list(u.campaigns.lock({campaign.id, missing})) == [campaign.id]
        assert u.campaigns.lock(set()) == {}
        assert u.campaigns.lock_brand(BrandId(brand.id + 1000)) == []


def test_lock_of_campaigns_takes_each_owning_brand_once(uow: UowFactory) -> None:
    acme, globex, initech = add_brand(uow, "Acme"), add_brand(uow, "Globex"), add_brand(uow, "I")
    spring = add_campaign(uow, acme.id, "Spring")
    autumn = add_campaign(uow, acme.id, "Autumn")
    winter = add_campaign(uow, globex.id, "Winter")
    missing = CampaignId(winter.id + 1000)
    with uow() as u:
        locked = u.brands.lock_of_campaigns({spring.id, autumn.id, winter.id, missing})
        assert list(locked) == sorted([acme.id, globex.id])
        assert locked[acme.id].name == "Acme"
        assert u.brands.lock_of_campaigns({missing}) == {}
        assert u.brands.lock_of_campaigns(set()) == {}
    assert initech.id not in locked


def test_saving_again_in_one_unit_of_work_writes_the_latest_values(uow: UowFactory) -> None:
    brand = add_brand(uow)
    campaign = add_campaign(uow, brand.id)
    with uow() as u:
        locked = u.campaigns.lock({campaign.id})[campaign.id]
        owner = u.brands.lock({brand.id})[brand.id]
        for amount in ("3", "0", "4"):
            locked.daily = Counter(TODAY, money(amount))
            owner.daily = Counter(TODAY, money(amount))
            u.campaigns.save_many([locked])
            u.brands.save_many([owner])
        # A single save in between, then a bulk save back to the value read at first.
        locked.holds = frozenset({Hold.DAILY_BUDGET})
        u.campaigns.save(locked)
        locked.holds = frozenset()
        u.campaigns.save_many([locked])
        u.commit()
    with uow() as u:
        stored = u.campaigns.get(campaign.id)
        stored_brand = u.brands.get(brand.id)
    assert stored is not None and stored_brand is not None
    assert stored.daily.spend == money("4") and stored.holds == frozenset()
    assert stored_brand.daily.spend == money("4")


def test_saving_a_campaign_never_added_fails(uow: UowFactory) -> None:
    brand = add_brand(uow)
    ghost = attrs.evolve(make_campaign(brand.id), id=CampaignId(10_000))
    with uow() as u, pytest.raises(KeyError):
        u.campaigns.save(ghost)


def test_lock_and_lock_brand_return_campaigns_in_id_order(uow: UowFactory) -> None:
    acme, globex = add_brand(uow, "Acme"), add_brand(uow, "Globex")
    mine = [add_campaign(uow, acme.id, f"c{i}").id for i in range(4)]
    add_campaign(uow, globex.id, "theirs")
    with uow() as u:
        assert list(u.campaigns.lock(set(reversed(mine)))) == sorted(mine)
        assert [c.id for c in u.campaigns.lock_brand(acme.id)] == sorted(mine)


def test_save_writes_the_campaign_but_not_its_windows(uow: UowFactory) -> None:
    brand = add_brand(uow)
    original = (Window(1, time(9), time(17)),)
    campaign = add_campaign(uow, brand.id, windows=original)
    with uow() as u:
        locked = u.campaigns.lock({campaign.id})[campaign.id]
        locked.state = State.PAUSED
        locked.status = Status.PAUSED
        locked.holds = frozenset({Hold.ENDED})
        locked.daily_budget = money("55.5")
        locked.daily = Counter(TODAY, money("1.25"))
        locked.schedule_due_at = NOW
        locked.windows = (Window(2, time(1), time(2)),)
        u.campaigns.save(locked)
        u.commit()
    with uow() as u:
        stored = u.campaigns.get(campaign.id)
    assert stored is not None
    same_campaign(stored, attrs.evolve(locked, windows=original))


def test_save_many_writes_every_campaign(uow: UowFactory) -> None:
    brand = add_brand(uow)
    ids = [add_campaign(uow, brand.id, f"c{i}").id for i in range(5)]
    with uow() as u:
        campaigns = u.campaigns.lock_brand(brand.id)
        for n, campaign in enumerate(campaigns):
            campaign.monthly = Counter(date(2026, 6, 1), money(f"{n}.5"))
            campaign.holds = frozenset({Hold.MONTHLY_BUDGET}) if n % 2 else frozenset()
            campaign.reset_due_at = NOW + timedelta(minutes=n)
        u.campaigns.save_many(campaigns)
        u.commit()
    with uow() as u:
        for campaign in campaigns:
            stored = u.campaigns.get(campaign.id)
            assert stored is not None
            same_campaign(stored, campaign)
        assert sorted(c.id for c in campaigns) == sorted(ids)
        u.campaigns.save_many([])


# Up to 15 significant digits: SQLite keeps a decimal column as a double, which holds no more.
@pytest.mark.parametrize("amount", ["0", "0.000001", "123.45", "999999999.999998"])
def test_save_many_and_the_ledger_keep_money_exact(uow: UowFactory, amount: str) -> None:
    brand = add_brand(uow)
    campaign = add_campaign(uow, brand.id)
    with uow() as u:
        (locked,) = u.campaigns.lock_brand(brand.id)
        locked.daily = Counter(date(2026, 6, 12), money(amount))
        locked.monthly = Counter(date(2026, 6, 1), money(amount) + money("0.000001"))
        u.campaigns.save_many([locked])
        u.ledger.add_new([entry(campaign.id, "k", amount if amount != "0" else "1")])
        u.commit()
    with uow() as u:
        stored = u.campaigns.get(campaign.id)
        (recorded,) = u.ledger.find_many({(campaign.id, "k")}).values()
    assert stored is not None
    assert (stored.daily.spend, stored.monthly.spend) == (locked.daily.spend, locked.monthly.spend)
    assert str(stored.monthly.spend) == str(money(amount) + money("0.000001"))
    assert recorded.amount == money(amount if amount != "0" else "1")


# A counter adds up events each as large as a budget may be (MAX_AMOUNT), so it holds far
# more than a budget. Whole numbers here: SQLite keeps 15 significant digits.
def test_counters_and_ledger_sums_hold_many_times_the_largest_amount(uow: UowFactory) -> None:
    largest = str(MAX_AMOUNT)
    many = money("999999999999999")  # a thousand of the largest, and some
    acme = add_brand(uow)
    campaign = add_campaign(uow, acme.id)
    with uow() as u:
        (locked,) = u.campaigns.lock_brand(campaign.brand_id)
        brand = u.brands.lock([acme.id])[acme.id]
        locked.daily = Counter(TODAY, many)
        locked.monthly = Counter(date(2026, 6, 1), many)
        brand.daily = Counter(TODAY, many)
        brand.monthly = Counter(date(2026, 6, 1), many)
        u.campaigns.save_many([locked])
        u.brands.save_many([brand])
        u.ledger.add_new([entry(campaign.id, f"k{n}", largest) for n in range(20)])
        assert len(u.alerts.add_new([attrs.evolve(alert(campaign.id, 100), spend=many)])) == 1
        u.commit()
    start, end = NOW - timedelta(days=1), NOW + timedelta(days=1)
    with uow() as u:
        stored, stored_brand = u.campaigns.get(campaign.id), u.brands.get(acme.id)
        assert u.ledger.totals([(campaign.id, start, end)]) == [money("19999999999980")]
        assert u.ledger.brand_total(acme.id, start, end) == money("19999999999980")
        (pending,) = u.alerts.pending(10)
    assert stored is not None and stored_brand is not None
    assert (stored.daily.spend, stored.monthly.spend) == (many, many)
    assert (stored_brand.daily.spend, stored_brand.monthly.spend) == (many, many)
    assert pending.spend == many


def test_replace_windows_makes_them_the_whole_schedule(uow: UowFactory) -> None:
    brand = add_brand(uow)
    campaign = add_campaign(uow, brand.id, windows=(Window(1, time(9), time(17)),))
    new = [Window(3, time(6), time(7)), Window(7, time(23), time(1)), Window(3, time(6), time(7))]
    with uow() as u:
        u.campaigns.replace_windows(campaign.id, new)
        u.commit()
    with uow() as u:
        stored = u.campaigns.get(campaign.id)
        assert stored is not None
        assert stored.windows == (Window(3, time(6), time(7)), Window(7, time(23), time(1)))
        u.campaigns.replace_windows(campaign.id, [])
        u.commit()
    with uow() as u:
        stored = u.campaigns.get(campaign.id)
    assert stored is not None and stored.windows == ()


@pytest.mark.parametrize("sweep", list(Sweep))
def test_due_campaigns_come_earliest_first_limited_and_in_id_order(
    uow: UowFactory, sweep: Sweep
) -> None:
    column = {
        Sweep.RESET: "reset_due_at",
        Sweep.SCHEDULE: "schedule_due_at",
        Sweep.FLIGHT: "flight_due_at",
    }[sweep]
    other_columns = {"reset_due_at", "schedule_due_at", "flight_due_at"} - {column}
    brand = add_brand(uow)
    due = {
        "late": NOW - timedelta(minutes=1),
        "earliest": NOW - timedelta(days=3),
        "exactly_now": NOW,
        "future": NOW + timedelta(seconds=1),
        "never": None,
    }
    ids = {}
    for name, at in due.items():
        # Due for the other sweeps too, to prove they are not mixed up.
        others = {c: NOW - timedelta(days=10) for c in other_columns}
        ids[name] = add_campaign(uow, brand.id, name, **{column: at}, **others).id
    with uow() as u:
        two = u.campaigns.due(sweep, NOW, 2)
        everything = u.campaigns.due(sweep, NOW, 100)
        assert u.campaigns.due(sweep, NOW - timedelta(days=30), 100) == []
    # The earliest due first; nothing is locked by the selection.
    assert two == [ids["earliest"], ids["late"]]
    assert everything == [ids["earliest"], ids["late"], ids["exactly_now"]]


def test_budget_candidates_never_miss_a_campaign_out_of_line(uow: UowFactory) -> None:
    plain = add_brand(uow, "Plain")
    capped_day = add_brand(
        uow, "Capped day", daily_budget=money("50"), daily=Counter(TODAY, money("50"))
    )
    capped_month = add_brand(
        uow,
        "Capped month",
        monthly_budget=money("500"),
        monthly=Counter(date(2026, 6, 1), money("600")),
    )
    easy = add_brand(
        uow, "Easy", daily_budget=money("50"), daily=Counter(TODAY, money("49.999999"))
    )
    must: set[CampaignId] = set()

    def candidate(brand: Brand, name: str, **fields: Any) -> None:
        must.add(add_campaign(uow, brand.id, name, **fields).id)

    add_campaign(uow, plain.id, "innocent", daily=Counter(TODAY, money("99.999999")))
    candidate(plain, "daily at budget", daily=Counter(TODAY, money("100")))
    candidate(plain, "monthly over", monthly=Counter(date(2026, 6, 1), money("1000.01")))
    candidate(plain, "held below budget", holds=frozenset({Hold.DAILY_BUDGET}))
    candidate(plain, "held monthly", holds=frozenset({Hold.MONTHLY_BUDGET, Hold.ENDED}))
    candidate(plain, "brand hold stale", holds=frozenset({Hold.BRAND_DAILY_BUDGET}))
    candidate(plain, "brand month stale", holds=frozenset({Hold.BRAND_MONTHLY_BUDGET}))
    add_campaign(uow, plain.id, "other holds", holds=frozenset({Hold.OUTSIDE_SCHEDULE}))
    candidate(capped_day, "brand day spent")
    candidate(capped_month, "brand month spent")
    add_campaign(uow, easy.id, "brand under budget")

    seen: list[CampaignId] = []
    after = CampaignId(0)
    while True:
        with uow() as u:
            ids = u.campaigns.budget_candidates(after, 2)
        if not ids:
            break
        assert len(ids) <= 2
        assert ids == sorted(ids) and ids[0] > after
        seen += ids
        after = ids[-1]
    assert must <= set(seen)
    assert len(seen) == len(set(seen))


def test_page_walks_every_campaign_in_id_order(uow: UowFactory) -> None:
    brand = add_brand(uow)
    ids = [
        add_campaign(uow, brand.id, f"c{i}", windows=(Window(1, time(i), time(23)),)).id
        for i in range(5)
    ]
    with uow() as u:
        first = u.campaigns.page(CampaignId(0), 3)
        rest = u.campaigns.page(first[-1].id, 3)
        assert u.campaigns.page(rest[-1].id, 3) == []
    assert [c.id for c in first + rest] == sorted(ids)
    assert [c.windows[0].start for c in first + rest] == [time(i) for i in range(5)]


# -- the spend ledger ------------------------------------------------------------------------


def find(ledger: SpendLedger, campaign_id: CampaignId, keys: set[str]) -> dict[str, LedgerEntry]:
    """One campaign's entries under `keys`, keyed by key."""
    found = ledger.find_many({(campaign_id, k) for k in keys})
    return {key: e for (_, key), e in found.items()}


def test_the_ledger_finds_entries_by_campaign_and_key(uow: UowFactory) -> None:
    brand = add_brand(uow)
    spring, autumn = add_campaign(uow, brand.id, "Spring"), add_campaign(uow, brand.id, "Autumn")
    with uow() as u:
        u.ledger.add_new([entry(spring.id, "a", "1.5"), entry(spring.id, "b", "2")])
        u.ledger.add_new([entry(autumn.id, "a", "7")])
        u.commit()
    with uow() as u:
        found = find(u.ledger, spring.id, {"a", "c"})
        assert find(u.ledger, spring.id, set()) == {}
    assert found == {"a": entry(spring.id, "a", "1.5")}


def test_a_key_is_recorded_once_per_campaign(uow: UowFactory) -> None:
    brand = add_brand(uow)
    spring, autumn = add_campaign(uow, brand.id, "Spring"), add_campaign(uow, brand.id, "Autumn")
    with uow() as u:
        u.ledger.add_new([entry(spring.id, "k", "1")])
        u.commit()
    with uow() as u:
        assert u.ledger.add_new([entry(spring.id, "k", "2")]) == set()
        u.commit()
    with uow() as u:
        u.ledger.add_new([entry(autumn.id, "k", "2")])
        u.commit()
    with uow() as u:
        assert find(u.ledger, spring.id, {"k"})["k"].amount == money("1")
        assert find(u.ledger, autumn.id, {"k"})["k"].amount == money("2")


def test_ledger_totals_count_start_inclusive_end_exclusive(uow: UowFactory) -> None:
    acme, globex = add_brand(uow, "Acme"), add_brand(uow, "Globex")
    one, two = add_campaign(uow, acme.id, "one"), add_campaign(uow, acme.id, "two")
    theirs = add_campaign(uow, globex.id, "theirs")
    start, end = NOW - timedelta(hours=12), NOW + timedelta(hours=12)
    with uow() as u:
        u.ledger.add_new(
            [
                entry(one.id, "at start", "0.000001", start),
                entry(one.id, "inside", "10.5", NOW),
                entry(one.id, "at end", "1000", end),
                entry(one.id, "before", "1000", start - timedelta(microseconds=1)),
                entry(two.id, "inside", "2.25", NOW),
                entry(theirs.id, "inside", "500", NOW),
            ]
        )
        u.commit()
    later = (end + timedelta(days=1), end + timedelta(days=2))
    with uow() as u:
        totals = u.ledger.totals(
            [
                (one.id, start, end),
                (two.id, start, end),
                (one.id, *later),
                (one.id, start - timedelta(days=1), end + timedelta(days=1)),
                (CampaignId(theirs.id + 1000), start, end),  # no such campaign
                (one.id, start, end),  # the same window again
            ]
        )
        assert totals == [
            money("10.500001"),
            money("2.25"),
            Money.zero(),
            money("2010.500001"),
            Money.zero(),
            money("10.500001"),
        ]
        assert u.ledger.totals([]) == []
        assert u.ledger.brand_total(acme.id, start, end) == money("12.750001")
        assert u.ledger.brand_total(globex.id, start, end) == money("500")
        assert u.ledger.brand_total(BrandId(globex.id + 1000), start, end) == Money.zero()


def test_ledger_totals_take_many_windows_at_once_in_their_order(uow: UowFactory) -> None:
    # More windows than one SQLite statement takes, each campaign's own sum.
    brand = add_brand(uow)
    campaigns = [add_campaign(uow, brand.id, f"c{n}") for n in range(3)]
    with uow() as u:
        u.ledger.add_new([entry(c.id, f"k{n}", f"{n + 1}.000001") for n, c in enumerate(campaigns)])
        u.commit()
    windows = [
        (campaigns[n % 3].id, NOW - timedelta(minutes=n), NOW + timedelta(minutes=1))
        for n in range(501)
    ]
    with uow() as u:
        totals = u.ledger.totals(windows)
    assert totals == [money(f"{n % 3 + 1}.000001") for n in range(501)]


# -- the audit log ---------------------------------------------------------------------------


def test_the_audit_log_keeps_a_campaigns_entries_oldest_first(
    adapter: Adapter, uow: UowFactory
) -> None:
    brand = add_brand(uow)
    spring, autumn = add_campaign(uow, brand.id, "Spring"), add_campaign(uow, brand.id, "Autumn")
    first = AuditEntry(spring.id, None, Status.DRAFT, frozenset(), Cause.CREATED, "ann", NOW)
    second = AuditEntry(
        spring.id,
        Status.DRAFT,
        Status.PAUSED,
        frozenset({Hold.NOT_STARTED, Hold.OUTSIDE_SCHEDULE}),
        Cause.LAUNCH,
        "ann",
        NOW + timedelta(seconds=1),
    )
    theirs = AuditEntry(autumn.id, None, Status.DRAFT, frozenset(), Cause.CREATED, "bob", NOW)
    with uow() as u:
        u.audit.append([first, theirs])
        u.audit.append([second])
        u.audit.append([])
        u.commit()
    assert adapter.audit(spring.id) == [first, second]
    assert adapter.audit(autumn.id) == [theirs]


# -- the alert outbox ------------------------------------------------------------------------


def test_an_alert_is_queued_once_per_key(uow: UowFactory) -> None:
    with uow() as u:
        new = u.alerts.add_new([alert(1, 80), alert(1, 100), alert(1, 80)])
        u.commit()
    assert [a.key.threshold for a in new] == [80, 100]
    assert all(a.id != 0 for a in new) and len({a.id for a in new}) == 2
    assert [attrs.evolve(a, id=0) for a in new] == [alert(1, 80), alert(1, 100)]
    with uow() as u:
        again = u.alerts.add_new([alert(1, 100), alert(2, 80)])
        u.commit()
    assert [(a.key.subject_id, a.key.threshold) for a in again] == [(2, 80)]
    brand_key = attrs.evolve(alert(1, 80).key, subject=Subject.BRAND)
    month_key = attrs.evolve(alert(1, 80).key, period_kind=Period.MONTH, period=date(2026, 6, 1))
    with uow() as u:
        others = u.alerts.add_new(
            [attrs.evolve(alert(1, 80), key=brand_key), attrs.evolve(alert(1, 80), key=month_key)]
        )
    assert len(others) == 2


def test_pending_alerts_come_oldest_first_until_delivered(uow: UowFactory) -> None:
    with uow() as u:
        u.alerts.add_new(
            [
                alert(1, 80, NOW + timedelta(minutes=2)),
                alert(2, 80, NOW),
                alert(3, 80, NOW + timedelta(minutes=1)),
            ]
        )
        u.commit()
    with uow() as u:
        first_two = u.alerts.pending(2)
        assert [a.key.subject_id for a in first_two] == [2, 3]
        u.alerts.mark_delivered([a.id for a in first_two], NOW + timedelta(minutes=5))
        u.commit()
    with uow() as u:
        left = u.alerts.pending(10)
        u.alerts.mark_delivered([], NOW)
    assert [a.key.subject_id for a in left] == [1]
    assert left[0].delivered_at is None


# -- the unit of work ------------------------------------------------------------------------


def test_nothing_is_kept_without_commit(uow: UowFactory) -> None:
    brand = add_brand(uow, "Kept")
    with uow() as u:
        u.brands.add(make_brand("Forgotten"))
        u.campaigns.add(make_campaign(brand.id))
        u.alerts.add_new([alert(1, 80)])
    with uow() as u:
        assert u.campaigns.page(CampaignId(0), 10) == []
        assert u.alerts.pending(10) == []
        u.brands.add(make_brand("Forgotten"))  # the name is free again


def test_an_error_after_commit_still_rolls_back(uow: UowFactory) -> None:
    brand = add_brand(uow)
    with pytest.raises(RuntimeError, match="boom"), uow() as u:
        u.campaigns.add(make_campaign(brand.id))
        u.commit()
        raise RuntimeError("boom")
    with uow() as u:
        assert u.campaigns.page(CampaignId(0), 10) == []


def test_committed_work_is_seen_by_the_next_unit_of_work(uow: UowFactory) -> None:
    brand = add_brand(uow)
    with uow() as u:
        locked = u.brands.lock({brand.id})[brand.id]
        locked.is_active = False
        u.brands.save(locked)
        u.commit()
    with uow() as u:
        stored = u.brands.get(brand.id)
    assert stored is not None and stored.is_active is False


def test_the_ledger_finds_entries_for_many_campaigns_at_once(uow: UowFactory) -> None:
    brand = add_brand(uow)
    spring = add_campaign(uow, brand.id, "Spring")
    autumn = add_campaign(uow, brand.id, "Autumn")
    with uow() as u:
        u.ledger.add_new([entry(spring.id, "a", "1.5"), entry(autumn.id, "b", "2")])
        u.commit()
    with uow() as u:
        found = u.ledger.find_many({(spring.id, "a"), (spring.id, "b"), (autumn.id, "b")})
        assert u.ledger.find_many(set()) == {}
    assert set(found) == {(spring.id, "a"), (autumn.id, "b")}
    assert found[(autumn.id, "b")].amount == money("2")


def test_add_new_adds_the_free_slots_and_reports_just_those(uow: UowFactory) -> None:
    brand = add_brand(uow)
    spring = add_campaign(uow, brand.id, "Spring")
    autumn = add_campaign(uow, brand.id, "Autumn")
    with uow() as u:
        assert u.ledger.add_new([]) == set()
        assert u.ledger.add_new([entry(spring.id, "a", "1")]) == {(spring.id, "a")}
        u.commit()
    with uow() as u:
        added = u.ledger.add_new(
            [entry(spring.id, "a", "9"), entry(spring.id, "b", "2"), entry(autumn.id, "a", "3")]
        )
        u.commit()
    assert added == {(spring.id, "b"), (autumn.id, "a")}
    with uow() as u:
        found = u.ledger.find_many({(spring.id, "a"), (spring.id, "b"), (autumn.id, "a")})
    # The taken slot keeps its first entry.
    assert {slot: e.amount for slot, e in found.items()} == {
        (spring.id, "a"): money("1"),
        (spring.id, "b"): money("2"),
        (autumn.id, "a"): money("3"),
    }


def test_add_new_writes_nothing_when_rolled_back(uow: UowFactory) -> None:
    brand = add_brand(uow)
    spring = add_campaign(uow, brand.id, "Spring")
    with uow() as u:
        assert u.ledger.add_new([entry(spring.id, "a", "1")]) == {(spring.id, "a")}
    with uow() as u:
        assert u.ledger.find_many({(spring.id, "a")}) == {}
        assert u.ledger.add_new([entry(spring.id, "a", "2")]) == {(spring.id, "a")}


def test_save_many_writes_every_brand(uow: UowFactory) -> None:
    acme = add_brand(uow, "Acme")
    globex = add_brand(uow, "Globex")
    with uow() as u:
        locked = u.brands.lock({acme.id, globex.id})
        for brand in locked.values():
            brand.daily = Counter(TODAY, money("7"))
        u.brands.save_many(list(locked.values()))
        u.commit()
    with uow() as u:
        assert {b.daily.spend for b in u.brands.get_many({acme.id, globex.id}).values()} == {
            money("7")
        }


# -- the spend history -----------------------------------------------------------------------


def day_spend(subject_id: int, day: date, spend: str, budget: str | None = "100") -> DaySpend:
    return DaySpend(subject_id, day, money(spend), None if budget is None else money(budget))


def test_spend_history_creates_a_row_then_adds_to_it_and_sets_its_budget(
    uow: UowFactory,
) -> None:
    brand = add_brand(uow)
    campaign = add_campaign(uow, brand.id)
    with uow() as u:
        u.history.add(
            [day_spend(campaign.id, TODAY, "10.5")], [day_spend(brand.id, TODAY, "10.5", None)]
        )
        u.commit()
    with uow() as u:
        u.history.add(
            [day_spend(campaign.id, TODAY, "0.000001", "250")],
            [day_spend(brand.id, TODAY, "0.000001", "900")],
        )
        u.commit()
    with uow() as u:
        assert u.history.campaign_days(campaign.id, TODAY, TODAY) == [
            day_spend(campaign.id, TODAY, "10.500001", "250")
        ]
        assert u.history.brand_days(brand.id, TODAY, TODAY) == [
            day_spend(brand.id, TODAY, "10.500001", "900")
        ]


def test_spend_history_adds_many_rows_of_many_subjects_at_once(uow: UowFactory) -> None:
    acme, globex = add_brand(uow, "Acme"), add_brand(uow, "Globex")
    spring = add_campaign(uow, acme.id, "Spring")
    autumn = add_campaign(uow, globex.id, "Autumn")
    yesterday = TODAY - timedelta(days=1)
    with uow() as u:
        u.history.add([day_spend(spring.id, yesterday, "1")], [])
        u.commit()
    with uow() as u:
        u.history.add(
            [
                day_spend(spring.id, yesterday, "2"),
                day_spend(spring.id, TODAY, "3"),
                day_spend(autumn.id, TODAY, "4"),
            ],
            [day_spend(acme.id, yesterday, "2", None), day_spend(globex.id, TODAY, "4", "50")],
        )
        u.history.add([], [])
        u.commit()
    with uow() as u:
        assert u.history.campaign_days(spring.id, yesterday, TODAY) == [
            day_spend(spring.id, yesterday, "3"),
            day_spend(spring.id, TODAY, "3"),
        ]
        assert u.history.campaign_days(autumn.id, yesterday, TODAY) == [
            day_spend(autumn.id, TODAY, "4")
        ]
        assert u.history.brand_days(acme.id, yesterday, TODAY) == [
            day_spend(acme.id, yesterday, "2", None)
        ]
        assert u.history.brand_days(globex.id, yesterday, TODAY) == [
            day_spend(globex.id, TODAY, "4", "50")
        ]


def test_spend_history_reads_an_inclusive_day_range_in_day_order(uow: UowFactory) -> None:
    brand = add_brand(uow)
    campaign = add_campaign(uow, brand.id)
    days = [TODAY - timedelta(days=n) for n in (9, 6, 5, 3, 0)]
    with uow() as u:
        # Given out of order on purpose: the read puts them in day order.
        u.history.add(
            [day_spend(campaign.id, d, str(n + 1)) for n, d in enumerate(reversed(days))],
            [day_spend(brand.id, d, str(n + 1)) for n, d in enumerate(reversed(days))],
        )
        u.commit()
    with uow() as u:
        campaign_days = u.history.campaign_days(campaign.id, days[1], days[3])
        brand_days = u.history.brand_days(brand.id, days[1], days[3])
        assert u.history.campaign_days(campaign.id, days[0] + timedelta(days=1), days[1]) == [
            day_spend(campaign.id, days[1], "4")
        ]
        assert u.history.campaign_days(campaign.id, TODAY + timedelta(days=1), TODAY.max) == []
        assert u.history.brand_days(BrandId(brand.id + 1000), days[0], TODAY) == []
    assert [r.day for r in campaign_days] == days[1:4]
    assert [r.spend for r in campaign_days] == [money("4"), money("3"), money("2")]
    assert [(r.subject_id, r.day) for r in brand_days] == [(brand.id, d) for d in days[1:4]]


def test_spend_history_is_not_kept_without_commit(uow: UowFactory) -> None:
    brand = add_brand(uow)
    campaign = add_campaign(uow, brand.id)
    with uow() as u:
        u.history.add([day_spend(campaign.id, TODAY, "5")], [day_spend(brand.id, TODAY, "5")])
        u.commit()
    with uow() as u:
        u.history.add([day_spend(campaign.id, TODAY, "7")], [day_spend(brand.id, TODAY, "7")])
    with pytest.raises(RuntimeError, match="boom"), uow() as u:
        u.history.add([day_spend(campaign.id, TODAY, "9")], [day_spend(brand.id, TODAY, "9")])
        u.commit()
        raise RuntimeError("boom")
    with uow() as u:
        assert u.history.campaign_days(campaign.id, TODAY, TODAY) == [
            day_spend(campaign.id, TODAY, "5")
        ]
        assert u.history.brand_days(brand.id, TODAY, TODAY) == [day_spend(brand.id, TODAY, "5")]


# Added up in the database: SQLite adds floating point, whose error a hundred additions of
# this amount carry into the sixth place unless each sum is rounded to it.
def test_spend_history_sums_stay_exact_over_many_additions(uow: UowFactory) -> None:
    brand = add_brand(uow)
    campaign = add_campaign(uow, brand.id)
    for _ in range(100):
        with uow() as u:
            u.history.add(
                [day_spend(campaign.id, TODAY, "0.1")],
                [day_spend(brand.id, TODAY, "7777777.777777")],
            )
            u.commit()
    with uow() as u:
        (campaign_day,) = u.history.campaign_days(campaign.id, TODAY, TODAY)
        (brand_day,) = u.history.brand_days(brand.id, TODAY, TODAY)
    assert campaign_day.spend == money("10")
    assert brand_day.spend == money("777777777.7777")
