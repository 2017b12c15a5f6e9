"""What only the Django adapter can show: the real transaction, the SQL the sweeps run,
the database settings, and the whole wiring through the container."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, time, timedelta
from decimal import Decimal
from typing import Any

import pytest
from dependency_injector import providers
from django.db import connection

from adapters.django_orm import models
from adapters.django_orm.repositories import DjangoBrandRepository, DjangoCampaignRepository
from adapters.django_orm.unit_of_work import DjangoUnitOfWork, unit_of_work_factory
from adapters.in_memory import FixedClock, RecordingNotifier
from core.entities import (
    Brand,
    BrandId,
    Campaign,
    CampaignId,
    Conflict,
    Counter,
    Hold,
    LedgerEntry,
    Money,
    Status,
    Window,
)
from core.use_cases.alerts import DeliverAlertsCommand
from core.use_cases.brands import CreateBrandCommand
from core.use_cases.campaigns import CampaignActionCommand, CreateCampaignCommand
from core.use_cases.reconcile import ReconcileCommand
from core.use_cases.record_spend import RecordSpendCommand
from core.use_cases.sweeps import SweepCommand
from entrypoints.container import Container, build_container

from .conftest import NOW, TODAY, on_postgres, stored_audit

pytestmark = pytest.mark.django_db(transaction=True)


def add_brand(name: str = "Acme", **fields: Any) -> Brand:
    with DjangoUnitOfWork() as uow:
        brand = uow.brands.add(Brand(id=BrandId(0), name=name, **fields))
        uow.commit()
    return brand


def add_campaign(brand_id: BrandId, name: str, **fields: Any) -> Campaign:
    values: dict[str, Any] = {
        "daily_budget": Money.of("100"),
        "monthly_budget": Money.of("1000"),
        "start_date": date(2026, 1, 1),
    }
    values.update(fields)
    with DjangoUnitOfWork() as uow:
        campaign = uow.campaigns.add(
            Campaign(id=CampaignId(0), brand_id=brand_id, name=name, **values)
        )
        uow.commit()
    return campaign


# -- the transaction -------------------------------------------------------------------------


def test_a_unit_of_work_inside_another_is_refused() -> None:
    with DjangoUnitOfWork(), pytest.raises(RuntimeError), DjangoUnitOfWork():
        pass


def test_commit_outside_the_block_is_refused() -> None:
    with pytest.raises(RuntimeError):
        DjangoUnitOfWork().commit()


def test_the_factory_gives_fresh_units_of_work_that_commit() -> None:
    factory = unit_of_work_factory()
    with factory() as uow:
        uow.brands.add(Brand(id=BrandId(0), name="Acme"))
        uow.commit()
    assert models.Brand.objects.filter(name="Acme").count() == 1


def test_a_name_taken_by_a_concurrent_writer_after_the_check_is_still_a_conflict(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    brand = add_brand("Acme")
    add_campaign(brand.id, "Spring")
    # Pretend the check ran before the other writer committed: only the constraint is left.
    monkeypatch.setattr(DjangoBrandRepository, "_check_name", lambda self, b: None)
    monkeypatch.setattr(DjangoCampaignRepository, "_check_name", lambda self, c: None)
    with DjangoUnitOfWork() as uow:
        with pytest.raises(Conflict) as error:
            uow.brands.add(Brand(id=BrandId(0), name="Acme"))
        assert error.value.field == "name"
        with pytest.raises(Conflict) as error:
            uow.campaigns.add(
                Campaign(
                    id=CampaignId(0),
                    brand_id=brand.id,
                    name="Spring",
                    daily_budget=Money.of("1"),
                    monthly_budget=Money.of("1"),
                    start_date=TODAY,
                )
            )
        assert error.value.field == "name"
        # The savepoint kept the transaction usable.
        uow.brands.add(Brand(id=BrandId(0), name="Globex"))
        uow.commit()
    assert sorted(models.Brand.objects.values_list("name", flat=True)) == ["Acme", "Globex"]


# -- what the repositories select ------------------------------------------------------------


def test_budget_candidates_leave_out_campaigns_that_cannot_be_out_of_line() -> None:
    plain = add_brand("Plain", daily_budget=Money.of("1000"))
    add_campaign(plain.id, "under budget", daily=Counter(TODAY, Money.of("99.999999")))
    add_campaign(plain.id, "other hold", holds=frozenset({Hold.OUTSIDE_SCHEDULE, Hold.ENDED}))
    at_budget = add_campaign(plain.id, "at budget", daily=Counter(TODAY, Money.of("100")))
    held = add_campaign(plain.id, "held", holds=frozenset({Hold.BRAND_MONTHLY_BUDGET}))
    with DjangoUnitOfWork() as uow:
        found = uow.campaigns.budget_candidates(CampaignId(0), 100)
    assert found == [at_budget.id, held.id]


def test_campaigns_are_found_by_hold() -> None:
    brand = add_brand()
    add_campaign(brand.id, "free")
    budget = add_campaign(brand.id, "budget", holds=frozenset({Hold.BRAND_DAILY_BUDGET}))
    both = add_campaign(
        brand.id, "both", holds=frozenset({Hold.DAILY_BUDGET, Hold.BRAND_DAILY_BUDGET})
    )
    rows = models.Campaign.objects.filter(models.with_hold(Hold.DAILY_BUDGET.value))
    assert [r.pk for r in rows] == [both.id]
    rows = models.Campaign.objects.filter(models.with_hold(Hold.BRAND_DAILY_BUDGET.value))
    assert [r.pk for r in rows] == [budget.id, both.id]
    assert models.Campaign.objects.get(pk=both.id).holds == ",BRAND_DAILY_BUDGET,DAILY_BUDGET,"


def test_a_campaigns_own_copy_of_its_windows_follows_the_window_table() -> None:
    brand = add_brand()
    overnight = Window(5, time(22), time(2))
    campaign = add_campaign(brand.id, "c", windows=(Window(1, time(9), time(17, 30)), overnight))

    def stored() -> tuple[str, list[Window]]:
        row = models.Campaign.objects.get(pk=campaign.id)
        table = [
            Window(w.day_of_week, w.start_time, w.end_time)
            for w in row.windows.order_by("day_of_week")
        ]
        return row.windows_text, table

    assert stored() == ("1 09:00:00 17:30:00;5 22:00:00 02:00:00", list(campaign.windows))
    with DjangoUnitOfWork() as uow:
        uow.campaigns.replace_windows(campaign.id, [overnight, overnight])
        uow.commit()
    assert stored() == ("5 22:00:00 02:00:00", [overnight])
    with DjangoUnitOfWork() as uow:
        uow.campaigns.replace_windows(campaign.id, [])
        assert uow.campaigns.lock({campaign.id})[campaign.id].windows == ()
        uow.commit()
    assert stored() == ("", [])


@pytest.fixture
def no_sequential_scans() -> Iterator[None]:
    """Make PostgreSQL use an index wherever one fits, however small the table."""
    if on_postgres():
        with connection.cursor() as cursor:
            cursor.execute("SET enable_seqscan = off")
        yield
        with connection.cursor() as cursor:
            cursor.execute("RESET enable_seqscan")
    else:
        yield


def _plan(sql: str, params: Any) -> str:
    explain = "EXPLAIN" if on_postgres() else "EXPLAIN QUERY PLAN"
    with connection.cursor() as cursor:
        cursor.execute(f"{explain} {sql}", params)
        return " ".join(str(part) for row in cursor.fetchall() for part in row)


@pytest.mark.parametrize(
    ("column", "index"),
    [
        ("reset_due_at", "budget_campaign_reset_due"),
        ("schedule_due_at", "budget_campaign_schedule_due"),
        ("flight_due_at", "budget_campaign_flight_due"),
    ],
)
def test_sweeps_select_due_campaigns_through_an_index(
    no_sequential_scans: None, column: str, index: str
) -> None:
    brand = add_brand()
    for n in range(20):
        add_campaign(brand.id, f"c{n}", **{column: NOW + timedelta(minutes=n - 10)})
    query = (
        models.Campaign.objects.filter(**{f"{column}__lte": NOW})
        .order_by(column, "pk")
        .values_list("pk", flat=True)[:5]
    )
    sql, params = query.query.sql_with_params()
    assert index in _plan(sql, params)


def test_brands_due_for_reset_are_selected_through_an_index(no_sequential_scans: None) -> None:
    add_brand(reset_due_at=NOW)
    query = (
        models.Brand.objects.filter(reset_due_at__lte=NOW)
        .order_by("reset_due_at", "pk")
        .values_list("pk", flat=True)[:5]
    )
    sql, params = query.query.sql_with_params()
    assert "budget_brand_reset_due" in _plan(sql, params)


def test_budget_candidates_are_found_through_the_partial_indexes(
    no_sequential_scans: None,
) -> None:
    brand = add_brand()
    for n in range(20):
        add_campaign(brand.id, f"c{n}")
    if on_postgres():
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE budget_campaign")  # so it knows the indexes are empty
    executed: list[tuple[str, Any]] = []

    def record(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        executed.append((sql, params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        DjangoCampaignRepository("default").budget_candidates(CampaignId(0), 100)
    # Explained with the parameters bound as they were sent, not written into the text.
    plans = [_plan(sql, params) for sql, params in executed if "holds" in sql]
    assert len(plans) == 2
    assert "budget_campaign_budget_off" in plans[0]
    assert "budget_campaign_brand_held" in plans[1]


# -- money -----------------------------------------------------------------------------------


def test_money_keeps_six_decimal_places_in_columns_and_sums() -> None:
    brand = add_brand(daily_budget=Money.of("123456.000001"))
    campaign = add_campaign(
        brand.id,
        "precise",
        daily_budget=Money.of("999999.999999"),
        daily=Counter(TODAY, Money.of("0.000001")),
    )
    with DjangoUnitOfWork() as uow:
        uow.ledger.add_new(
            [LedgerEntry(campaign.id, f"k{n}", Money.of("0.100001"), NOW, NOW) for n in range(1000)]
        )
        uow.commit()
    with DjangoUnitOfWork() as uow:
        stored = uow.campaigns.get(campaign.id)
        stored_brand = uow.brands.get(brand.id)
        (total,) = uow.ledger.totals([(campaign.id, NOW, NOW + timedelta(seconds=1))])
    assert stored is not None and stored_brand is not None
    assert stored.daily_budget == Money.of("999999.999999")
    assert stored.daily.spend == Money.of("0.000001")
    assert stored_brand.daily_budget == Money.of("123456.000001")
    assert total == Money.of("100.001")


def test_ledger_sums_are_exact_over_thousands_of_entries() -> None:
    # Added up as floating point, these drift by several micros.
    acme = add_brand()
    campaign = add_campaign(acme.id, "busy")
    other = add_campaign(acme.id, "other")
    amounts = [Money.of("123456.789012")] * 3000 + [Money.of("999999999.999999")]
    with DjangoUnitOfWork() as uow:
        uow.ledger.add_new(
            [LedgerEntry(campaign.id, f"k{n}", a, NOW, NOW) for n, a in enumerate(amounts)]
        )
        uow.ledger.add_new([LedgerEntry(other.id, "one", Money.of("0.000001"), NOW, NOW)])
        uow.commit()
    window = (NOW, NOW + timedelta(seconds=1))
    with DjangoUnitOfWork() as uow:
        (total,) = uow.ledger.totals([(campaign.id, *window)])
        brand_total = uow.ledger.brand_total(acme.id, *window)
    assert total == Money.of("1370370367.035999")
    assert total == Money.of(sum((a.amount for a in amounts), Decimal(0)))
    assert brand_total == Money.of(total.amount + Decimal("0.000001"))


# -- the database settings -------------------------------------------------------------------


@pytest.mark.sqlite
def test_sqlite_runs_immediate_transactions_in_wal_mode_with_a_busy_timeout() -> None:
    connection.ensure_connection()
    assert connection.transaction_mode == "IMMEDIATE"  # type: ignore[attr-defined]
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        assert cursor.fetchone()[0] == "wal"
        cursor.execute("PRAGMA busy_timeout")
        assert cursor.fetchone()[0] >= 10_000


# -- the container, end to end ---------------------------------------------------------------


@pytest.fixture
def container() -> Container:
    built = build_container()
    built.clock.override(providers.Object(FixedClock(NOW)))
    built.notifier.override(providers.Object(RecordingNotifier()))
    return built


def test_the_container_runs_the_whole_budget_day_on_the_database(container: Container) -> None:
    clock: FixedClock = container.clock()
    brand = container.create_brand()(CreateBrandCommand(name="Acme", timezone="Europe/Paris"))
    campaign = container.create_campaign()(
        CreateCampaignCommand(
            brand_id=brand.id,
            name="Spring",
            daily_budget="100",
            monthly_budget="1000",
            start_date="2026-06-01",
        )
    )
    assert campaign.status is Status.DRAFT
    assert container.launch_campaign()(CampaignActionCommand(campaign.id)).status is Status.ACTIVE

    result = container.record_spend()(
        RecordSpendCommand(
            events=[
                {"campaign_id": campaign.id, "amount": "60", "key": "a"},
                {"campaign_id": campaign.id, "amount": "40", "key": "b"},
            ]
        )
    )
    assert (result.recorded, result.held, result.alerts) == (2, 1, 2)

    with container.uow() as uow:
        held = uow.campaigns.get(campaign.id)
    audit = stored_audit(campaign.id)
    assert held is not None
    assert held.status is Status.PAUSED and held.holds == frozenset({Hold.DAILY_BUDGET})
    assert [(e.from_status, e.to_status) for e in audit] == [
        (None, Status.DRAFT),
        (Status.DRAFT, Status.ACTIVE),
        (Status.ACTIVE, Status.PAUSED),
    ]

    delivered = container.deliver_alerts()(DeliverAlertsCommand())
    assert (delivered.delivered, delivered.failed) == (2, 0)
    assert [a.key.threshold for a in container.notifier().sent] == [80, 100]

    # Midnight in Paris: a new day, the daily hold is released.
    midnight = clock.advance(timedelta(hours=10))
    reset = container.reset_period()(SweepCommand(now=midnight))
    assert reset.released == 1 and reset.activated == 1
    with container.uow() as uow:
        running = uow.campaigns.get(campaign.id)
    assert running is not None
    assert running.status is Status.ACTIVE
    assert running.monthly.spend == Money.of("100")

    assert container.enforce_budgets()(SweepCommand(now=midnight)).held == 0
    assert container.reconcile()(ReconcileCommand(now=midnight)).mismatches == ()
