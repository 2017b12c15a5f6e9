"""Dayparting windows: when, in brand-local wall-clock time, a campaign may run."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache

import attrs

from core.entities.errors import Collector, InvalidInput
from core.entities.time import (
    day_start,
    first_instant_at_or_after,
    local,
    offset_change_during,
    zone,
)

_HHMM = re.compile(r"([0-9]{1,2}):([0-9]{2})")
_DAY = re.compile(r"[0-9]{1,9}")
_DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def parse_wall_time(value: object, field: str) -> time:
    """'HH:MM' (00:00-23:59) or a datetime.time with whole minutes."""
    if isinstance(value, time):
        if value.second or value.microsecond:
            raise InvalidInput.on(field, "must be a whole minute (HH:MM)")
        return value.replace(tzinfo=None)
    if not isinstance(value, str):
        raise InvalidInput.on(field, "must be a time of day as HH:MM")
    match = _HHMM.fullmatch(value.strip())
    if not match:
        raise InvalidInput.on(field, f"'{value}' is not a time of day as HH:MM")
    hour, minute = int(match.group(1)), int(match.group(2))
    if hour > 23:
        raise InvalidInput.on(field, f"hour {hour} is out of range 0-23")
    if minute > 59:
        raise InvalidInput.on(field, f"minute {minute} is out of range 0-59")
    return time(hour, minute)


@attrs.frozen(order=True)
class Window:
    """One weekly window. `end <= start` means it runs past midnight into the next day."""

    day_of_week: int  # 1 = Monday … 7 = Sunday
    start: time
    end: time

    @classmethod
    def parse(cls, raw: Mapping[str, object], field: str = "windows") -> Window:
        """Build a window from caller input; raises InvalidInput naming e.g.
        `windows[0].start_time`."""
        errors = Collector()
        day = raw.get("day_of_week")
        if isinstance(day, bool) or not isinstance(day, int | str):
            errors.add(f"{field}.day_of_week", "must be an integer 1 (Monday) to 7 (Sunday)")
            day_number = 0
        else:
            # ASCII digits only: int() would also read " 5", "+5" and other scripts' digits.
            day_number = int(day) if isinstance(day, int) or _DAY.fullmatch(day) else 0
            if not 1 <= day_number <= 7:
                errors.add(
                    f"{field}.day_of_week", f"'{day}' is out of range 1 (Monday) to 7 (Sunday)"
                )
        parsed: list[time] = []
        for key in ("start_time", "end_time"):
            try:
                parsed.append(parse_wall_time(raw.get(key), f"{field}.{key}"))
            except InvalidInput as error:
                errors.absorb(error)
        errors.raise_if_any()
        return cls(day_number, parsed[0], parsed[1])

    @property
    def overnight(self) -> bool:
        return self.end <= self.start

    def covers(self, weekday: int, wall: time) -> bool:
        """Does this window cover the wall-clock moment (`weekday` 1-7, `wall`)?"""
        wall = wall.replace(second=0, microsecond=0, tzinfo=None, fold=0)
        if not self.overnight:
            return weekday == self.day_of_week and self.start <= wall < self.end
        if weekday == self.day_of_week and wall >= self.start:
            return True
        next_day = self.day_of_week % 7 + 1
        return weekday == next_day and wall < self.end

    def describe(self) -> str:
        return f"{_DAY_NAMES[self.day_of_week - 1]} {self.start:%H:%M}-{self.end:%H:%M}"


def parse_windows(raw: Iterable[Mapping[str, object]]) -> tuple[Window, ...]:
    errors = Collector()
    windows: list[Window] = []
    for index, item in enumerate(raw):
        if not isinstance(item, Mapping):
            errors.add(f"windows[{index}]", "must be an object")
            continue
        try:
            windows.append(Window.parse(item, f"windows[{index}]"))
        except InvalidInput as error:
            errors.absorb(error)
    errors.raise_if_any()
    return tuple(sorted(set(windows)))


# Both cached: a sweep or a spend batch asks at one instant for thousands of campaigns that
# share a handful of schedules and time zones.
@lru_cache(maxsize=4096)
def in_schedule(windows: tuple[Window, ...], instant: datetime, tz: str) -> bool:
    """No windows means unrestricted; otherwise the union of the windows counts."""
    if not windows:
        return True
    wall = local(instant, tz)
    weekday = wall.isoweekday()
    return any(w.covers(weekday, wall.time()) for w in windows)


@lru_cache(maxsize=4096)
def next_schedule_change(windows: tuple[Window, ...], after: datetime, tz: str) -> datetime | None:
    """The earliest instant strictly after `after` at which coverage may change: a window edge
    or a DST jump of the wall clock. It may be a moment where nothing changes (harmless: the
    campaign is looked at and the next one is computed); it is never later than a real change.
    None when there are no windows."""
    if not windows:
        return None
    start_day = local(after, tz).date() - timedelta(days=1)
    best: datetime | None = None
    for offset in range(0, 9):
        day = start_day + timedelta(days=offset)
        candidates = [c for edge in _edges_on(windows, day) for c in _edge_instants(day, edge, tz)]
        jump = offset_change_during(day, tz)
        if jump is not None:
            candidates.append(jump)
        for candidate in candidates:
            if candidate > after and (best is None or candidate < best):
                best = candidate
        if best is not None and best < day_start(day + timedelta(days=1), tz):
            break
    return best


def _edges_on(windows: tuple[Window, ...], day: date) -> set[time]:
    weekday = day.isoweekday()
    edges: set[time] = set()
    for w in windows:
        if w.day_of_week == weekday:
            edges.add(w.start)
            if not w.overnight:
                edges.add(w.end)
        elif w.overnight and w.day_of_week % 7 + 1 == weekday:
            edges.add(w.end)
    return edges


@lru_cache(maxsize=65536)
def _edge_instants(day: date, edge: time, tz: str) -> tuple[datetime, ...]:
    """Every UTC instant at which the wall clock reaches `edge` on `day`: one, two in a
    repeated hour (both readings are edges), or the jump instant in a gap."""
    first = first_instant_at_or_after(day, edge, tz)
    naive = datetime.combine(day, edge)
    second = naive.replace(tzinfo=zone(tz), fold=1).astimezone(UTC)
    if second != first and second.astimezone(zone(tz)).replace(tzinfo=None) == naive:
        return (first, second)
    return (first,)
