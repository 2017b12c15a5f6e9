"""How the admin shows the domain: money as operators read it, budget bars, holds in words,
links between lists, and the counts of large lists."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal

from django.core.paginator import Paginator
from django.db import connections
from django.db.models import QuerySet
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.html import format_html
from django.utils.safestring import SafeString

from core.entities import Band, BudgetUse, Hold, Money
from entrypoints.container import get_container

BAR_COLOURS = {Band.UNDER: "#3f8f3f", Band.NEAR: "#c98200", Band.EXHAUSTED: "#ba2121"}


def now() -> datetime:
    return get_container().clock().now()


def amount(value: Money) -> str:
    """Money as operators read it: cents, or every significant micro."""
    cents = value.amount.quantize(Decimal("0.01"))
    return f"{cents:,}" if cents == value.amount else f"{value.amount.normalize():,f}"


def budget_bar(use: BudgetUse, currency: str) -> SafeString | str:
    """Spend against its budget as a small inline bar, green, amber once nearly used and red
    once exhausted; spend alone where no budget is set."""
    if use.budget is None or use.percent is None or use.band is None:
        return f"{amount(use.spend)} {currency}"
    return format_html(
        '<div style="display:flex;align-items:center;gap:6px;white-space:nowrap">'
        '<div style="width:90px;height:8px;background:#e3e3e3;border-radius:4px;'
        'overflow:hidden"><div style="width:{}%;height:100%;background:{}"></div></div>'
        "<span>{} / {} {} ({}%)</span></div>",
        min(use.percent, Decimal(100)).quantize(Decimal(1)),
        BAR_COLOURS[use.band],
        amount(use.spend),
        amount(use.budget),
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
