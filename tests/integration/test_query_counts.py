"""The sweeps and a spend batch cost what is due, not what is stored: their number of SQL
queries is the same with 100 campaigns as with 2,000. Reconcile reads everything, a page of
campaigns at a time: its queries grow with the pages, not with the campaigns."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from adapters.django_orm import models
from adapters.django_orm.repositories import TOTALS_CHUNK
from core.use_cases.apply_dayparting import ApplyDayparting
from core.use_cases.enforce_budgets import EnforceBudgets
from core.use_cases.flight import CheckFlight
from core.use_cases.reconcile import Reconcile, ReconcileCommand
from core.use_cases.record_spend import RecordSpend, RecordSpendCommand
from core.use_cases.reset_period import ResetPeriod
from core.use_cases.sweeps import SweepCommand

from .conftest import NOW, bulk_campaigns

DUE = 10
SPEND_BATCH = 50
SWEEPS: dict[str, Callable[[Any], Any]] = {
    "enforce": EnforceBudgets,
    "reset": ResetPeriod,
    "dayparting": ApplyDayparting,
    "flight": CheckFlight,
}
DUE_COLUMN = {"reset": "reset_due_at", "dayparting": "schedule_due_at", "flight": "flight_due_at"}


class _Clock:
    def now(self) -> Any:
        return NOW


def _load(n: int) -> None:
    """`n` active campaigns with spend on one brand, as the core computes them at NOW."""
    bulk_campaigns("Acme", "Europe/Berlin", n, spent="50")


def _make_due(sweep: str) -> None:
    ids = list(models.Campaign.objects.order_by("pk").values_list("pk", flat=True)[:DUE])
    rows = models.Campaign.objects.filter(pk__in=ids)
    if sweep in DUE_COLUMN:
        rows.update(**{DUE_COLUMN[sweep]: NOW - timedelta(minutes=1)})
    else:
        rows.update(daily_spend=Decimal("100"))


def _queries(n: int, django_uow: Callable[[], Any]) -> dict[str, int]:
    _load(n)
    counts: dict[str, int] = {}
    for name, sweep in SWEEPS.items():
        for due in (False, True):
            if due:
                _make_due(name)
            with CaptureQueriesContext(connection) as captured:
                result = sweep(django_uow)(SweepCommand(NOW))
            assert result.checked == (DUE if due else 0), (name, due, result)
            counts[f"{name} {'due' if due else 'idle'}"] = len(captured)
    ids = list(models.Campaign.objects.order_by("-pk").values_list("pk", flat=True))
    events = [
        {"campaign_id": ids[i], "amount": "0.5", "key": f"k{i}", "occurred_at": NOW.isoformat()}
        for i in range(SPEND_BATCH)
    ]
    with CaptureQueriesContext(connection) as captured:
        result = RecordSpend(django_uow, _Clock())(RecordSpendCommand(events=events))
    assert result.recorded == SPEND_BATCH
    counts["spend batch"] = len(captured)
    return counts


def _empty() -> None:
    models.Alert.objects.all().delete()
    models.StatusChange.objects.all().delete()
    models.SpendEntry.objects.all().delete()
    models.Campaign.objects.all().delete()
    models.Brand.objects.all().delete()


@pytest.fixture
def counts_at(django_uow: Callable[[], Any]) -> Callable[[int], dict[str, int]]:
    def count(n: int) -> dict[str, int]:
        _empty()
        return _queries(n, django_uow)

    return count


def test_reconcile_queries_per_page_of_campaigns_not_per_campaign(
    django_uow: Callable[[], Any],
) -> None:
    def queries(n: int) -> int:
        _empty()
        _load(n)
        with CaptureQueriesContext(connection) as captured:
            result = Reconcile(django_uow, chunk_size=1000)(ReconcileCommand(NOW))
        assert (result.checked_campaigns, result.checked_brands) == (n, 1)
        return len(captured)

    # One page of campaigns at 100, two at 2,000: one page more costs a few queries, and
    # on SQLite one more ledger statement per TOTALS_CHUNK windows (two per campaign).
    small, large = queries(100), queries(2000)
    assert small <= 16, small
    chunks = 0 if connection.vendor == "postgresql" else 2 * 2000 // TOTALS_CHUNK
    assert large - small <= 6 + chunks, (small, large)


def test_sweeps_and_spend_batches_query_the_same_for_100_and_2000_campaigns(
    counts_at: Callable[[int], dict[str, int]],
) -> None:
    small = counts_at(100)
    large = counts_at(2000)
    assert small == large
    # Nothing due costs a handful of index probes.
    assert all(small[f"{name} idle"] <= 8 for name in SWEEPS), small


# -- reports ---------------------------------------------------------------------------------


def _report_queries(n: int) -> dict[str, int]:
    """Queries of an n-day series (campaign and brand) and of the pacing report of a brand
    of n campaigns with windows, each with roll-up rows for every day and campaign."""
    from entrypoints import reports

    from .conftest import TODAY

    _empty()
    brand_id = bulk_campaigns(
        "Acme",
        "Europe/Berlin",
        n,
        spent="50",
        windows_text="4 09:00:00 17:00:00;5 09:00:00 17:00:00",
    )
    campaign_ids = list(models.Campaign.objects.order_by("pk").values_list("pk", flat=True))
    days = [TODAY - timedelta(days=i) for i in range(n)]
    models.CampaignDay.objects.bulk_create(
        models.CampaignDay(campaign_id=c, day=d, spend=Decimal("1.5"), budget=Decimal(100))
        for c in campaign_ids
        for d in days
    )
    models.BrandDay.objects.bulk_create(
        models.BrandDay(brand_id=brand_id, day=d, spend=Decimal(n) * Decimal("1.5"), budget=None)
        for d in days
    )
    counts: dict[str, int] = {}
    for name, read in (
        ("campaign series", lambda: reports.campaign_series(campaign_ids[0], days[-1], TODAY)),
        ("brand series", lambda: reports.brand_series(brand_id, days[-1], TODAY)),
        ("pacing report", lambda: reports.pacing_report(brand_id, NOW)),
    ):
        with CaptureQueriesContext(connection) as captured:
            rows = read()
        assert len(rows) == (2 * n if name == "pacing report" else n), name
        counts[name] = len(captured)
    return counts


@pytest.mark.django_db
def test_series_and_the_pacing_report_query_the_same_for_1_and_20_days_or_campaigns() -> None:
    small, large = _report_queries(1), _report_queries(20)
    assert small == large
    assert small == {"campaign series": 2, "brand series": 2, "pacing report": 3}, small
