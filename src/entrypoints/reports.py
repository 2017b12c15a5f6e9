"""The read side of the reports: daily spend series, the pacing report and CSV.

Rows are read with the Django ORM and turned into entities by the adapter's mappers; every
pacing figure is the core's own (`Campaign.pacing`, `Brand.pacing`), so the API, the admin
and the exports show the same numbers. Each report costs a fixed number of queries whatever
the number of campaigns or days: a series is two (the subject, then one indexed range of
roll-up rows), the pacing report three (the brand, its campaigns' roll-up rows of yesterday,
and the campaigns with their windows)."""

from __future__ import annotations

import csv
import enum
import io
from collections.abc import Collection, Iterable, Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

import attrs

from adapters.django_orm import models
from adapters.django_orm.mappers import (
    BRAND_READ_COLUMNS,
    CAMPAIGN_READ_COLUMNS,
    brand_from_values,
    campaign_from_values,
)
from core.entities import (
    Brand,
    Campaign,
    InvalidInput,
    Money,
    NotFound,
    Pacing,
    Period,
    PeriodPlan,
)
from core.entities.time import EARLIEST_DATE, day_start, days_between, local_date

if TYPE_CHECKING:
    from entrypoints.api.schemas import BudgetUse, SpendReport

# A series covers at most a year (a leap year's every day), read in one query.
MAX_SERIES_DAYS = 366
# Without dates, a series covers the last 30 brand-local days up to today.
DEFAULT_SERIES_DAYS = 30
# How far before a series' first day a row is looked for, whose budget the first days
# without a row carry; with none in that month, they carry the current budget.
BUDGET_LOOKBACK = timedelta(days=31)

# -- daily series ------------------------------------------------------------------------


@attrs.frozen
class DayRow:
    """One brand-local day of a series: its spend, and the daily budget in force that day
    (None: the brand had no daily budget)."""

    day: date
    spend: Decimal
    budget: Decimal | None


@attrs.frozen
class Series:
    """A campaign's or brand's spend on every day from `start` to `end` (both included)."""

    subject: str  # "campaign" or "brand"
    subject_id: int
    currency: str
    timezone: str
    start: date
    end: date
    days: tuple[DayRow, ...]


def check_range(start: date, end: date) -> None:
    """Raise InvalidInput naming `to` when the range ends before it starts or covers more
    than MAX_SERIES_DAYS days."""
    if end < start:
        raise InvalidInput.on("to", f"{end} is before from ({start})")
    if (end - start).days + 1 > MAX_SERIES_DAYS:
        raise InvalidInput.on(
            "to", f"the range from {start} to {end} is over {MAX_SERIES_DAYS} days"
        )


def campaign_series(campaign_id: int, start: date, end: date) -> list[DayRow]:
    """A campaign's spend on every brand-local day from `start` to `end`. Raises
    InvalidInput (`to`) for a range that is backwards or too long, NotFound
    (`campaign_id`) for an unknown campaign."""
    return list(campaign_spend(campaign_id, start, end).days)


def brand_series(brand_id: int, start: date, end: date) -> list[DayRow]:
    """A brand's spend (all its campaigns) on every brand-local day from `start` to `end`.
    Raises InvalidInput (`to`), NotFound (`brand_id`)."""
    return list(brand_spend(brand_id, start, end).days)


def campaign_spend(
    campaign_id: int, start: date | None, end: date | None, now: datetime | None = None
) -> Series:
    """As `campaign_series`, with either date left out taken from `now` (a missing end is
    the brand's today, a missing start 30 days before the end)."""
    subject = (
        models.Campaign.objects.filter(pk=campaign_id)
        .values("daily_budget", "brand__currency", "brand__timezone")
        .first()
    )
    if subject is None:
        _check_given(start, end)
        raise NotFound.on("campaign_id", f"campaign {campaign_id} does not exist")
    owner = _Owner(
        "campaign",
        campaign_id,
        subject["brand__currency"],
        subject["brand__timezone"],
        subject["daily_budget"],
    )
    return _series(owner, start, end, now)


