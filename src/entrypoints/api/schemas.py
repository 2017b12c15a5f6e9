"""Request and response bodies of the API. Field names are the contract of SPEC §4.

Money is a decimal string in every response. In requests it may be a string or a JSON
number; either way it reaches the core as an exact Decimal (see errors.ExactJsonParser) and
the core refuses anything that is not a positive, finite amount with at most 6 places.
Ids are JSON integers, dates `YYYY-MM-DD` strings, instants ISO-8601 strings with an offset."""

from __future__ import annotations

import enum
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated, Any

import attrs
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainValidator,
    Strict,
    WithJsonSchema,
)
from pydantic import ValidationError as PydanticValidationError

from core.entities import FieldError, Hold, State, Status
from core.entities.spend import DESCRIPTION_MAX, KEY_MAX
from core.use_cases.record_spend import MAX_BATCH
from entrypoints.api.errors import pydantic_errors

# Ids are 64-bit database keys; larger numbers could not name anything.
MAX_ID = 2**63 - 1
# Dates the brand-local calendar arithmetic handles with room to spare.
EARLIEST = date(2000, 1, 1)
LATEST = date(2999, 12, 31)
_SCHEMA_MONEY: dict[str, Any] = {
    "anyOf": [
        {"type": "string", "pattern": r"^[0-9]+(\.[0-9]{1,6})?$"},
        {"type": "number", "exclusiveMinimum": 0},
    ],
    "description": "A decimal amount > 0 with at most 6 places, as a string or a JSON number "
    "(converted exactly, never through a binary float).",
    "examples": ["12.50"],
}


def _text(value: str) -> str:
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("must be valid Unicode text") from None
    return value


def _string_only(what: str) -> Any:
    def check(value: object) -> object:
        if not isinstance(value, str):
            raise ValueError(f"must be {what} given as a string")
        return value

    return BeforeValidator(check)


def _date_in_range(value: date) -> date:
    if not EARLIEST <= value <= LATEST:
        raise ValueError(f"must lie between {EARLIEST} and {LATEST}")
    return value


def _instant_in_range(value: datetime) -> datetime:
    try:
        day = value.astimezone(UTC).date()
    except OverflowError:  # e.g. 0001-01-01T00:00:00+14:00 falls before year 1 in UTC
        day = None
    if day is None or not EARLIEST <= day <= LATEST:
        raise ValueError(f"must lie between {EARLIEST} and {LATEST}")
    return value


Id = Annotated[int, Strict(), Field(ge=1, le=MAX_ID)]
Money = Annotated[Decimal, WithJsonSchema(_SCHEMA_MONEY)]
Text = Annotated[str, AfterValidator(_text)]
Day = Annotated[date, _string_only("a date (YYYY-MM-DD)"), AfterValidator(_date_in_range)]
Instant = Annotated[
    AwareDatetime,
    _string_only("an ISO-8601 instant with a UTC offset"),
    AfterValidator(_instant_in_range),
]
WallTime = Annotated[
    str, Field(pattern=r"^[0-9]{1,2}:[0-9]{2}$", examples=["22:00"], description="HH:MM")
]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


# -- brands ----------------------------------------------------------------------------------


class BrandIn(_In):
    name: Text = Field(max_length=200)
    timezone: Text = Field("UTC", max_length=64, description="An IANA time zone name.")
    currency: Text = Field("USD", max_length=3, description="ISO 4217 code.")
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


class WindowIn(_In):
    day_of_week: Annotated[int, Strict(), Field(ge=1, le=7, description="1 = Monday … 7")]
    start_time: WallTime
    end_time: WallTime = Field(
        description="HH:MM, exclusive; at or before start_time runs past midnight"
    )

    def raw(self) -> dict[str, object]:
        return self.model_dump()


class ScheduleIn(_In):
    windows: list[WindowIn] = Field(max_length=7 * 24 * 60)


class CampaignIn(_In):
    brand_id: Id
    name: Text = Field(max_length=200)
    daily_budget: Money
    monthly_budget: Money
    start_date: Day
    end_date: Day | None = None
    windows: list[WindowIn] = Field(default_factory=list, max_length=7 * 24 * 60)


class CampaignPatch(_In):
    """Any of the fields of a new campaign but `brand_id`; `end_date: null` removes the end."""

    name: Text | None = Field(None, max_length=200)
    daily_budget: Money | None = None
    monthly_budget: Money | None = None
    start_date: Day | None = None
    end_date: Day | None = None


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


class SpendEventIn(BaseModel):
    campaign_id: Id
    amount: Money
    key: Text = Field(
        max_length=KEY_MAX,
        description="Idempotency key, unique per campaign; a retry "
        "with the same key, amount and time is a duplicate.",
    )
    occurred_at: Instant | None = Field(None, description="Defaults to now.")
    description: Text | None = Field(None, max_length=DESCRIPTION_MAX)

    def raw(self) -> dict[str, object]:
        return self.model_dump()


@attrs.frozen
class RejectedEvent:
    """An event whose fields do not even have the right types; answered `rejected`."""

    key: str
    errors: tuple[FieldError, ...]


def _event(value: object) -> SpendEventIn | RejectedEvent:
    # A non-object refuses the whole batch; a bad field rejects just this event.
    if not isinstance(value, dict):
        raise ValueError("must be an object")
    try:
        return SpendEventIn.model_validate(value)
    except PydanticValidationError as error:
        key = value.get("key")
        return RejectedEvent(
            key if isinstance(key, str) else "", tuple(pydantic_errors(error.errors()))
        )


Event = Annotated[
    SpendEventIn | RejectedEvent,
    PlainValidator(_event, json_schema_input_type=SpendEventIn),
]


class SpendBatchIn(_In):
    events: list[Event] = Field(min_length=1, max_length=MAX_BATCH)


class Outcome(enum.StrEnum):
    RECORDED = "recorded"
    DUPLICATE = "duplicate"
    REJECTED = "rejected"


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
