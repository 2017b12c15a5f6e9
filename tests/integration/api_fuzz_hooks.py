"""Schemathesis hooks for the fuzz run of the API (loaded through SCHEMATHESIS_HOOKS).

The OpenAPI document states every rule a single field has, but JSON Schema cannot state one
rule between fields: a campaign's flight may not end before it starts, counting the dates
already stored when a PATCH sends only one of them. So that a request generated as valid is
valid, generated campaign bodies keep their dates in order: both given out of order are
swapped, and a PATCH that sends one date also sends the other (the start of the calendar
with an end date, no end with a start date), which makes the stored dates irrelevant. No
other part of a request is touched, and a date that is not a date is left for the API to
refuse."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import schemathesis

# As the API reads a date; anything else stays as generated.
_DAY = re.compile(r"2[0-9]{3}-[0-9]{2}-[0-9]{2}")
_FIRST_DAY = "2000-01-01"


def _day(value: object) -> date | None:
    if isinstance(value, str) and _DAY.fullmatch(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            return None
    return None


def _in_order(body: dict[str, Any], *, patch: bool) -> dict[str, Any]:
    start, end = _day(body.get("start_date")), _day(body.get("end_date"))
    if start is not None and end is not None and end < start:
        body = {**body, "start_date": body["end_date"], "end_date": body["start_date"]}
    if patch and start is not None and "end_date" not in body:
        body = {**body, "end_date": None}
    if patch and end is not None and "start_date" not in body:
        body = {**body, "start_date": _FIRST_DAY}
    return body


# A spend series covers at most this many days (entrypoints.reports.MAX_SERIES_DAYS).
_SERIES_DAYS = 366


def _range_in_order(query: dict[str, Any]) -> dict[str, Any]:
    """A series' `from` and `to` in order and at most a year apart; a `from` sent alone gets
    a `to` (its default, the server's today, may come before it or too long after)."""
    start, end = _day(query.get("from")), _day(query.get("to"))
    if start is not None and "to" not in query:
        return {**query, "to": query["from"]}
    if start is None or end is None:
        return query
    first, last = min(start, end), max(start, end)
    last = min(last, date.fromordinal(first.toordinal() + _SERIES_DAYS - 1))
    return {**query, "from": first.isoformat(), "to": last.isoformat()}


@schemathesis.hook
def map_case(context: schemathesis.HookContext, case: schemathesis.Case) -> schemathesis.Case:
    # A case hook: it applies to every phase (body hooks miss the coverage phase's cases).
    operation = case.operation
    method, path = operation.method.upper(), operation.path
    if method == "GET" and path.endswith("/spend") and isinstance(case.query, dict):
        case.query = _range_in_order(case.query)
    if not isinstance(case.body, dict):
        return case
    if method == "POST" and path.endswith("/campaigns"):
        case.body = _in_order(case.body, patch=False)
    elif method == "PATCH" and path.endswith("/campaigns/{campaign_id}"):
        case.body = _in_order(case.body, patch=True)
    return case
