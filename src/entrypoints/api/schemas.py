"""Request and response bodies of the API. Field names are the contract of SPEC §4.

Every request field is described in the OpenAPI document by the core's own rules (or
constants of them), so that the document tells a client precisely what is accepted, and
checked here by those rules; a spend event's amount, key and description only for their JSON
type, since the core checks each event anyway and answers a refused one `rejected`. Money is
a decimal string in every response; in requests it is a string matching the core's
MONEY_PATTERN or a JSON number (decoded exactly as a Decimal, see errors.ExactJsonParser).
Ids are integers, dates `YYYY-MM-DD` strings, instants ISO-8601 strings with an offset, and
names may hold no control or bidirectional formatting characters."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal
from zoneinfo import available_timezones

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainValidator,
    Strict,
    WithJsonSchema,
    field_validator,
)
from pydantic import ValidationError as PydanticValidationError

from core.entities import EventResult, Hold, InvalidInput, Outcome, State, Status
from core.entities.brand import NAME_MAX
from core.entities.errors import FORBIDDEN_TEXT_CLASS, MAX_ID, check_text
from core.entities.money import MAX_AMOUNT, MONEY_PATTERN, PLACES
from core.entities.money import Money as Amount
from core.entities.spend import DESCRIPTION_MAX, KEY_MAX
from core.entities.time import (
    EARLIEST_DATE,
    LATEST_DATE,
    parse_date,
    parse_instant,
    parse_timezone,
)
from core.use_cases.record_spend import MAX_BATCH
from entrypoints.api.errors import pydantic_errors


def _refusing(check: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """A core check as a pydantic validator: its refusal becomes the field's message."""

    def validate(value: Any) -> Any:
        try:
            return check(value)
        except InvalidInput as error:
            raise ValueError(error.errors[0].message) from None

    return validate


# -- money -------------------------------------------------------------------------------------

_MAX = format(MAX_AMOUNT, "f")
# Text the pattern allows that is still no amount: zero, and anything above MAX_AMOUNT
# (more integer digits than it has, or all of it and a fraction; MAX_AMOUNT is all nines).
_NOT_AN_AMOUNT = rf"^0*(\.0*)?$|^0*[1-9][0-9]{{{len(_MAX)}}}|^0*{_MAX}\.[0-9]*[1-9]"
_SCHEMA_MONEY: dict[str, Any] = {
    "anyOf": [
        {"type": "string", "pattern": MONEY_PATTERN, "not": {"pattern": _NOT_AN_AMOUNT}},
        {
            "type": "number",
            "exclusiveMinimum": 0,
            "maximum": int(MAX_AMOUNT),
            "multipleOf": float(Decimal(1).scaleb(-PLACES)),
        },
    ],
    "description": f"An amount greater than 0 and at most {_MAX}: a string of ASCII digits "
    f"with an optional point and 1 to {PLACES} decimal places, or a JSON number with at most "
    f"{PLACES} decimal places (read exactly, never through a binary float).",
    "examples": ["12.50"],
}


def _amount(value: object) -> Decimal:
    return Amount.parse(value, "amount").amount


Money = Annotated[Decimal, PlainValidator(_refusing(_amount)), WithJsonSchema(_SCHEMA_MONEY)]

# -- text --------------------------------------------------------------------------------------

# Any text but the characters the core refuses; a name also needs a character that is not
# white space (the core strips it).
_READABLE = f"^[^{FORBIDDEN_TEXT_CLASS}]*$"
_NAMED = rf"^[^{FORBIDDEN_TEXT_CLASS}]*[^\s{FORBIDDEN_TEXT_CLASS}][^{FORBIDDEN_TEXT_CLASS}]*$"


def _text(pattern: str, longest: int, unmatched: str) -> Any:
    """Text of at most `longest` characters matching `pattern`; `unmatched` says why not."""
    compiled = re.compile(pattern)

    def check(value: object) -> str:
        if not isinstance(value, str):
            raise InvalidInput.on("", "must be text")
        if len(value) > longest:
            raise InvalidInput.on("", f"must be at most {longest} characters")
        check_text(value, "")
        if not compiled.fullmatch(value):
            raise InvalidInput.on("", unmatched)
        return value

    return PlainValidator(_refusing(check), json_schema_input_type=str)


def _text_schema(pattern: str, longest: int, **extra: Any) -> WithJsonSchema:
    return WithJsonSchema({"type": "string", "pattern": pattern, "maxLength": longest, **extra})


Name = Annotated[str, _text(_NAMED, NAME_MAX, "is required"), _text_schema(_NAMED, NAME_MAX)]
# The names the core's parse_timezone accepts, listed so that a client can see them.
TIMEZONES = sorted(available_timezones() | {"UTC"})


