"""Integration tests: the Django adapters on a real database, SQLite by default and
PostgreSQL when DATABASE_URL names one.

Django is configured here, not for the whole suite, so `pytest tests/unit` never needs
Django settings. When `pytest tests` runs both folders, Django is set up as soon as this
folder is collected; the unit tests do not notice."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from .services import private_postgres, private_rabbit, private_redis

__all__ = ["private_postgres", "private_rabbit", "private_redis"]  # fixtures for every test here

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "entrypoints.settings")
# The settings refuse to start without a SECRET_KEY unless told it is fine (tests only).
os.environ.setdefault("BUDGET_ALLOW_INSECURE_KEY", "1")
# The test run's own metrics files, not the checkout's var/metrics (which `make run` uses).
if "PROMETHEUS_MULTIPROC_DIR" not in os.environ:
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="budget-test-metrics-")
    atexit.register(shutil.rmtree, os.environ["PROMETHEUS_MULTIPROC_DIR"], ignore_errors=True)


def pytest_configure(config: pytest.Config) -> None:
    import django

    django.setup()


# A Friday in the middle of a month, far from DST changes in the zones used here.
NOW = datetime(2026, 6, 12, 12, 0, tzinfo=UTC)
TODAY = date(2026, 6, 12)


def bulk_campaigns(name: str, timezone: str, count: int, spent: str = "0", **columns: Any) -> int:
    """A brand and `count` active campaigns written in bulk (not through the use cases),
    each as the core computes it at NOW with `spent` of its 100 daily budget today, then
    `columns` set on every row. Returns the brand's id."""
    from decimal import Decimal

    from adapters.django_orm import mappers, models
    from core.entities import Brand, BrandId, Campaign, CampaignId, Cause, Money, Period
    from core.entities.budget import Counter

    brand = Brand.create(name=name, timezone=timezone)
    brand.id = BrandId(models.Brand.objects.create(**mappers.brand_fields(brand)).pk)
    template = Campaign.create(
        brand_id=brand.id,
        name="template",
        daily_budget="100",
        monthly_budget="3000",
        start_date=(TODAY - timedelta(days=10)).isoformat(),
        end_date=(TODAY + timedelta(days=10)).isoformat(),
    )
    template.id = CampaignId(1)
    template.launch()
    if Decimal(spent):
        template.daily = Counter(TODAY, Money.of(Decimal(spent)))
        template.monthly = Counter(Period.MONTH.containing(NOW, timezone), Money.of(spent))
    template.refresh(brand, NOW, Cause.SPEND, "test")
    fields = {**mappers.campaign_fields(template), **columns}
    models.Campaign.objects.bulk_create(
        [models.Campaign(brand_id=brand.id, **{**fields, "name": f"c{i}"}) for i in range(count)],
        batch_size=500,
    )
    return int(brand.id)


@pytest.fixture(scope="session")
def django_db_modify_db_settings(
    django_db_modify_db_settings_parallel_suffix: None,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """Each test run gets a test database of its own (an SQLite file in a fresh temporary
    directory, or a PostgreSQL database named after the process), so two runs side by side
    in one checkout or on one server never drop each other's tables."""
    from django.conf import settings

    for alias, db in settings.DATABASES.items():
        test = db.setdefault("TEST", {})
        if db["ENGINE"] == "django.db.backends.sqlite3":
            test["NAME"] = str(tmp_path_factory.mktemp("db") / f"test_{alias}.sqlite3")
        else:
            test["NAME"] = f"{test.get('NAME') or 'test_' + db['NAME']}_{os.getpid()}"


def on_postgres() -> bool:
    from django.db import connection

    return connection.vendor == "postgresql"


def stored_audit(campaign_id: int) -> list[Any]:
    """A campaign's audit entries as committed, oldest first, read from their table (the
    audit port only writes them; people read the log in the admin)."""
    from adapters.django_orm import mappers, models
    from core.entities import AuditEntry, CampaignId, Cause, Status

    rows = models.StatusChange.objects.filter(campaign_id=campaign_id).order_by("pk")
    return [
        AuditEntry(
            campaign_id=CampaignId(row.campaign_id),
            from_status=None if row.from_status is None else Status(row.from_status),
            to_status=Status(row.to_status),
            holds=mappers.holds_from(row.holds),
            cause=Cause(row.cause),
            actor=row.actor,
            at=row.at,
        )
        for row in rows
    ]


@pytest.fixture
def django_uow(transactional_db: None) -> Iterator[Callable[[], Any]]:
    """The Django unit of work factory on a database emptied after the test. (A durable
    transaction cannot run inside the per-test transaction of the plain `db` fixture.)"""
    from adapters.django_orm.unit_of_work import DjangoUnitOfWork

    yield DjangoUnitOfWork
