"""Migrations that change stored data's shape, run forward on a database with rows in it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from .migrating import migrate, migrated_to

BEFORE = ("budget", "0005_campaign_windows_text")
WIDENED = ("budget", "0006_counters_hold_sums")


@pytest.fixture
def at_0005(transactional_db: None) -> Iterator[Any]:
    with migrated_to(BEFORE) as apps:
        yield apps


def test_widening_the_counters_keeps_every_value_and_recomputes_the_reached_flags(
    at_0005: Any,
) -> None:
    brand_model = at_0005.get_model("budget", "Brand")
    campaign_model = at_0005.get_model("budget", "Campaign")
    brand = brand_model.objects.create(
        name="Acme", daily_spend=Decimal("123.456789"), monthly_spend=Decimal("999999999.5")
    )
    common = {"brand": brand, "start_date": date(2026, 6, 1), "monthly_budget": Decimal(5000)}
    over = campaign_model.objects.create(
        name="over", daily_budget=Decimal(100), daily_spend=Decimal("100.000001"), **common
    )
    under = campaign_model.objects.create(
        name="under", daily_budget=Decimal(100), daily_spend=Decimal("99.999999"), **common
    )

    apps = migrate(WIDENED)

    campaigns = apps.get_model("budget", "Campaign").objects
    flags = dict(campaigns.values_list("name", "daily_reached"))
    assert flags == {"over": True, "under": False}
    assert campaigns.get(pk=over.pk).daily_spend == Decimal("100.000001")
    assert campaigns.get(pk=under.pk).daily_spend == Decimal("99.999999")
    brands = apps.get_model("budget", "Brand").objects
    stored = brands.get(pk=brand.pk)
    assert (stored.daily_spend, stored.monthly_spend) == (
        Decimal("123.456789"),
        Decimal("999999999.5"),
    )
    # Past the old width (twelve integer digits).
    campaigns.filter(pk=under.pk).update(monthly_spend=Decimal("5000000000000"))
    assert campaigns.get(pk=under.pk).monthly_spend == Decimal("5000000000000")
    assert campaigns.get(pk=under.pk).monthly_reached is True
