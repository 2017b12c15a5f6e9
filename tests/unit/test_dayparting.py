"""Dayparting windows: brand-local wall clock, start inclusive, end exclusive, overnight
windows, unions, DST gaps and repeated hours; ApplyDayparting and its due times."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta

import pytest

from adapters.in_memory import FixedClock
from core.entities import Cause, Hold, Status
from core.entities.schedule import Window, in_schedule, next_schedule_change, parse_windows

from .support import App, snapshot, utc, wall, window

NY = "America/New_York"
KOLKATA = "Asia/Kolkata"
MINUTE = timedelta(minutes=1)


def _windows(*raw: Mapping[str, object]) -> tuple[Window, ...]:
    return parse_windows(raw)


def _covers(windows: tuple[Window, ...], instant: datetime, tz: str = NY) -> bool:
    return in_schedule(windows, instant, tz)


# -- coverage ---------------------------------------------------------------------------------


def test_window_start_is_inclusive_and_end_is_exclusive() -> None:
    monday = _windows(window(1, "09:00", "17:00"))
    assert not _covers(monday, wall(NY, 2026, 6, 15, 8, 59))
    assert _covers(monday, wall(NY, 2026, 6, 15, 9, 0))
    assert _covers(monday, wall(NY, 2026, 6, 15, 16, 59))
    assert _covers(monday, wall(NY, 2026, 6, 15, 16, 59) + timedelta(seconds=59))
    assert not _covers(monday, wall(NY, 2026, 6, 15, 17, 0))
    assert not _covers(monday, wall(NY, 2026, 6, 16, 10, 0))  # Tuesday


def test_friday_22_to_02_covers_saturday_0159_and_not_0200() -> None:
    friday_night = _windows(window(5, "22:00", "02:00"))
    # 19 June 2026 is a Friday.
    assert not _covers(friday_night, wall(NY, 2026, 6, 19, 21, 59))
    assert _covers(friday_night, wall(NY, 2026, 6, 19, 22, 0))
    assert _covers(friday_night, wall(NY, 2026, 6, 20, 0, 0))
    assert _covers(friday_night, wall(NY, 2026, 6, 20, 1, 59))
    assert not _covers(friday_night, wall(NY, 2026, 6, 20, 2, 0))
    assert not _covers(friday_night, wall(NY, 2026, 6, 20, 23, 0))
    assert not _covers(friday_night, wall(NY, 2026, 6, 19, 1, 0))  # Friday's own small hours


def test_sunday_overnight_window_runs_into_monday() -> None:
    sunday_night = _windows(window(7, "23:00", "01:00"))
    assert _covers(sunday_night, wall(NY, 2026, 6, 15, 0, 30))  # Monday 00:30
    assert not _covers(sunday_night, wall(NY, 2026, 6, 16, 0, 30))  # Tuesday 00:30


def test_window_whose_end_equals_its_start_runs_for_a_whole_day() -> None:
    day_long = _windows(window(3, "06:00", "06:00"))
    assert _covers(day_long, wall(NY, 2026, 6, 17, 6, 0))
    assert _covers(day_long, wall(NY, 2026, 6, 18, 5, 59))
    assert not _covers(day_long, wall(NY, 2026, 6, 18, 6, 0))


def test_overlapping_windows_count_as_their_union() -> None:
    overlapping = _windows(window(1, "09:00", "12:00"), window(1, "11:00", "14:00"))
    assert _covers(overlapping, wall(NY, 2026, 6, 15, 9, 0))
    assert _covers(overlapping, wall(NY, 2026, 6, 15, 11, 30))
    assert _covers(overlapping, wall(NY, 2026, 6, 15, 12, 0))
    assert _covers(overlapping, wall(NY, 2026, 6, 15, 13, 59))
    assert not _covers(overlapping, wall(NY, 2026, 6, 15, 14, 0))


def test_no_window_means_unrestricted() -> None:
    assert _covers((), wall(NY, 2026, 6, 20, 3, 0))
    assert next_schedule_change((), utc(2026, 6, 20), NY) is None


def test_windows_are_read_on_the_brand_wall_clock() -> None:
    monday = _windows(window(1, "09:00", "17:00"))
    instant = utc(2026, 6, 15, 4)  # 09:30 Monday in Kolkata, 00:00 Monday in New York
    assert in_schedule(monday, instant, KOLKATA)
    assert not in_schedule(monday, instant, NY)


# -- DST: the wall clock decides ---------------------------------------------------------------
# New York, Sunday 8 March 2026: 01:59 EST (06:59Z) is followed by 03:00 EDT (07:00Z).
# New York, Sunday 1 November 2026: 01:00-01:59 is read twice, EDT (05:xxZ) then EST (06:xxZ).


def test_dst_gap_a_window_inside_the_skipped_hour_never_covers() -> None:
    in_gap = _windows(window(7, "02:00", "03:00"))
    instant = utc(2026, 3, 8, 4)
    while instant < utc(2026, 3, 9, 6):
        assert not _covers(in_gap, instant), instant
        instant += MINUTE


def test_dst_gap_a_window_ending_in_the_gap_ends_at_the_jump() -> None:
    ends_in_gap = _windows(window(7, "01:00", "02:30"))
    assert _covers(ends_in_gap, utc(2026, 3, 8, 6, 59))  # 01:59 EST
    assert not _covers(ends_in_gap, utc(2026, 3, 8, 7, 0))  # 03:00 EDT


def test_dst_gap_a_window_starting_in_the_gap_starts_at_the_jump() -> None:
    starts_in_gap = _windows(window(7, "02:30", "04:00"))
    assert not _covers(starts_in_gap, utc(2026, 3, 8, 6, 59))
    assert _covers(starts_in_gap, utc(2026, 3, 8, 7, 0))
    assert next_schedule_change(starts_in_gap, utc(2026, 3, 8, 6, 30), NY) == utc(2026, 3, 8, 7)


def test_repeated_hour_a_window_in_it_covers_both_readings() -> None:
    repeated = _windows(window(7, "01:00", "01:30"))
    assert _covers(repeated, utc(2026, 11, 1, 5, 15))  # 01:15 EDT
    assert not _covers(repeated, utc(2026, 11, 1, 5, 45))  # 01:45 EDT
    assert _covers(repeated, utc(2026, 11, 1, 6, 15))  # 01:15 EST
    assert not _covers(repeated, utc(2026, 11, 1, 6, 45))  # 01:45 EST
    assert not _covers(repeated, utc(2026, 11, 1, 7, 15))  # 02:15 EST


def test_repeated_hour_window_edges_are_reached_twice() -> None:
    repeated = _windows(window(7, "01:00", "01:30"))
    changes: list[datetime] = []
    instant: datetime | None = utc(2026, 11, 1, 4)
    while instant is not None and instant < utc(2026, 11, 1, 8):
        instant = next_schedule_change(repeated, instant, NY)
        changes.append(instant)  # type: ignore[arg-type]
    assert utc(2026, 11, 1, 5) in changes
    assert utc(2026, 11, 1, 5, 30) in changes
    assert utc(2026, 11, 1, 6) in changes
    assert utc(2026, 11, 1, 6, 30) in changes


DST_WINDOW_SETS = {
    "gap-spanning": [window(7, "01:00", "02:30")],
    "inside-the-jump-hour": [window(7, "02:00", "03:00")],
    "overnight-ending-in-it": [window(6, "23:30", "01:30")],
    "half-hour-in-it": [window(7, "01:30", "01:45")],
    "starting-in-it": [window(7, "02:30", "04:00")],
    "overlapping-and-overnight": [
        window(6, "22:00", "02:00"),
        window(7, "01:15", "03:15"),
        window(7, "00:00", "00:01"),
    ],
    "whole-day": [window(7, "01:30", "01:30")],
    "midnight-edges": [window(6, "23:00", "00:00"), window(7, "00:00", "00:30")],
}

DST_NIGHTS = {
    # tz, and the Sunday (local) of the change
    "new-york-spring": (NY, date(2026, 3, 8)),
    "new-york-fall": (NY, date(2026, 11, 1)),
    "lord-howe-half-hour-back": ("Australia/Lord_Howe", date(2026, 4, 5)),
    "lord-howe-half-hour-forward": ("Australia/Lord_Howe", date(2026, 10, 4)),
    "havana-skipped-midnight": ("America/Havana", date(2026, 3, 8)),
    "havana-repeated-midnight": ("America/Havana", date(2026, 11, 1)),
}


@pytest.mark.parametrize("night", list(DST_NIGHTS))
@pytest.mark.parametrize("windows_name", list(DST_WINDOW_SETS))
def test_next_schedule_change_is_never_later_than_a_real_change_minute_by_minute(
    night: str, windows_name: str
) -> None:
    tz, sunday = DST_NIGHTS[night]
    windows = _windows(*DST_WINDOW_SETS[windows_name])
    saturday = sunday - timedelta(days=1)
    y, m, d = saturday.year, saturday.month, saturday.day
    start = wall(tz, y, m, d, 12, 0)
    # Coverage minute by minute for two days, then every answer of the night is checked.
    minutes = [start + n * MINUTE for n in range(2 * 24 * 60)]
    coverage = [in_schedule(windows, t, tz) for t in minutes]
    next_real: list[datetime | None] = [None] * len(minutes)
    upcoming: datetime | None = None
    for i in range(len(minutes) - 1, 0, -1):
        if coverage[i] != coverage[i - 1]:
            upcoming = minutes[i]
        next_real[i - 1] = upcoming
    for i in range(8 * 60, 20 * 60):  # Saturday 20:00 to Sunday about 08:00
        t = minutes[i]
        predicted = next_schedule_change(windows, t, tz)
        assert predicted is not None and predicted > t, t
        real = next_real[i]
        if real is not None:
            assert predicted <= real, f"at {t} the next change is {real}, predicted {predicted}"


# -- ApplyDayparting -----------------------------------------------------------------------------


def test_apply_dayparting_releases_inside_and_holds_outside_the_window(
    app: App, clock: FixedClock
) -> None:
    clock.set(utc(2026, 6, 15, 2, 30))  # Monday 08:00 in Kolkata
    campaign = app.campaign(app.brand(timezone=KOLKATA), windows=[window(1, "09:00", "17:00")])
    stored = app.get(campaign)
    assert stored.holds == {Hold.OUTSIDE_SCHEDULE} and stored.status is Status.PAUSED
    assert stored.schedule_due_at == utc(2026, 6, 15, 3, 30)

    assert app.dayparting(utc(2026, 6, 15, 3, 29, 59)).checked == 0
    opened = app.dayparting(utc(2026, 6, 15, 3, 30))
    assert opened.released == 1 and opened.activated == 1
    assert app.get(campaign).status is Status.ACTIVE
    assert app.get(campaign).schedule_due_at == utc(2026, 6, 15, 11, 30)

    closed = app.dayparting(utc(2026, 6, 15, 11, 30))
    assert closed.held == 1 and closed.stopped == 1
    assert app.get(campaign).holds == {Hold.OUTSIDE_SCHEDULE}
    assert app.audit(campaign)[-1].cause is Cause.DAYPARTING


def test_campaign_without_windows_is_never_looked_at_by_dayparting(
    app: App, clock: FixedClock
) -> None:
    campaign = app.campaign(app.brand())
    assert app.get(campaign).schedule_due_at is None
    before = snapshot(app.store)
    for hours in range(0, 24 * 8, 5):
        assert app.dayparting(clock.now() + timedelta(hours=hours)).checked == 0
    assert snapshot(app.store) == before
    assert app.get(campaign).status is Status.ACTIVE


def test_replacing_the_schedule_applies_at_once(app: App, clock: FixedClock) -> None:
    campaign = app.campaign(app.brand())  # Monday 12:00 UTC
    closed = app.schedule(campaign, window(2, "09:00", "17:00"))
    assert closed.holds == {Hold.OUTSIDE_SCHEDULE} and closed.status is Status.PAUSED
    opened = app.schedule(campaign, window(1, "11:00", "13:00"), window(1, "12:30", "20:00"))
    assert opened.status is Status.ACTIVE
    lifted = app.schedule(campaign)
    assert lifted.windows == () and lifted.schedule_due_at is None
    assert [e.cause for e in app.audit(campaign)][-2:] == [Cause.SCHEDULE, Cause.SCHEDULE]


def test_overlapping_windows_do_not_flap_at_an_inner_edge(app: App, clock: FixedClock) -> None:
    clock.set(utc(2026, 6, 15, 8, 0))
    campaign = app.campaign(
        app.brand(), windows=[window(1, "09:00", "12:00"), window(1, "11:00", "14:00")]
    )
    _run_every_minute(app, utc(2026, 6, 15, 8, 0), utc(2026, 6, 15, 15, 0))
    changes = [(e.at, e.to_status) for e in app.audit(campaign) if e.cause is Cause.DAYPARTING]
    assert changes == [
        (utc(2026, 6, 15, 9), Status.ACTIVE),
        (utc(2026, 6, 15, 14), Status.PAUSED),
    ]


def _run_every_minute(app: App, start: datetime, end: datetime) -> None:
    instant = start
    while instant <= end:
        app.dayparting(instant)
        instant += MINUTE


@pytest.mark.parametrize(
    ("windows", "night_start", "expected"),
    [
        pytest.param(
            [window(7, "01:00", "01:30")],
            utc(2026, 11, 1, 3),
            [
                (utc(2026, 11, 1, 5, 0), Status.ACTIVE),
                (utc(2026, 11, 1, 5, 30), Status.PAUSED),
                (utc(2026, 11, 1, 6, 0), Status.ACTIVE),
                (utc(2026, 11, 1, 6, 30), Status.PAUSED),
            ],
            id="repeated-hour",
        ),
        pytest.param(
            [window(7, "01:00", "02:30"), window(7, "03:30", "04:00")],
            utc(2026, 3, 8, 4),
            [
                (utc(2026, 3, 8, 6, 0), Status.ACTIVE),
                (utc(2026, 3, 8, 7, 0), Status.PAUSED),
                (utc(2026, 3, 8, 7, 30), Status.ACTIVE),
                (utc(2026, 3, 8, 8, 0), Status.PAUSED),
            ],
            id="gap",
        ),
    ],
)
def test_dayparting_run_every_minute_follows_the_wall_clock_across_dst(
    app: App,
    clock: FixedClock,
    windows: Sequence[Mapping[str, object]],
    night_start: datetime,
    expected: list[tuple[datetime, Status]],
) -> None:
    clock.set(night_start)
    campaign = app.campaign(app.brand(timezone=NY), windows=windows)
    assert app.get(campaign).status is Status.PAUSED
    _run_every_minute(app, night_start, night_start + timedelta(hours=6))
    changes = [(e.at, e.to_status) for e in app.audit(campaign) if e.cause is Cause.DAYPARTING]
    assert changes == expected


def test_dayparting_run_only_at_due_times_matches_running_every_minute(
    app: App, clock: FixedClock
) -> None:
    """The sweep at due times alone (what an indexed query selects) sees every change."""
    start = utc(2026, 10, 31, 0)
    clock.set(start)
    brand = app.brand(timezone=NY)
    windows = [
        window(6, "22:00", "01:30"),
        window(7, "01:15", "02:15"),
        window(7, "09:00", "09:00"),
    ]
    campaign = app.campaign(brand, windows=windows)
    instant = start
    end = start + timedelta(days=3)
    while True:
        due = app.get(campaign).schedule_due_at
        assert due is not None and due > instant
        if due > end:
            break
        instant = due
        app.dayparting(instant)
        stored = app.get(campaign)
        covered = in_schedule(stored.windows, instant, NY)
        assert (Hold.OUTSIDE_SCHEDULE not in stored.holds) == covered, instant
    # Every minute in between, the stored holds agree with the wall clock.
    probe = start
    timeline = [(e.at, e.to_status) for e in app.audit(campaign)]
    while probe < end:
        last_change = [status for at, status in timeline if at <= probe][-1]
        covered = in_schedule(app.get(campaign).windows, probe, NY)
        assert (last_change is Status.ACTIVE) == covered, probe
        probe += MINUTE