def brand_spend(
    brand_id: int, start: date | None, end: date | None, now: datetime | None = None
) -> Series:
    """As `brand_series`, with dates left out taken from `now` as `campaign_spend` does."""
    subject = (
        models.Brand.objects.filter(pk=brand_id)
        .values("daily_budget", "currency", "timezone")
        .first()
    )
    if subject is None:
        _check_given(start, end)
        raise NotFound.on("brand_id", f"brand {brand_id} does not exist")
    owner = _Owner(
        "brand", brand_id, subject["currency"], subject["timezone"], subject["daily_budget"]
    )
    return _series(owner, start, end, now)


def _check_given(start: date | None, end: date | None) -> None:
    # A range that is wrong as given is refused as such, whether or not the subject exists.
    if start is not None and end is not None:
        check_range(start, end)


def resolve_range(start: date | None, end: date | None, today: date) -> tuple[date, date]:
    """The range a request means: a missing end is the brand's `today`, a missing start the
    30 days up to the end. Raises InvalidInput naming the date sent that is at fault."""
    if end is not None:
        if start is None:
            start = max(end - timedelta(days=DEFAULT_SERIES_DAYS - 1), EARLIEST_DATE)
        check_range(start, end)
        return start, end
    if start is None:
        return max(today - timedelta(days=DEFAULT_SERIES_DAYS - 1), EARLIEST_DATE), today
    if start > today:
        raise InvalidInput.on("from", f"{start} is after the brand's today ({today}); send `to`")
    if (today - start).days + 1 > MAX_SERIES_DAYS:
        raise InvalidInput.on(
            "from", f"is over {MAX_SERIES_DAYS} days before the brand's today ({today})"
        )
    return start, today


@attrs.frozen
class _Owner:
    """Whose series it is, with what it needs from the subject's row."""

    subject: str  # "campaign" or "brand"
    id: int
    currency: str
    timezone: str
    budget: Decimal | None  # the current daily budget


def _series(owner: _Owner, start: date | None, end: date | None, now: datetime | None) -> Series:
    if start is None or end is None:
        if now is None:
            raise ValueError("a range without both dates needs `now`")
        start, end = resolve_range(start, end, local_date(now, owner.timezone))
    else:
        check_range(start, end)
    table = models.CampaignDay if owner.subject == "campaign" else models.BrandDay
    # The range's rows and those of the BUDGET_LOOKBACK days before it (the budget of the
    # nearest carries into the first days without a row), newest first, by listing the days:
    # one probe per day of the index, which for campaigns leads with the day.
    listed = days_between(start - BUDGET_LOOKBACK, end)
    rows = list(
        table.objects.filter(**{f"{owner.subject}_id": owner.id}, day__in=listed)
        .order_by("-day")
        .values_list("day", "spend", "budget")
    )
    days = _filled(rows, start, end, owner.budget)
    return Series(owner.subject, owner.id, owner.currency, owner.timezone, start, end, days)


def _filled(
    rows: Sequence[tuple[date, Decimal, Decimal | None]],
    start: date,
    end: date,
    current_budget: Decimal | None,
) -> tuple[DayRow, ...]:
    """Every day from start to end: a day without a row has no spend and the budget of the
    nearest earlier row (`rows` are newest first; the current budget when no row is
    earlier)."""
    by_day = {day: (spend, budget) for day, spend, budget in rows}
    earlier = [row for row in rows if row[0] < start]
    budget = earlier[0][2] if earlier else current_budget
    days = []
    day = start
    while day <= end:
        if day in by_day:
            spend, budget = by_day[day]
        else:
            spend = Decimal(0)
        days.append(DayRow(day, spend, budget))
        day += timedelta(days=1)
    return tuple(days)


# -- pacing ------------------------------------------------------------------------------


