"""How the admin shows the domain: money as operators read it, budget bars, holds in words,
links between lists, and the counts of large lists."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.core.paginator import Paginator
from django.db import connections
from django.db.models import QuerySet
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.html import format_html
from django.utils.safestring import SafeString

from core.entities import Band, BudgetUse, Hold, Money, Status
from entrypoints.container import get_container

BAR_COLOURS = {Band.UNDER: "#3f8f3f", Band.NEAR: "#c98200", Band.EXHAUSTED: "#ba2121"}

# Text and background of each status's pill: running green, stopped amber, finished grey,
# not yet launched blue-grey.
STATUS_COLOURS = {
    Status.ACTIVE: ("#1e5e1e", "#d7efd7"),
    Status.PAUSED: ("#7a4b00", "#fbe3b5"),
    Status.COMPLETED: ("#4a4a4a", "#e4e4e4"),
    Status.DRAFT: ("#3d4f61", "#dde5ee"),
}

# ISO 4217 minor units of the currencies that do not use two; every other code shows two.
MINOR_UNITS = {
    "BHD": 3,
    "BIF": 0,
    "CLF": 4,
    "CLP": 0,
    "DJF": 0,
    "GNF": 0,
    "IQD": 3,
    "ISK": 0,
    "JOD": 3,
    "JPY": 0,
    "KMF": 0,
    "KRW": 0,
    "KWD": 3,
    "LYD": 3,
    "OMR": 3,
    "PYG": 0,
    "RWF": 0,
    "TND": 3,
    "UGX": 0,
    "UYI": 0,
    "UYW": 4,
    "VND": 0,
    "VUV": 0,
    "XAF": 0,
    "XOF": 0,
    "XPF": 0,
}


def now() -> datetime:
    return get_container().clock().now()


def minor_units(currency: str) -> int:
    """How many decimal places the currency is usually written with."""
    return MINOR_UNITS.get(currency.upper(), 2)


def money_text(value: Money | Decimal, currency: str = "", *, grouped: bool = True) -> str:
    """An amount as operators read it: to the currency's usual places, or to every
    significant place (micros at most) when those are not zero. Thousands grouped unless
    `grouped` is false (a form's value, typed back as it is shown)."""
    exact = value.amount if isinstance(value, Money) else value
    usual = exact.quantize(Decimal(1).scaleb(-minor_units(currency)))
    shown = usual if usual == exact else exact.normalize()
    return format(shown, ",f" if grouped else "f")


def format_money(value: Money | Decimal, currency: str) -> str:
    """An amount with its currency: "500.00 USD", "12.345678 USD", "1,500 JPY"."""
    return f"{money_text(value, currency)} {currency}"


def amount(value: Money, currency: str = "") -> str:
    """Money as operators read it (see money_text), without the currency's code."""
    return money_text(value, currency)


def local_time(instant: datetime | None, tz: str = "UTC") -> str:
    """An instant as the brand's wall clock shows it, with the zone's abbreviation (UTC where
    no brand applies): "2026-12-01 13:05 CET"."""
    if instant is None:
        return "—"
    shown = instant.astimezone(ZoneInfo(tz))
    return f"{shown:%Y-%m-%d %H:%M} {shown:%Z}"


def local_clock(instant: datetime, tz: str) -> str:
    """The brand's wall-clock time in full, with its zone: "Tue 1 Dec 2026 13:05 CET
    (Europe/Berlin)"."""
    shown = instant.astimezone(ZoneInfo(tz))
    return f"{shown:%a} {shown.day} {shown:%b %Y %H:%M %Z} ({tz})"


def status_pill(status: str) -> SafeString:
    """The status as a small coloured label."""
    text, background = STATUS_COLOURS.get(Status(status), ("#333", "#eee"))
    return format_html(
        '<span style="display:inline-block;padding:1px 8px;border-radius:9px;'
        'font-weight:600;color:{};background:{}">{}</span>',
        text,
        background,
        status,
    )


def budget_bar(use: BudgetUse, currency: str) -> SafeString | str:
    """Spend against its budget as a small inline bar, green, amber once nearly used and red
    once exhausted; spend alone where no budget is set. The figures wrap under the bar when
    the column is narrow rather than widening the list past the screen."""
    if use.budget is None or use.percent is None or use.band is None:
        return format_money(use.spend, currency)
    return format_html(
        '<div style="display:flex;flex-wrap:wrap;align-items:center;column-gap:6px">'
        '<div style="width:60px;height:8px;background:#e3e3e3;border-radius:4px;'
        'overflow:hidden"><div style="width:{}%;height:100%;background:{}"></div></div>'
        "<span>{} / {} {} ({}%)</span></div>",
        min(use.percent, Decimal(100)).quantize(Decimal(1)),
        BAR_COLOURS[use.band],
        amount(use.spend, currency),
        amount(use.budget, currency),
        currency,
        use.percent.quantize(Decimal(1)),
    )


def holds_in_words(names: Iterable[str]) -> str:
    holds = sorted(Hold(name) for name in names)
    return "; ".join(h.explanation for h in holds) if holds else "—"


def changelist_link(model: str, lookup: str, value: int, text: str) -> SafeString:
    url = reverse(f"admin:budget_{model}_changelist")
    return format_html('<a href="{}?{}={}">{}</a>', url, lookup, value, text)


# Past this many rows (by PostgreSQL's statistics) an unfiltered list shows the statistics'
# count instead of counting every row.
ESTIMATE_ABOVE = 100_000


class LargeTablePaginator(Paginator):  # type: ignore[type-arg]
    """Pages of a large table: the campaigns, and the records that grow without end (the
    ledger gets a row per spend event).

    An exact count reads the whole table, and the admin counts on every page: 0.1 s twice
    per page at a million campaigns, seconds at a hundred million ledger entries.
    Unfiltered, on PostgreSQL, the count is the planner's statistics for the table (kept
    up to date by autovacuum) once they pass ESTIMATE_ABOVE rows; a filtered or searched
    list, a smaller table, a table never analysed, and SQLite are counted exactly."""

    @cached_property
    def count(self) -> int:
        rows = self.object_list
        if isinstance(rows, QuerySet) and not rows.query.where:
            connection = connections[rows.db]
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute(
                        "SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass",
                        [connection.ops.quote_name(rows.model._meta.db_table)],
                    )
                    found = cursor.fetchone()
                if found is not None and found[0] > ESTIMATE_ABOVE:
                    return int(found[0])
        counted: int = super().count
        return counted
