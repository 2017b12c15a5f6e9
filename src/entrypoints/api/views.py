"""The endpoints of SPEC §4. Every write is exactly one use-case call from the container,
made as the token's user (its username is the `actor` in the audit log); reads go through
queries.py."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, Literal

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI, Query
from ninja import Status as WithStatus
from pydantic import BaseModel, Field

from core.entities import Status
from core.entities.money import MONEY_PATTERN, PLACES
from core.entities.unset import UNSET
from core.use_cases.brands import CreateBrandCommand
from core.use_cases.campaigns import (
    CampaignActionCommand,
    CreateCampaignCommand,
    ReplaceScheduleCommand,
    UpdateCampaignCommand,
)
from core.use_cases.record_spend import EventResult, RecordSpendCommand
from entrypoints import reports
from entrypoints.api import queries
from entrypoints.api.errors import ExactJsonParser, install_handlers
from entrypoints.api.schemas import (
    BrandIn,
    BrandOut,
    BrandPage,
    BrandSeries,
    CampaignIn,
    CampaignOut,
    CampaignPage,
    CampaignPatch,
    CampaignSeries,
    Day,
    DaySpendOut,
    ErrorOut,
    FieldErrorOut,
    Limit,
    Offset,
    PacingReportOut,
    PacingRowOut,
    ParamId,
    ScheduleIn,
    SpendBatchIn,
    SpendBatchOut,
    SpendEventIn,
    SpendReport,
    SpendResultOut,
)
from entrypoints.api.tokens import BearerToken
from entrypoints.container import Container, get_container
from entrypoints.metrics import timed_spend

DESCRIPTION = f"""
Manage brands and campaigns and feed spend in.

**Authentication.** Every endpoint needs `Authorization: Bearer <token>`. Tokens are made
with `manage.py create_api_token USER` (the token is printed once; only its hash is kept)
and revoked in the admin. A token acts as its user: the user must be active and hold the
permission `api.use_api` ("Can use the HTTP API"; superusers have it). Every write is
recorded in the audit log under that user's username. Missing, unknown or revoked token:
401; a user without the permission: 403.

**Request bodies** are JSON: `Content-Type: application/json` (or `application/*+json`;
a charset, if given, must be UTF-8). A body of any other type is refused with 415. A body
sent in chunks (`Transfer-Encoding: chunked`) is read where the server can read it to its
end (gunicorn can), else refused with 411: send `Content-Length` then.

**Money** is a decimal string in every response. Requests may send a string of ASCII
digits with an optional point and 1 to {PLACES} places (`{MONEY_PATTERN}`: no sign,
exponent, spaces or other scripts' digits) or a JSON number, read exactly (`0.1` stays
`0.1`); at most {PLACES} decimal places, greater than 0.

**Text** (names, spend keys and descriptions) may not contain control characters or
bidirectional formatting characters (U+061C, U+200E, U+200F, U+202A to U+202E, U+2066 to
U+2069).