@attrs.frozen
class PacingRow:
    """One period's pacing of a brand or one of its campaigns (the core's figures)."""

    subject: str  # "brand" or "campaign"
    id: int
    name: str
    brand_id: int
    currency: str
    status: str  # the campaign's status; "" for the brand
    period: str  # "daily" or "monthly"
    spend: Decimal
    budget: Decimal
    expected: Decimal
    pace: Decimal | None
    forecast: Decimal
    run_out: datetime | None
    band: str  # "under", "on", "over"; "" before any scheduled time elapsed


@attrs.frozen
class PacingReport:
    brand_id: int
    currency: str
    at: datetime
    rows: tuple[PacingRow, ...]


def pacing_report(
    brand_id: int, now: datetime, campaign_ids: Collection[int] | None = None
) -> list[PacingRow]:
    """The brand's pacing rows (for each period it has a budget for), then each campaign's
    daily and monthly row, campaigns in id order, as of `now`; only the campaigns named in
    `campaign_ids` when it is given (none: the brand's rows alone). Raises NotFound
    (`brand_id`)."""
    return list(brand_pacing(brand_id, now, campaign_ids).rows)


def brand_pacing(
    brand_id: int, now: datetime, campaign_ids: Collection[int] | None = None
) -> PacingReport:
    """As `pacing_report`, with the brand's currency. Raises NotFound (`brand_id`)."""
    values = models.Brand.objects.filter(pk=brand_id).values(*BRAND_READ_COLUMNS).first()
    if values is None:
        raise NotFound.on("brand_id", f"brand {brand_id} does not exist")
    brand = brand_from_values(values)
    campaigns = models.Campaign.objects.filter(brand_id=brand_id).order_by("id")
    if campaign_ids is not None:
        campaigns = campaigns.filter(id__in=campaign_ids)
    chosen = [campaign_from_values(v) for v in campaigns.values(*CAMPAIGN_READ_COLUMNS)]
    return pacing_of(brand, chosen, now, whole_brand=campaign_ids is None)


def pacing_of(
    brand: Brand, campaigns: Sequence[Campaign], now: datetime, *, whole_brand: bool
) -> PacingReport:
    """The pacing rows of `brand` and of `campaigns` (some of its own, in the order given),
    already read; `whole_brand` when they are all of the brand's campaigns."""
    tz = brand.timezone
    yesterday = local_date(now, tz) - timedelta(days=1)
    # Any instant of yesterday names it: its plan is the whole of yesterday.
    in_yesterday = day_start(yesterday, tz)
    # Yesterday's row of each campaign: one probe of the (day, campaign) index each.
    ids = [c.id for c in campaigns]
    days = models.CampaignDay.objects.filter(day=yesterday, campaign_id__in=ids)
    spent_yesterday = dict(days.values_list("campaign_id", "spend")) if ids else {}
    if whole_brand:
        # The brand's row of a day is the sum of its campaigns' rows: no query of its own.
        brand_spent = sum(spent_yesterday.values(), Decimal(0)) if spent_yesterday else None
    else:
        brand_day = models.BrandDay.objects.filter(brand_id=brand.id, day=yesterday)
        brand_spent = brand_day.values_list("spend", flat=True).first()
    brand_rate = _rate(brand_spent, brand.plan(Period.DAY, in_yesterday))
    rows = [
        _row(brand, "brand", brand.id, brand.name, "", pacing)
        for pacing in (
            brand.pacing(Period.DAY, now, brand_rate),
            brand.pacing(Period.MONTH, now),
        )
        if pacing is not None
    ]
    for campaign in campaigns:
        rate = _rate(spent_yesterday.get(campaign.id), campaign.plan(Period.DAY, in_yesterday, tz))
        status = campaign.status.value
        for pacing in (
            campaign.pacing(Period.DAY, now, tz, rate),
            campaign.pacing(Period.MONTH, now, tz),
        ):
            rows.append(_row(brand, "campaign", campaign.id, campaign.name, status, pacing))
    return PacingReport(brand.id, brand.currency, now, tuple(rows))


