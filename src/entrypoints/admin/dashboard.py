"""The operators' dashboard (the admin's index page), the charts and pacing blocks of the
campaign and brand change pages, and the console's CSV downloads.

Figures come from the core (Brand and Campaign pacing, PeriodPlan.expected) and from
entrypoints.reports (spend history series, the pacing report, CSV). Every page reads a fixed
number of queries whatever the number of campaigns: counts are GROUP BY queries, and a
brand's campaigns are read in one query."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

import attrs
from django.contrib import admin, messages
from django.core.paginator import Paginator
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest, HttpResponse, QueryDict
from django.urls import reverse
from django.utils.safestring import SafeString

from adapters.django_orm import mappers, models
from core.entities import (
    Band,
    Brand,
    Campaign,
    DomainError,
    Hold,
    InvalidInput,
    NotFound,
    Pacing,
    Period,
    PeriodPlan,
    State,
    Status,
    Subject,
)
from core.entities.budget import BUDGET_HOLDS
from core.entities.time import day_end, day_start, days_between, local, local_date, parse_date
from entrypoints import charts, reports
from entrypoints.admin.display import budget_bar, now
from entrypoints.api import queries

RANGES = (7, 30, 90)
DEFAULT_DAYS = 30
BRANDS_PER_PAGE = 50
LATEST_ALERTS = 20


# -- links -----------------------------------------------------------------------------------


def campaigns_url(brand_id: int | None = None, **lookups: str) -> str:
    """The campaign list, filtered as the admin's own filters would filter it."""
    if brand_id is not None:
        lookups["brand__id__exact"] = str(brand_id)
    query = urlencode(lookups)
    return reverse("admin:budget_campaign_changelist") + (f"?{query}" if query else "")


def dashboard_url(**params: object) -> str:
    query = urlencode({k: v for k, v in params.items() if v not in (None, "")})
    return reverse("admin:index") + (f"?{query}" if query else "")


@attrs.frozen
class Tally:
    label: str
    count: int
    url: str


def status_tally(rows: QuerySet[models.Campaign], brand_id: int | None) -> list[Tally]:
    """Campaigns by status: one GROUP BY query."""
    found = dict(rows.order_by().values_list("status").annotate(n=Count("id")))
    return [
        Tally(s.value, found.get(s.value, 0), campaigns_url(brand_id, status__exact=s.value))
        for s in Status
    ]


def hold_tally(rows: QuerySet[models.Campaign], brand_id: int | None) -> list[Tally]:
    """Campaigns by hold (a campaign with two holds counts under both): one GROUP BY query
    over the stored sets of holds, of which there are a few dozen at most."""
    counts: Counter[str] = Counter()
    for text, n in rows.order_by().values_list("holds").annotate(n=Count("id")):
        for name in models.holds_names(text) or ["none"]:
            counts[name] += n
    tally = [Tally("no hold", counts["none"], campaigns_url(brand_id, hold="none"))]
    tally += [
        Tally(h.explanation, counts[h.value], campaigns_url(brand_id, hold=h.value))
        for h in Hold
        if counts[h.value]
    ]
    return tally


# -- the range of days a chart shows ---------------------------------------------------------


@attrs.frozen
class DayRange:
    start: date
    end: date
    days: int | None  # the preset chosen, None for from/to

    def query(self) -> str:
        if self.days is not None:
            return urlencode({"days": self.days})
        return urlencode({"from": self.start.isoformat(), "to": self.end.isoformat()})


def day_range(params: QueryDict, today: date) -> DayRange:
    """The days asked for by `?days=7|30|90` or `?from=&to=` (inclusive), ending today by
    default. Raises InvalidInput naming the field."""
    if params.get("from") or params.get("to"):
        start = parse_date(params.get("from") or "", "from")
        end = parse_date(params.get("to") or today.isoformat(), "to")
        if end < start:
            raise InvalidInput.on("to", f"{end} is before from {start}")
        return DayRange(start, end, None)
    raw = params.get("days") or str(DEFAULT_DAYS)
    if not raw.isdigit() or int(raw) not in RANGES:
        raise InvalidInput.on("days", f"must be one of {', '.join(map(str, RANGES))}")
    days = int(raw)
    return DayRange(today - timedelta(days=days - 1), today, days)


def chosen_range(request: HttpRequest, today: date) -> DayRange:
    """The range asked for, or the default with the refusal shown as a message."""
    try:
        return day_range(request.GET, today)
    except DomainError as error:
        refuse(request, error)
        return day_range(QueryDict(), today)


def refuse(request: HttpRequest, error: DomainError) -> None:
    for e in error.errors:
        messages.error(request, f"{e.field}: {e.message}")


