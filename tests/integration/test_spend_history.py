"""The spend history on the database: what RecordSpend writes, what the data migration fills
from an older ledger, and what `rebuild_spend_history` recomputes, always equal to the ledger
grouped by brand-local day."""

from __future__ import annotations

import io
from collections import defaultdict
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.management import CommandError, call_command

from adapters.django_orm import models
from adapters.in_memory import FixedClock
from core.entities import Brand, Campaign
from core.use_cases.brands import CreateBrand, CreateBrandCommand
from core.use_cases.campaigns import (
    CampaignActionCommand,
    CreateCampaign,
    CreateCampaignCommand,
    LaunchCampaign,
)
from core.use_cases.record_spend import RecordSpend, RecordSpendCommand

from .conftest import NOW
from .migrating import migrate, migrated_to

NY = "America/New_York"
TOKYO = "Asia/Tokyo"
BEFORE_HISTORY = ("budget", "0006_counters_hold_sums")
FILLED = ("budget", "0008_fill_spend_history")

Rows = dict[tuple[int, date], tuple[Decimal, Decimal | None]]


def campaign_rows() -> Rows:
    return {
        (r.campaign_id, r.day): (r.spend, r.budget)
        for r in models.CampaignDay.objects.order_by("campaign_id", "day")
    }


def brand_rows() -> Rows:
    return {
        (r.brand_id, r.day): (r.spend, r.budget)
        for r in models.BrandDay.objects.order_by("brand_id", "day")
    }


def ledger_by_local_day() -> tuple[Rows, Rows]:
    """The ledger grouped per (campaign, local day) and per (brand, local day), with each
    campaign's and brand's current daily budget: what the history must hold."""
    campaigns: dict[tuple[int, date], Decimal] = defaultdict(Decimal)
    brands: dict[tuple[int, date], Decimal] = defaultdict(Decimal)
    entries = models.SpendEntry.objects.values_list(
        "campaign_id", "campaign__brand_id", "campaign__brand__timezone", "occurred_at", "amount"
    )
    for campaign_id, brand_id, tz, occurred_at, amount in entries:
        day = occurred_at.astimezone(ZoneInfo(tz)).date()
        campaigns[(campaign_id, day)] += amount
        brands[(brand_id, day)] += amount
    campaign_budget = dict(models.Campaign.objects.values_list("pk", "daily_budget"))
    brand_budget = dict(models.Brand.objects.values_list("pk", "daily_budget"))
    return (
        {k: (v, campaign_budget[k[0]]) for k, v in campaigns.items()},
        {k: (v, brand_budget[k[0]]) for k, v in brands.items()},
    )


class Service:
    """The use cases on the Django unit of work, at NOW."""

    def __init__(self, uow: Callable[[], Any]) -> None:
        clock = FixedClock(NOW)
        self._create_brand = CreateBrand(uow)
        self._create_campaign = CreateCampaign(uow, clock)
        self._launch = LaunchCampaign(uow, clock)
        self.record = RecordSpend(uow, clock)

    def brand(self, name: str, tz: str, daily_budget: str | None = None) -> Brand:
        return self._create_brand(
            CreateBrandCommand(name=name, timezone=tz, daily_budget=daily_budget)
        )

    def campaign(self, brand: Brand, name: str, daily: str = "1000") -> Campaign:
        created = self._create_campaign(
            CreateCampaignCommand(
                brand_id=brand.id,
                name=name,
                daily_budget=daily,
                monthly_budget="100000",
                start_date=(NOW - timedelta(days=40)).date().isoformat(),
            )
        )
        return self._launch(CampaignActionCommand(created.id, actor="ops"))

    def spend(self, events: list[dict[str, object]]) -> None:
        self.record(RecordSpendCommand(events))


def spread_events(campaigns: list[Campaign], count: int, tag: str) -> list[dict[str, object]]:
    """Events over the last three days, every few hours, so that they straddle the local
    midnights of every zone used here."""
    return [
        {
            "campaign_id": campaigns[n % len(campaigns)].id,
            "amount": f"{n % 7 + 1}.{n:06d}",
            "key": f"{tag}-{n}",
            "occurred_at": (NOW - timedelta(hours=7 * n + 1)).isoformat(),
        }
        for n in range(count)
    ]


@pytest.fixture
def service(django_uow: Callable[[], Any]) -> Service:
    return Service(django_uow)


def test_record_spend_keeps_the_history_equal_to_the_ledger_by_local_day(
    service: Service,
) -> None:
    acme = service.brand("Acme", NY, daily_budget="5000")
    tokyo = service.brand("Tokyo", TOKYO)
    campaigns = [service.campaign(acme, f"a{n}", daily=f"{100 + n}") for n in range(3)]
    campaigns.append(service.campaign(tokyo, "t"))
    service.spend(spread_events(campaigns, 12, "first"))
    # A second batch adds to rows the first one created, and creates others.
    service.spend(spread_events(campaigns, 9, "second") + spread_events(campaigns, 3, "first"))

    expected_campaigns, expected_brands = ledger_by_local_day()
    assert campaign_rows() == expected_campaigns
    assert brand_rows() == expected_brands
    assert len(expected_brands) > 2  # the events straddle local days in both zones
    # 03:00 UTC on the 12th is still the 11th in New York: a late event goes to that day.
    eleventh = (campaigns[0].id, date(2026, 6, 11))
    before = campaign_rows()[eleventh][0]
    late = {"amount": "1", "key": "late", "occurred_at": "2026-06-12T03:00:00+00:00"}
    service.spend([{"campaign_id": campaigns[0].id, **late}])
    assert campaign_rows()[eleventh] == (before + 1, Decimal(100))
    assert (campaign_rows(), brand_rows()) == ledger_by_local_day()


