"""Brand-local calendar arithmetic. Instants are aware UTC datetimes; a brand's day runs from
local midnight to local midnight (23 or 25 hours across DST changes) and its month is the local
calendar month. Conversion from UTC happens once, here."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from core.entities.errors import InvalidInput


def parse_timezone(name: object, field: str = "timezone") -> str:
    """Return the IANA name if it is a known time zone; raise InvalidInput otherwise."""
    if not isinstance(name, str) or not name.strip():
        raise InvalidInput.on(field, "is required and must be an IANA time zone name")
    name = name.strip()
    if name not in _known_zones():
        raise InvalidInput.on(field, f"'{name}' is not a known IANA time zone")
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput.on(field, f"'{name}' is not a known IANA time zone") from None
    return name


_ZONES: frozenset[str] | None = None


def _known_zones() -> frozenset[str]:
    global _ZONES
    if _ZONES is None:
        _ZONES = frozenset(available_timezones()) | {"UTC"}
    return _ZONES


def zone(name: str) -> tzinfo:
    return ZoneInfo(name)


def require_aware(instant: datetime, field: str = "now") -> datetime:
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise InvalidInput.on(field, "must be a timezone-aware instant")
    try:
        return instant.astimezone(UTC)
    except OverflowError:  # a wall time at the very edge of the calendar, e.g. year 1 at +14:00
        raise InvalidInput.on(field, "is outside the calendar's range in UTC") from None


EARLIEST_DATE = date(2000, 1, 1)
LATEST_DATE = date(2999, 12, 31)


def parse_instant(value: object, field: str) -> datetime:
    """Accept an aware datetime or an ISO-8601 string with an offset (or Z), on a date from
    EARLIEST_DATE to LATEST_DATE."""
    if isinstance(value, datetime):
        parsed = require_aware(value, field)
    elif isinstance(value, str):
        text = value.strip()
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        try:
            parsed = require_aware(datetime.fromisoformat(text), field)
        except ValueError:
            raise InvalidInput.on(field, f"'{value}' is not an ISO-8601 instant") from None
    else:
        raise InvalidInput.on(field, "must be an ISO-8601 instant with a UTC offset")
    if not EARLIEST_DATE <= parsed.date() <= LATEST_DATE:
        raise InvalidInput.on(field, f"must lie between {EARLIEST_DATE} and {LATEST_DATE}")
    return parsed


def parse_date(value: object, field: str) -> date:
    """A calendar date (date or YYYY-MM-DD) between 2000-01-01 and 2999-12-31; the range keeps
    every period boundary computable and storable."""
    if isinstance(value, datetime):
        raise InvalidInput.on(field, "must be a calendar date, not an instant")
    if isinstance(value, date):
        parsed = value
    elif isinstance(value, str):
        try:
            parsed = date.fromisoformat(value.strip())
        except ValueError:
            raise InvalidInput.on(field, f"'{value}' is not a date (YYYY-MM-DD)") from None
    else:
        raise InvalidInput.on(field, "must be a date (YYYY-MM-DD)")
    if not EARLIEST_DATE <= parsed <= LATEST_DATE:
        raise InvalidInput.on(field, f"must be between {EARLIEST_DATE} and {LATEST_DATE}")
    return parsed


def local(instant: datetime, tz: str) -> datetime:
    return instant.astimezone(zone(tz))


@lru_cache(maxsize=4096)
def local_date(instant: datetime, tz: str) -> date:
    return local(instant, tz).date()


def days_between(start: date, end: date) -> list[date]:
    """Every calendar day from `start` to `end`, both included (none if end < start)."""
    return [start + timedelta(days=n) for n in range((end - start).days + 1)]


def month_of(day: date) -> date:
    """A month is named by its first day."""
    return day.replace(day=1)


def next_month(month: date) -> date:
    return date(month.year + (month.month == 12), month.month % 12 + 1, 1)


# Calendar answers are pure functions of (date, wall time, zone), asked again for every
# campaign of a brand: cached so a sweep pays for each distinct answer once.
@lru_cache(maxsize=65536)
def first_instant_at_or_after(day: date, wall: time, tz: str) -> datetime:
    """The first UTC instant at which the brand's wall clock reads at least `day wall`.

    For a wall time that exists once this is its instant; for one repeated by a DST fall-back
    it is the first occurrence; for one skipped by a spring-forward gap it is the instant of
    the jump (the wall clock goes straight past it)."""
    z = zone(tz)
    naive = datetime.combine(day, wall)
    early = naive.replace(tzinfo=z, fold=0).astimezone(UTC)
    late = naive.replace(tzinfo=z, fold=1).astimezone(UTC)
    first = min(early, late)
    if first.astimezone(z).replace(tzinfo=None) == naive:
        return first
    # In a gap: the jump lies between the two readings. Binary search on whole seconds.
    lo, hi = min(early, late), max(early, late)
    while hi - lo > timedelta(seconds=1):
        mid = lo + (hi - lo) / 2
        if mid.astimezone(z).replace(tzinfo=None) >= naive:
            hi = mid
        else:
            lo = mid
    return hi.replace(microsecond=0) if hi.microsecond else hi


def day_start(day: date, tz: str) -> datetime:
    return first_instant_at_or_after(day, time(0), tz)


def day_end(day: date, tz: str) -> datetime:
    """The instant the local day `day` ends (the next local midnight)."""
    return day_start(day + timedelta(days=1), tz)


def month_end(month: date, tz: str) -> datetime:
    return day_start(next_month(month), tz)


@lru_cache(maxsize=16384)
def offset_change_during(day: date, tz: str) -> datetime | None:
    """The instant within the local day `day` at which the UTC offset changes (a DST jump),
    or None. Days with two changes do not occur in the tz database."""
    start, end = day_start(day, tz), day_end(day, tz)
    z = zone(tz)
    before = start.astimezone(z).utcoffset()
    if (end - timedelta(seconds=1)).astimezone(z).utcoffset() == before:
        return None
    lo, hi = start, end - timedelta(seconds=1)
    while hi - lo > timedelta(seconds=1):
        mid = lo + (hi - lo) / 2
        if mid.astimezone(z).utcoffset() == before:
            lo = mid
        else:
            hi = mid
    return hi.replace(microsecond=0)