# -- pacing in words -------------------------------------------------------------------------


@attrs.frozen
class PaceLine:
    """One period's pacing as the pages show it."""

    period: str
    spend: str
    budget: str
    expected: str
    pace: str
    band: str
    forecast: str
    run_out: str


def when(instant: datetime | None, tz: str) -> str:
    """A brand-local time with its zone, e.g. 2026-12-01 15:40 CET."""
    if instant is None:
        return "—"
    return local(instant, tz).strftime("%Y-%m-%d %H:%M %Z")


def cents(value: Decimal) -> str:
    return f"{value.quantize(Decimal('0.01')):,}"


def pace_line(row: reports.PacingRow, tz: str) -> PaceLine:
    currency = row.currency
    return PaceLine(
        period="today" if row.period == Period.DAY.value else "this month",
        spend=f"{charts.money(row.spend)} {currency}",
        budget=f"{charts.money(row.budget)} {currency}",
        # Expected spend and forecast are estimates: cents are enough (the CSV has them all).
        expected=f"{cents(row.expected)} {currency}",
        pace="—" if row.pace is None else f"{(row.pace * 100).quantize(Decimal(1))} %",
        band=row.band or "—",
        forecast=f"{cents(row.forecast)} {currency}",
        run_out=when(row.run_out, tz),
    )


# -- charts ----------------------------------------------------------------------------------


def month_days(today: date) -> list[date]:
    first = today.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return days_between(first, following - timedelta(days=1))


def month_to_date(
    so_far: Sequence[reports.DayRow], plan: PeriodPlan, pacing: Pacing | None, at: datetime
) -> charts.MonthToDate:
    """The month chart's figures: cumulative spend from the roll-up rows `so_far` (the
    month's first day to today), and, where the month has a budget, the spend expected by
    the end of each day (the core's PeriodPlan.expected) and the core's forecast."""
    tz = plan.tz
    month = month_days(local_date(at, tz))
    spent: list[Decimal] = []
    total = Decimal(0)
    for row in so_far:
        total += row.spend
        spent.append(total)
    expected = (
        ()
        if pacing is None
        else tuple(plan.expected(pacing.budget, day_end(day, tz)).amount for day in month)
    )
    start, end = day_start(month[0], tz), day_end(month[-1], tz)
    return charts.MonthToDate(
        days=tuple(month),
        spent=tuple(spent),
        expected=expected,
        elapsed=(at - start) / (end - start),
        forecast=None if pacing is None else pacing.forecast.amount,
        budget=None if pacing is None else pacing.budget.amount,
    )


@attrs.frozen
class ChartSet:
    daily: str
    month: str
    range: DayRange
    ranges: tuple[tuple[int, bool], ...]  # (days, whether chosen)


Series = Callable[[date, date], list[reports.DayRow]]


def chart_set(
    request: HttpRequest,
    subject: str,
    series: Series,
    plan: PeriodPlan,
    pacing: Pacing | None,
    currency: str,
    at: datetime,
) -> ChartSet:
    """Both charts of one brand or campaign: `series(start, end)` reads its spend history,
    `plan` is its PeriodPlan for this month and `pacing` its month's Pacing (None without
    a budget)."""
    today = local_date(at, plan.tz)
    chosen = chosen_range(request, today)
    try:
        days = series(chosen.start, chosen.end)
    except DomainError as error:
        refuse(request, error)
        chosen = day_range(QueryDict(), today)
        days = series(chosen.start, chosen.end)
    first = today.replace(day=1)
    if chosen.start <= first and chosen.end >= today:  # the month so far is among `days`
        so_far = [d for d in days if first <= d.day <= today]
    else:
        so_far = series(first, today)
    figures = month_to_date(so_far, plan, pacing, at)
    title = f"Daily spend of {subject}, {chosen.start} to {chosen.end}"
    return ChartSet(
        daily=charts.daily_chart(days, currency, "daily-chart", title),
        month=charts.month_chart(
            figures, currency, "month-chart", f"Spend of {subject} in {today:%B %Y}"
        ),
        range=chosen,
        ranges=tuple((n, n == chosen.days) for n in RANGES),
    )


# -- the dashboard ---------------------------------------------------------------------------


@attrs.frozen
class Attention:
    campaign: str
    url: str
    reasons: tuple[str, ...]
    rank: int  # the most urgent reason's: 0 held by a budget ... 4 pacing under


# Past this many, the dashboard lists the most urgent and links to the brand's campaigns.
ATTENTION_SHOWN = 50