def _timezone(value: object) -> str:
    if not isinstance(value, str):
        raise InvalidInput.on("", "must be an IANA time zone name, as text")
    if value not in _KNOWN_ZONES:  # exactly as listed: no spaces around it, say
        raise InvalidInput.on("", f"'{value[:80]}' is not a known IANA time zone")
    return parse_timezone(value)


_KNOWN_ZONES = frozenset(TIMEZONES)
TimeZone = Annotated[
    str,
    PlainValidator(_refusing(_timezone)),
    WithJsonSchema({"type": "string", "enum": TIMEZONES, "description": "An IANA time zone."}),
]

_CURRENCY = "^[A-Za-z]{3}$"
Currency = Annotated[
    str,
    _text(_CURRENCY, 3, "must be a three-letter ISO 4217 code such as USD"),
    WithJsonSchema(
        {"type": "string", "pattern": _CURRENCY, "description": "ISO 4217 code, e.g. USD."}
    ),
]

# -- numbers, dates, times ---------------------------------------------------------------------

_WHOLE_NUMBER = re.compile(r"([0-9]+)(\.0+)?")


def _whole_number_text(value: object) -> object:
    """Path and query values are text: only ASCII digits name a number, with ".0" allowed
    after them because JSON Schema counts 7.0 as the integer 7 (as bodies do). Pydantic's lax
    integers would also read "+5", " 5" and "1_000"."""
    if isinstance(value, str):
        whole = _WHOLE_NUMBER.fullmatch(value)
        if whole is None:
            raise ValueError("must be a whole number written in digits 0-9")
        return whole.group(1)
    return value


def _json_integer(value: object) -> object:
    """A JSON integer: JSON Schema counts 6.0 and 1e2 as integers, so they are taken as 6
    and 100 (bodies decode numbers with a point or exponent as Decimal). Text, booleans and
    fractions are left for the strict check to refuse."""
    if isinstance(value, Decimal) and value.is_finite() and value.adjusted() < 30:
        integral = value.to_integral_value()
        if integral == value:
            return int(integral)
    return value


# The bounds come before the validators, or they reach the document as "ge"/"le".
Id = Annotated[int, Field(ge=1, le=MAX_ID), Strict(), BeforeValidator(_json_integer)]
Weekday = Annotated[
    int,
    Field(ge=1, le=7, description="1 = Monday … 7 = Sunday"),
    Strict(),
    BeforeValidator(_json_integer),
]
ParamId = Annotated[int, Field(ge=1, le=MAX_ID), BeforeValidator(_whole_number_text)]
Limit = Annotated[int, Field(ge=1, le=1000), BeforeValidator(_whole_number_text)]
Offset = Annotated[int, Field(ge=0, le=MAX_ID), BeforeValidator(_whole_number_text)]

# YYYY-MM-DD within the core's calendar range; the year part spells that range out.
_DAY = r"^2[0-9]{3}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$"


def _day(value: object) -> date:
    if not isinstance(value, str) or not re.fullmatch(_DAY, value):
        raise InvalidInput.on(
            "", f"must be a date (YYYY-MM-DD) from {EARLIEST_DATE} to {LATEST_DATE}"
        )
    return parse_date(value, "")


Day = Annotated[
    date,
    PlainValidator(_refusing(_day)),
    WithJsonSchema({"type": "string", "format": "date", "pattern": _DAY}),
]


def _instant(value: object) -> datetime:
    if not isinstance(value, str):
        raise InvalidInput.on("", "must be an ISO-8601 instant with a UTC offset, as a string")
    return parse_instant(value, "")


Instant = Annotated[
    datetime,
    PlainValidator(_refusing(_instant)),
    WithJsonSchema({"type": "string", "format": "date-time"}),
]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _not_null(schema: dict[str, Any]) -> None:
    """The schema of a field a PATCH may leave out but not set to null."""
    schema.pop("default", None)
    branches = [b for b in schema.pop("anyOf", ()) if b != {"type": "null"}]
    if len(branches) == 1:
        schema.update(branches[0])
    else:
        schema["anyOf"] = branches


# -- brands ----------------------------------------------------------------------------------


class BrandIn(_In):
    name: Name
    timezone: TimeZone = "UTC"
    currency: Currency = "USD"
    daily_budget: Money | None = None
    monthly_budget: Money | None = None
    is_active: Annotated[bool, Strict()] = True


class BrandOut(BaseModel):
    id: int
    name: str
    timezone: str
    currency: str
    is_active: bool
    daily_budget: str | None
    monthly_budget: str | None
    daily_spend: str = Field(description="Spend of all its campaigns in the brand-local day.")
    monthly_spend: str = Field(description="Spend of all its campaigns in the local month.")