def _rate(spend: Decimal | None, yesterday: PeriodPlan) -> Money | None:
    """Yesterday's spend per scheduled hour; None without a roll-up row for it (nothing is
    known of that day) or without scheduled time."""
    return None if spend is None else yesterday.hourly_rate(Money.of(spend))


def _row(brand: Brand, subject: str, id: int, name: str, status: str, p: Pacing) -> PacingRow:
    return PacingRow(
        subject=subject,
        id=id,
        name=name,
        brand_id=brand.id,
        currency=brand.currency,
        status=status,
        period=p.period,
        spend=p.spend.amount,
        budget=p.budget.amount,
        expected=p.expected.amount,
        pace=p.pace,
        forecast=p.forecast.amount,
        run_out=p.run_out,
        band="" if p.band is None else p.band.value,
    )


# -- CSV ---------------------------------------------------------------------------------

SERIES_COLUMNS = ("day", "spend", "budget")
PACING_COLUMNS = tuple(field.name for field in attrs.fields(PacingRow))
SPEND_COLUMNS = (
    "subject",
    "id",
    "name",
    "currency",
    "state",
    "status",
    "holds",
    "day",
    "day_spend",
    "daily_budget",
    "day_remaining",
    "day_percent",
    "month",
    "month_spend",
    "monthly_budget",
    "month_remaining",
    "month_percent",
)

# A cell a spreadsheet would run as a formula (a campaign named "=HYPERLINK(…)") is written
# with a leading apostrophe, which spreadsheets show as text and hide.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def plain(amount: Decimal) -> str:
    """An amount as plain decimal text without trailing zeros ("12.5", "100", "0"), as
    Money prints it."""
    return str(Money(amount))


def instant(value: datetime) -> str:
    """An instant as ISO 8601 in UTC, to the microsecond ("2026-06-12T17:30:00Z")."""
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def cell(value: object) -> str:
    """A value as CSV text: amounts plain, dates and instants ISO 8601, None empty."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return plain(value)
    if isinstance(value, datetime):
        return instant(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        value = value.value
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def to_csv(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """RFC 4180 text: the header row, then one line per row (CRLF line ends)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows([cell(value) for value in row] for row in rows)
    return out.getvalue()


def series_rows(days: Iterable[DayRow]) -> list[tuple[object, ...]]:
    """SERIES_COLUMNS of each day."""
    return [(d.day, d.spend, d.budget) for d in days]


def pacing_rows(rows: Iterable[PacingRow]) -> list[tuple[object, ...]]:
    """PACING_COLUMNS of each row."""
    return [attrs.astuple(row, recurse=False) for row in rows]


def spend_rows(report: SpendReport) -> list[tuple[object, ...]]:
    """SPEND_COLUMNS of the spend report: the brand first, then each campaign."""
    brand = report.brand
    day, month = report.day, report.month
    rows: list[tuple[object, ...]] = [
        (
            "brand",
            brand.id,
            brand.name,
            brand.currency,
            "",
            "",
            "",
            day,
            *_use(report.today),
            month,
            *_use(report.this_month),
        )
    ]
    rows.extend(
        (
            "campaign",
            line.id,
            line.name,
            brand.currency,
            line.state,
            line.status,
            " ".join(line.holds),
            day,
            *_use(line.today),
            month,
            *_use(line.this_month),
        )
        for line in report.campaigns
    )
    return rows


def _use(use: BudgetUse) -> tuple[object, ...]:
    return use.spend, use.budget, use.remaining, use.percent


__all__ = [
    "DEFAULT_SERIES_DAYS",
    "MAX_SERIES_DAYS",
    "PACING_COLUMNS",
    "SERIES_COLUMNS",
    "SPEND_COLUMNS",
    "DayRow",
    "PacingReport",
    "PacingRow",
    "Series",
    "brand_pacing",
    "brand_series",
    "brand_spend",
    "campaign_series",
    "campaign_spend",
    "check_range",
    "pacing_report",
    "pacing_rows",
    "series_rows",
    "spend_rows",
    "to_csv",
]