@pytest.fixture
def before_history(transactional_db: None) -> Iterator[Any]:
    with migrated_to(BEFORE_HISTORY) as apps:
        yield apps


def test_the_data_migration_fills_the_history_from_the_older_ledger(before_history: Any) -> None:
    brand_model = before_history.get_model("budget", "Brand")
    campaign_model = before_history.get_model("budget", "Campaign")
    entry_model = before_history.get_model("budget", "SpendEntry")
    ny = brand_model.objects.create(name="NY", timezone=NY, daily_budget=Decimal(900))
    utc = brand_model.objects.create(name="UTC", timezone="UTC")
    common = {"start_date": date(2026, 5, 1), "monthly_budget": Decimal(5000)}
    spring = campaign_model.objects.create(
        brand=ny, name="spring", daily_budget=Decimal(100), **common
    )
    autumn = campaign_model.objects.create(
        brand=ny, name="autumn", daily_budget=Decimal(200), **common
    )
    idle = campaign_model.objects.create(brand=utc, name="idle", daily_budget=Decimal(5), **common)

    def spent(campaign: Any, key: str, amount: str, at: datetime) -> None:
        entry_model.objects.create(
            campaign=campaign, key=key, amount=Decimal(amount), occurred_at=at, recorded_at=NOW
        )

    spent(spring, "a", "1.5", datetime.fromisoformat("2026-06-12T03:00:00+00:00"))  # the 11th
    spent(spring, "b", "2.25", datetime.fromisoformat("2026-06-12T05:00:00+00:00"))  # the 12th
    spent(spring, "c", "0.000001", datetime.fromisoformat("2026-06-12T23:00:00+00:00"))
    spent(autumn, "a", "10", datetime.fromisoformat("2026-06-11T12:00:00+00:00"))

    apps = migrate(FILLED)

    days = apps.get_model("budget", "CampaignDay").objects.order_by("campaign_id", "day")
    assert [(d.campaign_id, d.day, d.spend, d.budget) for d in days] == [
        (spring.pk, date(2026, 6, 11), Decimal("1.5"), Decimal(100)),
        (spring.pk, date(2026, 6, 12), Decimal("2.250001"), Decimal(100)),
        (autumn.pk, date(2026, 6, 11), Decimal(10), Decimal(200)),
    ]
    brand_days = apps.get_model("budget", "BrandDay").objects.order_by("brand_id", "day")
    assert [(d.brand_id, d.day, d.spend, d.budget) for d in brand_days] == [
        (ny.pk, date(2026, 6, 11), Decimal("11.5"), Decimal(900)),
        (ny.pk, date(2026, 6, 12), Decimal("2.250001"), Decimal(900)),
    ]
    assert not apps.get_model("budget", "CampaignDay").objects.filter(campaign_id=idle.pk)


def rebuild(*args: str) -> str:
    out = io.StringIO()
    call_command("rebuild_spend_history", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_rebuild_recomputes_the_history_from_the_ledger_and_is_idempotent(
    service: Service,
) -> None:
    acme = service.brand("Acme", NY, daily_budget="5000")
    tokyo = service.brand("Tokyo", TOKYO)
    campaigns = [service.campaign(acme, "a0"), service.campaign(tokyo, "t0")]
    service.spend(spread_events(campaigns, 10, "k"))
    written = (campaign_rows(), brand_rows())
    # Damage the history: a lost row, a wrong sum, a row for a day without spend.
    models.CampaignDay.objects.filter(campaign_id=campaigns[0].id).order_by("day").first().delete()  # type: ignore[union-attr]
    models.BrandDay.objects.filter(brand_id=tokyo.id).update(spend=Decimal("0.5"))
    models.CampaignDay.objects.create(
        campaign_id=campaigns[1].id, day=date(2020, 1, 1), spend=Decimal(3), budget=Decimal(1)
    )

    first = rebuild()
    assert (campaign_rows(), brand_rows()) == written == ledger_by_local_day()
    second = rebuild()
    assert (campaign_rows(), brand_rows()) == written
    assert first == second
    assert first.splitlines()[-1] == (
        f"Rebuilt the spend history of 2 brands: {len(written[0])} campaign days, "
        f"{len(written[1])} brand days"
    )


def test_rebuild_of_one_brand_leaves_the_others_alone(service: Service) -> None:
    acme = service.brand("Acme", NY)
    tokyo = service.brand("Tokyo", TOKYO)
    campaigns = [service.campaign(acme, "a0"), service.campaign(tokyo, "t0")]
    service.spend(spread_events(campaigns, 6, "k"))
    models.CampaignDay.objects.all().delete()
    models.BrandDay.objects.all().delete()

    out = rebuild("--brand-id", str(acme.id))

    assert {c for c, _ in campaign_rows()} == {campaigns[0].id}
    assert {b for b, _ in brand_rows()} == {acme.id}
    expected_campaigns, expected_brands = ledger_by_local_day()
    assert campaign_rows() == {
        k: v for k, v in expected_campaigns.items() if k[0] == campaigns[0].id
    }
    assert brand_rows() == {k: v for k, v in expected_brands.items() if k[0] == acme.id}
    assert out.splitlines()[0].startswith(f"brand {acme.id} (Acme): ")
    with pytest.raises(CommandError, match="--brand-id: no brand has id"):
        rebuild("--brand-id", str(tokyo.id + 1000))