# -- campaigns -------------------------------------------------------------------------------

# 0:00 to 23:59, as the core reads a wall-clock time (one or two digits for the hour).
WallTime = Annotated[
    str,
    Field(pattern=r"^([01]?[0-9]|2[0-3]):[0-5][0-9]$", examples=["22:00"], description="HH:MM"),
]
MAX_WINDOWS = 7 * 24 * 60


class WindowIn(_In):
    day_of_week: Weekday
    start_time: WallTime
    end_time: WallTime = Field(
        description="HH:MM, exclusive; at or before start_time runs past midnight"
    )

    def raw(self) -> dict[str, object]:
        return self.model_dump()


class ScheduleIn(_In):
    windows: list[WindowIn] = Field(max_length=MAX_WINDOWS)


class CampaignIn(_In):
    brand_id: Id
    name: Name
    daily_budget: Money
    monthly_budget: Money
    start_date: Day
    end_date: Day | None = Field(None, description="Inclusive; not before start_date.")
    windows: list[WindowIn] = Field(default_factory=list, max_length=MAX_WINDOWS)


class CampaignPatch(_In):
    """Any of the fields of a new campaign but `brand_id`; `end_date: null` removes the end."""

    name: Name | None = Field(None, json_schema_extra=_not_null)
    daily_budget: Money | None = Field(None, json_schema_extra=_not_null)
    monthly_budget: Money | None = Field(None, json_schema_extra=_not_null)
    start_date: Day | None = Field(None, json_schema_extra=_not_null)
    end_date: Day | None = None

    @field_validator("name", "daily_budget", "monthly_budget", "start_date", mode="before")
    @classmethod
    def _given(cls, value: object) -> object:
        # Runs only for a field the request sends: null would mean "no value", which only
        # end_date may have.
        if value is None:
            raise ValueError("must not be null (leave the field out to keep its value)")
        return value


class WindowOut(BaseModel):
    day_of_week: int
    start_time: str
    end_time: str


class CampaignOut(BaseModel):
    id: int
    brand_id: int
    name: str
    state: State = Field(description="The operator's wish.")
    status: Status = Field(description="Derived from state and holds; what platforms obey.")
    holds: list[Hold] = Field(description="The system's reasons to stop the campaign.")
    daily_budget: str
    monthly_budget: str
    daily_spend: str = Field(description="Spend in the current brand-local day.")
    monthly_spend: str = Field(description="Spend in the current brand-local month.")
    start_date: date
    end_date: date | None
    windows: list[WindowOut]


class CampaignPage(BaseModel):
    items: list[CampaignOut]
    count: int = Field(description="How many campaigns match, over all pages.")
    limit: int
    offset: int


# -- spend -----------------------------------------------------------------------------------


# A spend event's amount, key and description are checked here for their JSON type only: the
# core's SpendEvent.parse applies the rules the document states (its refusal is answered
# `rejected` just the same), so a batch of 10,000 events is not parsed twice over.


def _money_shape(value: object) -> object:
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
        raise ValueError("must be a decimal number given as a string (such as 12.50) or a number")
    return value


def _text_shape(value: object) -> object:
    if not isinstance(value, str):
        raise ValueError("must be text")
    return value


EventMoney = Annotated[
    str | int | Decimal,
    PlainValidator(_money_shape, json_schema_input_type=str),
    WithJsonSchema(_SCHEMA_MONEY),
]
EventKey = Annotated[
    str,
    PlainValidator(_text_shape, json_schema_input_type=str),
    _text_schema(
        _NAMED,
        KEY_MAX,
        description="Idempotency key, unique per campaign; a retry with the same key, amount "
        "and time is a duplicate.",
    ),
]
EventDescription = Annotated[
    str,
    PlainValidator(_text_shape, json_schema_input_type=str),
    _text_schema(_READABLE, DESCRIPTION_MAX),
]


class SpendEventIn(BaseModel):
    campaign_id: Id
    amount: EventMoney
    key: EventKey
    occurred_at: Instant | None = Field(None, description="Defaults to now.")
    description: EventDescription | None = None

    def raw(self) -> dict[str, object]:
        return self.model_dump()


def _event(value: object) -> SpendEventIn | EventResult:
    # A non-object refuses the whole batch; a bad field rejects just this event, and the
    # core's result for it takes the event's place in the batch.
    if not isinstance(value, dict):
        raise ValueError("must be an object")
    try:
        return SpendEventIn.model_validate(value)
    except PydanticValidationError as error:
        key = value.get("key")
        return EventResult(
            key if isinstance(key, str) else "",
            Outcome.REJECTED,
            tuple(pydantic_errors(error.errors())),
        )