def needs_attention(
    campaigns: Iterable[Campaign], rows: Sequence[reports.PacingRow], brand: Brand, at: datetime
) -> list[Attention]:
    """Running campaigns an operator should look at now, most urgent first, with the
    reasons in words: held by a budget, forecast to use up today's budget before the day
    ends, pacing over, 80 % or more of a budget used, pacing under."""
    tz = brand.timezone
    ends = day_end(local_date(at, tz), tz)
    pacing: dict[int, list[reports.PacingRow]] = {}
    for row in rows:
        if row.subject == Subject.CAMPAIGN.value:
            pacing.setdefault(row.id, []).append(row)
    change_urls = reverse("admin:budget_campaign_changelist")
    found = []
    for campaign in campaigns:
        # Drafts, operator pauses and finished flights are not running by design.
        if campaign.state is not State.ENABLED or campaign.status is Status.COMPLETED:
            continue
        held = campaign.holds & BUDGET_HOLDS
        reasons = [(0, h.explanation) for h in sorted(held)]
        for period in (Period.DAY, Period.MONTH):
            use = campaign.use(period, at, tz)
            if use.band is Band.NEAR and use.percent is not None:
                used = f"{use.percent.quantize(Decimal(1))} % of its {period.value} budget used"
                reasons.append((3, used))
        for row in [] if held else pacing.get(campaign.id, []):
            what = "today" if row.period == Period.DAY.value else "this month"
            if row.band in ("over", "under"):
                reasons.append(
                    (
                        2 if row.band == "over" else 4,
                        f"pacing {row.band} {what}: {charts.money(row.spend)} spent against "
                        f"{cents(row.expected)} {row.currency} expected",
                    )
                )
            if row.period == Period.DAY.value and row.run_out is not None and row.run_out < ends:
                reasons.append((1, f"forecast to use up today's budget at {when(row.run_out, tz)}"))
        if reasons:
            reasons.sort(key=lambda r: r[0])
            url = f"{change_urls}{campaign.id}/change/"
            found.append(Attention(campaign.name, url, tuple(r for _, r in reasons), reasons[0][0]))
    found.sort(key=lambda a: a.rank)  # stable: campaigns of one rank stay in id order
    return found


@attrs.frozen
class AlertLine:
    raised_at: str  # with its zone
    message: str
    url: str


def latest_alerts(brand: Brand | None) -> list[AlertLine]:
    """The newest alerts of every brand (times in UTC), or of one brand and its campaigns
    (times in the brand's zone)."""
    rows = models.Alert.objects.order_by("-id")
    tz = "UTC"
    if brand is not None:
        tz = brand.timezone
        of_campaigns = models.Campaign.objects.filter(brand_id=brand.id).values("id")
        rows = rows.filter(
            Q(subject=Subject.BRAND.value, subject_id=brand.id)
            | Q(subject=Subject.CAMPAIGN.value, subject_id__in=of_campaigns)
        )
    lines = []
    for row in rows[:LATEST_ALERTS]:
        url = reverse("admin:budget_alert_change", args=[row.pk])
        message = mappers.alert_to_domain(row).message
        lines.append(AlertLine(when(row.raised_at, tz), message, url))
    return lines


@attrs.frozen
class BrandLine:
    name: str
    url: str
    campaigns_url: str
    today: SafeString | str
    month: SafeString | str
    held: int  # running campaigns held by a budget of their own or of the brand


def held_by_budget(brand_ids: Sequence[int]) -> Counter[int]:
    """How many enabled campaigns of each brand a budget holds: one GROUP BY query over
    (brand, stored set of holds), of which each brand has a few dozen at most."""
    held: Counter[int] = Counter()
    budget_holds = {h.value for h in BUDGET_HOLDS}
    rows = models.Campaign.objects.filter(brand_id__in=brand_ids, state=State.ENABLED.value)
    for brand_id, text, n in (
        rows.order_by().values_list("brand_id", "holds").annotate(n=Count("id"))
    ):
        if budget_holds.intersection(models.holds_names(text)):
            held[brand_id] += n
    return held


