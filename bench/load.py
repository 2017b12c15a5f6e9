"""Bulk loading: brands across time zones, and N campaigns replicated from a few templates
per brand whose holds, counters and due times the core computed (Campaign.refresh)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.core.management import call_command
from django.db import connection

from adapters.django_orm import mappers, models
from core.entities import Brand, BrandId, Campaign, CampaignId, Cause, Money, Period, Window
from core.entities.budget import Counter

TIMEZONES = (
    "UTC",
    "Europe/London",
    "Europe/Berlin",
    "America/New_York",
    "America/Los_Angeles",
    "America/Sao_Paulo",
    "Asia/Tokyo",
    "Asia/Kolkata",
    "Australia/Sydney",
    "Pacific/Auckland",
)
CAMPAIGNS_PER_BRAND = 1000
WINDOWS = (*(Window(d, time(8), time(20)) for d in (1, 3, 5)), Window(6, time(22), time(2)))
CAMPAIGN_COLUMNS = ("id", "brand_id", *mappers.CAMPAIGN_COLUMNS, "windows_text")


def _brand(brand_id: int, now: datetime) -> Brand:
    tz = TIMEZONES[brand_id % len(TIMEZONES)]
    capped = brand_id % 10 == 0
    brand = Brand.create(
        name=f"brand {brand_id}",
        timezone=tz,
        daily_budget="100000000" if capped else None,
        monthly_budget="3000000000" if capped else None,
    )
    brand.id = BrandId(brand_id)
    brand.daily = Counter(Period.DAY.containing(now, tz), Money.of(Decimal("5000")))
    brand.monthly = Counter(Period.MONTH.containing(now, tz), Money.of(Decimal("90000")))
    brand.reset_due_at = brand.next_reset_at(now)
    return brand


def _templates(brand: Brand, now: datetime) -> list[tuple[Campaign, tuple[Window, ...]]]:
    """Four shapes: with and without windows; spend at 60 % and 97 % of the daily budget."""
    tz = brand.timezone
    today = Period.DAY.containing(now, tz)
    out = []
    for windows in ((), WINDOWS):
        for share in (Decimal("0.60"), Decimal("0.97")):
            campaign = Campaign.create(
                brand_id=brand.id,
                name="template",
                daily_budget="100",
                monthly_budget="3000",
                start_date=(today - timedelta(days=30)).isoformat(),
                end_date=(today + timedelta(days=60)).isoformat(),
            )
            campaign.id = CampaignId(1)
            campaign.launch()
            campaign.replace_windows(windows)
            campaign.daily = Counter(today, Money.of(100 * share))
            campaign.monthly = Counter(Period.MONTH.containing(now, tz), Money.of(1500 * share))
            campaign.refresh(brand, now, Cause.SPEND, "bench")
            out.append((campaign, windows))
    return out


def build(n: int, now: datetime | None = None) -> dict[str, Any]:
    """Empty the budget tables (migrating a fresh database first) and load `n` campaigns."""
    now = now or datetime.now(UTC)
    call_command("migrate", verbosity=0)
    tables = [
        m._meta.db_table
        for m in (
            models.CampaignDay,
            models.BrandDay,
            models.Alert,
            models.StatusChange,
            models.SpendEntry,
            models.Window,
            models.Campaign,
            models.Brand,
        )
    ]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")
        else:
            for table in tables:
                cursor.execute(f"DELETE FROM {table}")
    n_brands = max(1, -(-n // CAMPAIGNS_PER_BRAND))
    brands = [_brand(i, now) for i in range(1, n_brands + 1)]
    models.Brand.objects.bulk_create(
        [models.Brand(id=b.id, **mappers.brand_fields(b)) for b in brands], batch_size=1000
    )
    templates = {b.id: _templates(b, now) for b in brands}
    prepared: dict[tuple[int, int], list[Any]] = {}
    fields = [models.Campaign._meta.get_field(c) for c in mappers.CAMPAIGN_COLUMNS]
    for brand_id, shapes in templates.items():
        for t, (campaign, windows) in enumerate(shapes):
            values = mappers.campaign_fields(campaign)
            if connection.vendor == "postgresql":
                prepared[(brand_id, t)] = [values[c] for c in mappers.CAMPAIGN_COLUMNS]
            else:
                prepared[(brand_id, t)] = [
                    f.get_db_prep_save(values[c], connection)  # type: ignore[union-attr]
                    for f, c in zip(fields, mappers.CAMPAIGN_COLUMNS, strict=True)
                ]
            prepared[(brand_id, t)].append(mappers.windows_to_text(windows))

    def campaign_rows() -> Any:
        for cid in range(1, n + 1):
            brand_id = (cid - 1) // CAMPAIGNS_PER_BRAND + 1
            row = list(prepared[(brand_id, cid % 4)])
            row[0] = f"campaign {cid}"
            yield [cid, brand_id, *row]

    def window_rows() -> Any:
        for cid in range(1, n + 1):
            if cid % 4 >= 2:
                for w in WINDOWS:
                    yield [cid, w.day_of_week, w.start, w.end]

    _insert(models.Campaign._meta.db_table, CAMPAIGN_COLUMNS, campaign_rows())
    _insert(
        models.Window._meta.db_table,
        ("campaign_id", "day_of_week", "start_time", "end_time"),
        window_rows(),
    )
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            for table, last in (
                (models.Brand._meta.db_table, n_brands),
                (models.Campaign._meta.db_table, n),
            ):
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), %s)", [last]
                )
            cursor.execute("ANALYZE")
        else:
            cursor.execute("ANALYZE")
    return {"brands": n_brands, "campaigns": n}


def _insert(table: str, columns: tuple[str, ...], rows: Any) -> None:
    """COPY on PostgreSQL; executemany in chunks on SQLite."""
    names = ", ".join(columns)
    if connection.vendor == "postgresql":
        connection.ensure_connection()
        raw = connection.connection
        with raw.cursor() as cursor, cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        raw.commit() if not raw.autocommit else None
        return
    placeholders = ", ".join(["?"] * len(columns))
    connection.ensure_connection()
    raw = connection.connection
    chunk: list[Any] = []
    for row in rows:
        chunk.append([_sqlite(v) for v in row])
        if len(chunk) == 50_000:
            raw.executemany(f"INSERT INTO {table} ({names}) VALUES ({placeholders})", chunk)
            chunk = []
    if chunk:
        raw.executemany(f"INSERT INTO {table} ({names}) VALUES ({placeholders})", chunk)
    raw.commit()


def _sqlite(value: Any) -> Any:
    return value.isoformat() if isinstance(value, time) else value


__all__ = ["build"]