# Any object is taken as an event: one that is no valid SpendEventIn is answered `rejected`
# (and refuses nothing else), so the document says exactly that.
Event = Annotated[
    SpendEventIn | EventResult,
    PlainValidator(_event, json_schema_input_type=SpendEventIn | dict[str, Any]),
]


class SpendBatchIn(_In):
    events: list[Event] = Field(
        min_length=1,
        max_length=MAX_BATCH,
        description="Spend events, each a SpendEventIn. An object that is not one is answered "
        "`rejected` with the fields at fault and does not refuse the other events.",
    )


class FieldErrorOut(BaseModel):
    field: str
    message: str


class SpendResultOut(BaseModel):
    key: str
    outcome: Outcome
    errors: list[FieldErrorOut] = Field(
        default_factory=list, description="Why the event was rejected (empty otherwise)."
    )


class SpendBatchOut(BaseModel):
    results: list[SpendResultOut] = Field(description="One per event, in request order.")
    recorded: int
    duplicate: int
    rejected: int


class ErrorOut(BaseModel):
    detail: str
    errors: list[FieldErrorOut]


# -- the spend report ------------------------------------------------------------------------


class BudgetUse(BaseModel):
    spend: str
    budget: str | None = Field(description="None where no budget is set.")
    remaining: str | None = Field(description="Budget minus spend, never below 0.")
    percent: str | None = Field(description="Spend as a percentage of the budget, 2 places.")


class CampaignSpendLine(BaseModel):
    id: int
    name: str
    state: State
    status: Status
    holds: list[Hold]
    today: BudgetUse
    this_month: BudgetUse


class SpendReport(BaseModel):
    brand: BrandOut
    as_of: datetime
    day: date = Field(description="The brand-local day counted as today.")
    month: str = Field(description="The brand-local month counted as this month (YYYY-MM).")
    today: BudgetUse = Field(description="The brand's spend today against its daily budget.")
    this_month: BudgetUse
    statuses: dict[str, int] = Field(description="How many of its campaigns have each status.")
    campaigns: list[CampaignSpendLine]


# -- brand list ------------------------------------------------------------------------------


class BrandPage(BaseModel):
    items: list[BrandOut]
    count: int = Field(description="How many brands there are, over all pages.")
    limit: int
    offset: int


# -- daily spend series ----------------------------------------------------------------------


class DaySpendOut(BaseModel):
    day: date = Field(description="A brand-local calendar day.")
    spend: str = Field(description="Spend that day (0 on a day without spend).")
    budget: str | None = Field(
        description="The daily budget in force that day; null where the brand had none."
    )


class _Series(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    currency: str
    timezone: str = Field(description="The brand's time zone, whose days these are.")
    from_: date = Field(alias="from", description="The first day (inclusive).")
    to: date = Field(description="The last day (inclusive).")
    days: list[DaySpendOut] = Field(description="Every day from `from` to `to`, in order.")


class CampaignSeries(_Series):
    campaign_id: int


class BrandSeries(_Series):
    brand_id: int


# -- pacing ----------------------------------------------------------------------------------


class PacingRowOut(BaseModel):
    subject: Literal["brand", "campaign"]
    id: int
    name: str
    brand_id: int
    currency: str
    status: Literal["", "draft", "active", "paused", "completed"] = Field(
        description="The campaign's status; empty for the brand."
    )
    period: Literal["daily", "monthly"]
    spend: str = Field(description="Spend so far in the brand-local period.")
    budget: str
    expected: str = Field(
        description="The budget times the share of the period's scheduled time elapsed."
    )
    pace: str | None = Field(
        description="Spend ÷ expected; null before any scheduled time has elapsed."
    )
    forecast: str = Field(
        description="Spend plus the spend per scheduled hour times the scheduled time "
        "left (a day's first hour uses the rate of the day before)."
    )
    run_out: str | None = Field(
        description="The instant (ISO 8601, UTC) the forecast reaches the budget, inside the "
        "scheduled time; null when it does not.",
        examples=["2026-06-12T17:30:00Z"],
    )
    band: Literal["", "under", "on", "over"] = Field(
        description="Pace below 1 - t, above 1 + t, or within, where t falls from 0.25 at "
        "the period's start to 0.01 at its end; empty when there is no pace."
    )


class PacingReportOut(BaseModel):
    brand_id: int
    currency: str
    at: datetime = Field(description="The instant the figures are computed for.")
    rows: list[PacingRowOut] = Field(
        description="The brand's own rows (for each period it has a budget for), then each "
        "campaign's daily and monthly row, campaigns in id order."
    )