**Errors** always have the shape `{{"detail": "...", "errors": [{{"field": "...",
"message": "..."}}]}}`: 400 malformed JSON, 401/403 authentication, 404 unknown object or URL,
405 a method the URL does not take, 409 conflict with stored data (a taken name, an action
the campaign's state forbids), 411 a chunked body the server cannot read, 413 a body over
the size limit, 415 a body that is not JSON, 422 invalid fields, 503 the database is
unreachable (retry after the `Retry-After` seconds). A refused request writes nothing.

**CSV.** The reports and the daily spend series are also served as CSV (`text/csv;
charset=utf-8`, RFC 4180, a header row, as a download): ask with `?format=csv` or with
`Accept: text/csv` (`format=json` wins over the header). Amounts are plain decimal text,
days `YYYY-MM-DD`, instants ISO 8601 in UTC, a missing value an empty cell; a text cell that
a spreadsheet would run as a formula (starting with `=`, `+`, `-`, `@`) starts with `'`.
"""

api = NinjaAPI(
    title="Ad budget control",
    version="1",
    description=DESCRIPTION,
    urls_namespace="api-v1",
    auth=BearerToken(),
    parser=ExactJsonParser(),
)
install_handlers(api)

PathId = ParamId
# Every operation may answer these: no or a bad token, no permission, the database down.
_ANY = frozenset({401, 403, 503})
_READ = _ANY | {404, 422}
_WRITE = _READ | {400, 409, 411, 413, 415}


def _container() -> Container:
    return get_container()


def _now() -> datetime:
    return _container().clock().now()


def _actor(request: HttpRequest) -> str:
    return str(request.auth.get_username())  # type: ignore[attr-defined]


# -- brands ----------------------------------------------------------------------------------


@api.post("/brands", response={201: BrandOut, _WRITE: ErrorOut}, tags=["brands"])
def create_brand(request: HttpRequest, payload: BrandIn) -> WithStatus[BrandOut]:
    """Create a brand. 409 if the name is taken; 422 for an unknown time zone, a bad
    currency or a non-positive budget."""
    brand = _container().create_brand()(
        CreateBrandCommand(**payload.model_dump(), actor=_actor(request))
    )
    return WithStatus(201, queries.get_brand(brand.id, _now()))


class Page(BaseModel):
    limit: Limit = 100
    offset: Offset = 0


@api.get("/brands", response={200: BrandPage, _READ: ErrorOut}, tags=["brands"])
def list_brands(request: HttpRequest, page: Query[Page]) -> BrandPage:
    """Brands by name, each with its spend today and this month; `limit` (at most 1000)
    and `offset` page through them, `count` is the total."""
    return queries.list_brands(_now(), page.limit, page.offset)


@api.get("/brands/{brand_id}", response={200: BrandOut, _READ: ErrorOut}, tags=["brands"])
def get_brand(request: HttpRequest, brand_id: PathId) -> BrandOut:
    """A brand with its spend today and this month (brand-local periods)."""
    return queries.get_brand(brand_id, _now())


# -- campaigns -------------------------------------------------------------------------------


class CampaignFilters(BaseModel):
    brand_id: ParamId | None = None
    status: Status | None = None
    limit: Limit = 100
    offset: Offset = 0


@api.post("/campaigns", response={201: CampaignOut, _WRITE: ErrorOut}, tags=["campaigns"])
def create_campaign(request: HttpRequest, payload: CampaignIn) -> WithStatus[CampaignOut]:
    """Create a campaign as a `draft` (it never runs until launched), optionally with its
    dayparting windows. 404 unknown brand; 409 name taken within the brand; 422 bad fields
    (non-positive or over-precise budgets, end before start, window times out of range)."""
    fields = payload.model_dump(exclude={"windows"})
    campaign = _container().create_campaign()(
        CreateCampaignCommand(
            **fields, windows=[w.raw() for w in payload.windows], actor=_actor(request)
        )
    )
    return WithStatus(201, queries.get_campaign(campaign.id, _now()))


@api.get("/campaigns", response={200: CampaignPage, _READ: ErrorOut}, tags=["campaigns"])
def list_campaigns(request: HttpRequest, filters: Query[CampaignFilters]) -> CampaignPage:
    """Campaigns in id order, optionally of one brand and with one status; `limit` (at most
    1000) and `offset` page through them, `count` is the total."""
    return queries.list_campaigns(
        _now(), filters.brand_id, filters.status, filters.limit, filters.offset
    )


@api.get(
    "/campaigns/{campaign_id}", response={200: CampaignOut, _READ: ErrorOut}, tags=["campaigns"]
)
def get_campaign(request: HttpRequest, campaign_id: PathId) -> CampaignOut:
    """A campaign: its state, derived status, holds, budgets and current spend."""
    return queries.get_campaign(campaign_id, _now())


@api.patch(
    "/campaigns/{campaign_id}", response={200: CampaignOut, _WRITE: ErrorOut}, tags=["campaigns"]
)
def update_campaign(
    request: HttpRequest, campaign_id: PathId, payload: CampaignPatch
) -> CampaignOut:
    """Edit name, budgets or dates; only the fields sent change (`end_date: null` removes
    the end date). Holds are recomputed at once: a budget lowered to today's spend holds
    the campaign now, a raised one releases it now."""
    changes: dict[str, Any] = {f: UNSET for f in CampaignPatch.model_fields}
    changes.update(payload.model_dump(include=payload.model_fields_set))
    campaign = _container().update_campaign()(
        UpdateCampaignCommand(campaign_id=campaign_id, **changes, actor=_actor(request))
    )
    return queries.get_campaign(campaign.id, _now())


@api.put(
    "/campaigns/{campaign_id}/schedule",
    response={200: CampaignOut, _WRITE: ErrorOut},
    tags=["campaigns"],
)
def replace_schedule(request: HttpRequest, campaign_id: PathId, payload: ScheduleIn) -> CampaignOut:
    """Replace the dayparting windows (brand-local wall-clock time; an empty list lifts every
    restriction) and apply them now."""
    campaign = _container().replace_schedule()(
        ReplaceScheduleCommand(
            campaign_id=campaign_id,
            windows=[w.raw() for w in payload.windows],
            actor=_actor(request),
        )
    )
    return queries.get_campaign(campaign.id, _now())


def _action(name: str, summary: str) -> None:
    @api.post(
        f"/campaigns/{{campaign_id}}/{name}",
        response={200: CampaignOut, _WRITE: ErrorOut},
        tags=["campaigns"],
        operation_id=f"{name}_campaign",
        summary=f"{name.capitalize()} a campaign",
        description=summary,
    )
    def action(request: HttpRequest, campaign_id: PathId) -> CampaignOut:
        use_case = getattr(_container(), f"{name}_campaign")()
        campaign = use_case(CampaignActionCommand(campaign_id=campaign_id, actor=_actor(request)))
        return queries.get_campaign(campaign.id, _now())


_action(
    "launch",
    "Move a draft to enabled; it runs as soon as nothing holds it. 409 if it is not a draft.",
)
_action(
    "pause", "The operator stops the campaign; nothing automatic ever resumes it. 409 for a draft."
)
_action(
    "resume", "Undo an operator pause; it runs again unless something holds it. 409 for a draft."
)


# -- spend -----------------------------------------------------------------------------------


@api.post("/spend", response={200: SpendBatchOut, _WRITE: ErrorOut}, tags=["spend"])
def record_spend(request: HttpRequest, payload: SpendBatchIn) -> SpendBatchOut:
    """Record a batch of 1 to 10,000 spend events in one transaction. The answer has one
    result per event, in request order: `recorded`, `duplicate` (the key was recorded
    before with the same amount and time; nothing changes) or `rejected` with the fields and
    reasons (a key reused with another amount or time, an unknown campaign, a bad amount…).
    A rejected event never blocks the others, so a whole batch can be retried safely. A body
    that is not a JSON object with an `events` list of objects is refused whole (400/422)."""
    events = [e.raw() if isinstance(e, SpendEventIn) else e for e in payload.events]
    command = RecordSpendCommand(events=events, actor=_actor(request))
    result = timed_spend("api", _container().record_spend(), command)
    return SpendBatchOut(
        results=[_result(r) for r in result.results],
        recorded=result.recorded,
        duplicate=result.duplicates,
        rejected=result.rejected,
    )


def _result(result: EventResult) -> SpendResultOut:
    return SpendResultOut(
        key=result.key,
        outcome=result.outcome,
        errors=[FieldErrorOut(field=e.field, message=e.message) for e in result.errors],
    )


# -- reports ---------------------------------------------------------------------------------


ExportFormat = Literal["json", "csv"]
_FORMAT = Field(
    None,
    description="`csv` for a CSV download; `json` (the default) for JSON. Without it, an "
    "`Accept: text/csv` header asks for CSV.",
)


def _csv_response(status: int) -> dict[str, Any]:
    """The document's word that this operation also answers CSV."""
    csv = {"schema": {"type": "string", "description": "RFC 4180 text with a header row."}}
    return {"responses": {status: {"content": {"text/csv": csv}}}}


def _wants_csv(request: HttpRequest, format: ExportFormat | None, answer: HttpResponse) -> bool:
    """Whether to answer CSV: `?format=` decides, else the Accept header; `answer` (the
    JSON answer's headers) is told that it varies with Accept, for caches."""
    answer["Vary"] = "Accept"
    if format is not None:
        return format == "csv"
    return request.get_preferred_type(["application/json", "text/csv"]) == "text/csv"


def _csv(filename: str, header: Sequence[str], rows: Iterable[Sequence[object]]) -> HttpResponse:
    response = HttpResponse(reports.to_csv(header, rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Vary"] = "Accept"
    return response


class ReportFilters(BaseModel):
    brand_id: ParamId
    format: ExportFormat | None = _FORMAT


@api.get(
    "/reports/spend",
    response={200: SpendReport, _READ: ErrorOut},
    tags=["reports"],
    openapi_extra=_csv_response(200),
)
def spend_report(
    request: HttpRequest, filters: Query[ReportFilters], response: HttpResponse
) -> SpendReport | HttpResponse:
    """A brand's spend today and this month (its own local day and month) against its
    budgets, with the same for each of its campaigns, their status and holds, and how many
    campaigns are in each status. As CSV: one row for the brand, then one per campaign."""
    report = queries.spend_report(filters.brand_id, _now())
    if _wants_csv(request, filters.format, response):
        return _csv(
            f"spend-brand-{report.brand.id}-{report.day}.csv",
            reports.SPEND_COLUMNS,
            reports.spend_rows(report),
        )
    return report


@api.get(
    "/reports/pacing",
    response={200: PacingReportOut, _READ: ErrorOut},
    tags=["reports"],
    openapi_extra=_csv_response(200),
)
def pacing_report(
    request: HttpRequest, filters: Query[ReportFilters], response: HttpResponse
) -> PacingReportOut | HttpResponse:
    """Pacing now, in the brand's own day and month: spend against the spend expected by
    now (the budget times the share of scheduled time elapsed, where a campaign's scheduled
    time is inside its dayparting windows and flight dates), pace and band, the forecast of
    the period's spend and when it runs out the budget. The brand's rows first (for each budget
    it has), then each campaign's daily and monthly row. 404 unknown brand."""
    report = reports.brand_pacing(filters.brand_id, _now())
    if _wants_csv(request, filters.format, response):
        stamp = f"{report.at:%Y%m%dT%H%M%SZ}"
        return _csv(
            f"pacing-brand-{report.brand_id}-{stamp}.csv",
            reports.PACING_COLUMNS,
            reports.pacing_rows(report.rows),
        )
    return PacingReportOut(
        brand_id=report.brand_id,
        currency=report.currency,
        at=report.at,
        rows=[_pacing_row(row) for row in report.rows],
    )


def _pacing_row(row: reports.PacingRow) -> PacingRowOut:
    plain = reports.plain
    return PacingRowOut.model_validate(
        {
            "subject": row.subject,
            "id": row.id,
            "name": row.name,
            "brand_id": row.brand_id,
            "currency": row.currency,
            "status": row.status,
            "period": row.period,
            "spend": plain(row.spend),
            "budget": plain(row.budget),
            "expected": plain(row.expected),
            "pace": None if row.pace is None else plain(row.pace),
            "forecast": plain(row.forecast),
            "run_out": None if row.run_out is None else reports.instant(row.run_out),
            "band": row.band,
        }
    )


# -- daily spend series ----------------------------------------------------------------------


class RangeFilters(BaseModel):
    from_: Day | None = Field(
        None,
        alias="from",
        description="The first brand-local day (inclusive); by default 29 days before `to`.",
    )
    to: Day | None = Field(
        None,
        description="The last brand-local day (inclusive), not before `from` and at most "
        f"{reports.MAX_SERIES_DAYS} days after it; by default the brand's today.",
    )
    format: ExportFormat | None = _FORMAT


_SERIES_DOC = """Spend on every brand-local day from `from` to `to` (both included; by default
the 30 days up to today), with the daily budget in force that day: a day without spend
shows 0 and the budget of the nearest earlier day with spend in the month before the range
(else the current budget). Late spend counts on the day it occurred. 404 unknown {subject};
422 naming `from` or `to` for a date that is not one, a range that ends before it starts or
is over {days} days.
As CSV: one row per day."""


@api.get(
    "/campaigns/{campaign_id}/spend",
    response={200: CampaignSeries, _READ: ErrorOut},
    tags=["campaigns"],
    by_alias=True,
    description=_SERIES_DOC.format(subject="campaign", days=reports.MAX_SERIES_DAYS),
    summary="A campaign's spend per day",
    openapi_extra=_csv_response(200),
)
def campaign_spend(
    request: HttpRequest, campaign_id: PathId, filters: Query[RangeFilters], response: HttpResponse
) -> CampaignSeries | HttpResponse:
    series = reports.campaign_spend(campaign_id, filters.from_, filters.to, _now())
    if _wants_csv(request, filters.format, response):
        return _series_csv(series)
    return CampaignSeries(campaign_id=campaign_id, **_series_fields(series))


@api.get(
    "/brands/{brand_id}/spend",
    response={200: BrandSeries, _READ: ErrorOut},
    tags=["brands"],
    by_alias=True,
    description=_SERIES_DOC.format(subject="brand", days=reports.MAX_SERIES_DAYS),
    summary="A brand's spend per day (all its campaigns)",
    openapi_extra=_csv_response(200),
)
def brand_spend(
    request: HttpRequest, brand_id: PathId, filters: Query[RangeFilters], response: HttpResponse
) -> BrandSeries | HttpResponse:
    series = reports.brand_spend(brand_id, filters.from_, filters.to, _now())
    if _wants_csv(request, filters.format, response):
        return _series_csv(series)
    return BrandSeries(brand_id=brand_id, **_series_fields(series))


def _series_fields(series: reports.Series) -> dict[str, Any]:
    return {
        "currency": series.currency,
        "timezone": series.timezone,
        "from_": series.start,
        "to": series.end,
        "days": [
            DaySpendOut(
                day=d.day,
                spend=reports.plain(d.spend),
                budget=None if d.budget is None else reports.plain(d.budget),
            )
            for d in series.days
        ],
    }


def _series_csv(series: reports.Series) -> HttpResponse:
    name = f"spend-{series.subject}-{series.subject_id}-{series.start}-{series.end}.csv"
    return _csv(name, reports.SERIES_COLUMNS, reports.series_rows(series.days))