def overview(request: HttpRequest, at: datetime) -> dict[str, Any]:
    """Every brand: totals by status and hold, a page of brands, the latest alerts."""
    campaigns = models.Campaign.objects.all()
    page = Paginator(models.Brand.objects.order_by("name", "id"), BRANDS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    lines = []
    held = held_by_budget([row.pk for row in page.object_list])
    for row in page.object_list:
        brand = mappers.brand_to_domain(row)
        lines.append(
            BrandLine(
                brand.name,
                dashboard_url(brand=brand.id),
                campaigns_url(brand.id),
                budget_bar(brand.use(Period.DAY, at), brand.currency),
                budget_bar(brand.use(Period.MONTH, at), brand.currency),
                held[brand.id],
            )
        )
    return {
        "statuses": status_tally(campaigns, None),
        "holds": hold_tally(campaigns, None),
        "brand_page": page,
        "brand_lines": lines,
        "alerts": latest_alerts(None),
        "alerts_url": reverse("admin:budget_alert_changelist"),
    }


def brand_overview(request: HttpRequest, row: models.Brand, at: datetime) -> dict[str, Any]:
    """One brand: its campaigns by status and hold, what needs attention, its pacing,
    charts and latest alerts."""
    brand = mappers.brand_to_domain(row)
    campaign_rows = models.Campaign.objects.filter(brand_id=brand.id)
    campaigns = [mappers.campaign_to_domain(r) for r in campaign_rows.order_by("id")]
    # The brand and its campaigns are read once, for the tallies' links and the pacing.
    rows = reports.pacing_of(brand, campaigns, at, whole_brand=True).rows
    brand_rows = [r for r in rows if r.subject == Subject.BRAND.value]
    attention = needs_attention(campaigns, rows, brand, at)
    return {
        "brand": brand,
        "statuses": status_tally(campaign_rows, brand.id),
        "holds": hold_tally(campaign_rows, brand.id),
        "attention": attention[:ATTENTION_SHOWN],
        "attention_more": max(len(attention) - ATTENTION_SHOWN, 0),
        "pace_lines": [pace_line(r, brand.timezone) for r in brand_rows],
        "use_today": budget_bar(brand.use(Period.DAY, at), brand.currency),
        "use_month": budget_bar(brand.use(Period.MONTH, at), brand.currency),
        "charts": brand_charts(request, brand, at),
        # The range form keeps the brand chosen.
        "keep": [("brand", brand.id)],
        "alerts": latest_alerts(brand),
        "alerts_url": reverse("admin:budget_alert_changelist")
        + "?"
        + urlencode({"subject__exact": Subject.BRAND.value, "subject_id__exact": brand.id}),
        "campaigns_url": campaigns_url(brand.id),
        "brand_change_url": reverse("admin:budget_brand_change", args=[brand.id]),
        "exports": exports(brand_id=brand.id),
    }


def brand_charts(request: HttpRequest, brand: Brand, at: datetime) -> ChartSet:
    return chart_set(
        request,
        brand.name,
        lambda start, end: reports.brand_series(brand.id, start, end),
        brand.plan(Period.MONTH, at),
        brand.pacing(Period.MONTH, at),
        brand.currency,
        at,
    )


def exports(brand_id: int | None = None, campaign_id: int | None = None) -> list[tuple[str, str]]:
    """The CSV downloads offered for a brand or a campaign: (label, url)."""
    found = []
    if brand_id is not None:
        query = urlencode({"brand": brand_id})
        found += [
            ("Spend report (CSV)", reverse("console-spend-csv") + f"?{query}"),
            ("Pacing report (CSV)", reverse("console-pacing-csv") + f"?{query}"),
            ("Daily spend, last 90 days (CSV)", reverse("console-series-csv") + f"?{query}"),
        ]
    if campaign_id is not None:
        query = urlencode({"campaign": campaign_id})
        found.append(
            ("Daily spend, last 90 days (CSV)", reverse("console-series-csv") + f"?{query}")
        )
    return found


def dashboard_context(request: HttpRequest, at: datetime) -> dict[str, Any]:
    """What the dashboard shows: every brand, or the one chosen by `?brand=ID`."""
    picker = list(models.Brand.objects.order_by("name").values_list("id", "name"))
    context: dict[str, Any] = {"brand_choices": picker, "as_of": at}
    raw = request.GET.get("brand", "")
    if raw:
        row = models.Brand.objects.filter(pk=int(raw)).first() if raw.isdigit() else None
        if row is not None:
            context["chosen"] = row.pk
            return {**context, **brand_overview(request, row, at)}
        messages.error(request, f"brand: there is no brand {raw!r}")
    return {**context, **overview(request, at)}


def index(request: HttpRequest) -> HttpResponse:
    """The admin's index page, with the dashboard above the list of models."""
    return admin.site.index(request, extra_context=dashboard_context(request, now()))


# -- change pages ----------------------------------------------------------------------------


def campaign_page(request: HttpRequest, object_id: str) -> dict[str, Any]:
    """The pacing block and charts of a campaign's change page (nothing for an unknown id:
    the page itself says it is missing)."""
    row = (
        models.Campaign.objects.select_related("brand").filter(pk=object_id).first()
        if object_id.isdigit()
        else None
    )
    if row is None:
        return {}
    at = now()
    brand = mappers.brand_to_domain(row.brand)
    campaign = mappers.campaign_to_domain(row)
    tz = brand.timezone
    # The report's rows, so that the page shows the very figures the exports and the API
    # show (the day's forecast early in the day rests on yesterday's rate, which it reads).
    rows = [
        r
        for r in reports.pacing_of(brand, [campaign], at, whole_brand=False).rows
        if r.subject == Subject.CAMPAIGN.value
    ]
    return {
        "pace_lines": [pace_line(r, tz) for r in rows],
        "charts": chart_set(
            request,
            campaign.name,
            lambda start, end: reports.campaign_series(campaign.id, start, end),
            campaign.plan(Period.MONTH, at, tz),
            campaign.pacing(Period.MONTH, at, tz),
            brand.currency,
            at,
        ),
        "exports": exports(campaign_id=campaign.id),
        "zone": tz,
    }


def brand_page(request: HttpRequest, object_id: str) -> dict[str, Any]:
    """The pacing block and charts of a brand's change page."""
    row = models.Brand.objects.filter(pk=object_id).first() if object_id.isdigit() else None
    if row is None:
        return {}
    at = now()
    brand = mappers.brand_to_domain(row)
    rows = reports.pacing_of(brand, [], at, whole_brand=False).rows
    return {
        "pace_lines": [pace_line(r, brand.timezone) for r in rows],
        "charts": brand_charts(request, brand, at),
        "exports": exports(brand_id=brand.id),
        "dashboard_url": dashboard_url(brand=brand.id),
        "zone": brand.timezone,
    }


# -- CSV downloads ---------------------------------------------------------------------------


def _csv(name: str, text: str) -> HttpResponse:
    response = HttpResponse(text, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _id(request: HttpRequest, field: str) -> int:
    raw = request.GET.get(field, "")
    if not raw.isdigit():
        raise InvalidInput.on(field, "must be the id of one")
    return int(raw)


def _refused(error: DomainError) -> HttpResponse:
    status = 404 if isinstance(error, NotFound) else 400
    text = "; ".join(f"{e.field}: {e.message}" for e in error.errors)
    return HttpResponse(text, status=status, content_type="text/plain; charset=utf-8")


def spend_csv(request: HttpRequest) -> HttpResponse:
    """A brand's spend report as CSV (`?brand=ID`)."""
    try:
        brand_id = _id(request, "brand")
        rows = reports.spend_rows(queries.spend_report(brand_id, now()))
    except DomainError as error:
        return _refused(error)
    return _csv(f"spend-brand-{brand_id}.csv", reports.to_csv(reports.SPEND_COLUMNS, rows))


def pacing_csv(request: HttpRequest) -> HttpResponse:
    """A brand's pacing report as CSV (`?brand=ID`)."""
    try:
        brand_id = _id(request, "brand")
        rows = reports.pacing_report(brand_id, now())
    except DomainError as error:
        return _refused(error)
    return _csv(
        f"pacing-brand-{brand_id}.csv",
        reports.to_csv(reports.PACING_COLUMNS, reports.pacing_rows(rows)),
    )


def series_csv(request: HttpRequest) -> HttpResponse:
    """A campaign's (`?campaign=ID`) or brand's (`?brand=ID`) spend per day as CSV, for
    `?days=` or `?from=&to=` (default the last 90 days)."""
    at = now()
    try:
        if request.GET.get("campaign"):
            subject, subject_id = "campaign", _id(request, "campaign")
            row = models.Campaign.objects.select_related("brand").filter(pk=subject_id).first()
            if row is None:
                raise NotFound.on("campaign", f"campaign {subject_id} does not exist")
            tz = row.brand.timezone
            series: Callable[[int, date, date], list[reports.DayRow]] = reports.campaign_series
        else:
            subject, subject_id = "brand", _id(request, "brand")
            brand_row = models.Brand.objects.filter(pk=subject_id).first()
            if brand_row is None:
                raise NotFound.on("brand", f"brand {subject_id} does not exist")
            tz = brand_row.timezone
            series = reports.brand_series
        params = request.GET.copy()
        params.setdefault("days", "90")
        chosen = day_range(params, local_date(at, tz))
        days = series(subject_id, chosen.start, chosen.end)
    except DomainError as error:
        return _refused(error)
    return _csv(
        f"daily-{subject}-{subject_id}-{chosen.start}-{chosen.end}.csv",
        reports.to_csv(reports.SERIES_COLUMNS, reports.series_rows(days)),
    )
