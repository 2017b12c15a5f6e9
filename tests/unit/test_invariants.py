"""SPEC invariants 1-5 under random sequences of spend (with retried, replayed and conflicting
keys), sweeps, budget and brand edits, pauses, schedule replacements and clock steps across
local midnights, month ends and DST changes."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
)

from adapters.in_memory import FixedClock, InMemoryStore, RecordingNotifier
from core.entities import (
    Brand,
    Campaign,
    Conflict,
    InvalidInput,
    Money,
    Period,
    State,
    Status,
    compute_holds,
    derive_status,
)
from core.entities.schedule import parse_windows
from core.use_cases.record_spend import Outcome

from .support import App, audit_chain_problems, utc, window

TIME_ZONES = [
    "America/New_York",
    "Asia/Kolkata",
    "Pacific/Kiritimati",
    "Australia/Lord_Howe",
    "America/Havana",
    "UTC",
]
# Each start is a day or two before something in the first brand's time zone: a DST change
# (a 23- or 25-hour day, a skipped or repeated midnight), a month end, a year end, a leap day.
STARTS = [
    (utc(2026, 3, 7, 20), "America/New_York"),
    (utc(2026, 3, 7, 20), "America/Havana"),
    (utc(2026, 10, 31, 2), "America/New_York"),
    (utc(2026, 10, 31, 2), "America/Havana"),
    (utc(2026, 4, 4, 9), "Australia/Lord_Howe"),
    (utc(2026, 10, 3, 9), "Australia/Lord_Howe"),
    (utc(2026, 12, 30, 22), "Pacific/Kiritimati"),
    (utc(2027, 2, 27, 12), "Asia/Kolkata"),
    (utc(2028, 2, 28, 1), "UTC"),
    (utc(2026, 6, 29, 15), "America/New_York"),
]
WINDOW_PRESETS: list[list[dict[str, object]]] = [
    [],
    [window(d, "09:00", "17:00") for d in range(1, 6)],
    [window(5, "22:00", "02:00"), window(6, "22:00", "02:00"), window(7, "10:00", "12:00")],
    [window(6, "23:30", "01:30"), window(7, "01:00", "02:30"), window(7, "02:30", "04:00")],
    [window(d, "00:00", "12:00") for d in range(1, 8)]
    + [window(d, "11:00", "18:00") for d in (1, 3, 6)],
    [window(d, "06:00", "06:00") for d in (2, 4, 7)],
]
AMOUNTS = ["0.5", "10", "25", "33.333333", "60", "120"]
DAILY_BUDGETS = ["50", "100", "150.5"]
MONTHLY_BUDGETS = ["100", "250", "600"]
BRAND_BUDGETS = [None, "80", "150", "400"]
LATENESS = [
    timedelta(0),
    timedelta(minutes=1),
    timedelta(hours=2),
    timedelta(hours=20),
    timedelta(days=3),
    timedelta(days=35),
]
CLOCK_STEPS = [
    timedelta(minutes=1),
    timedelta(minutes=7),
    timedelta(hours=1),
    timedelta(hours=5),
    timedelta(hours=23),
    timedelta(hours=25),
    timedelta(days=3),
]
JITTER = [timedelta(seconds=-1), timedelta(0), timedelta(seconds=30)]

campaign_index = st.integers(0, 3)
SWEEP_AFTER = st.sampled_from([True, True, False])
brand_index = st.integers(0, 1)


def _period_of(instant: datetime, tz: str, period: Period) -> date:
    day = instant.astimezone(ZoneInfo(tz)).date()
    return day if period is Period.DAY else day.replace(day=1)


def _next_local_midnight(now: datetime, tz: str, *, month: bool) -> datetime:
    local = now.astimezone(ZoneInfo(tz))
    day = local.date() + timedelta(days=1)
    if month:
        day = date(local.year + (local.month == 12), local.month % 12 + 1, 1)
    return datetime(day.year, day.month, day.day, tzinfo=ZoneInfo(tz)).astimezone(now.tzinfo)


class BudgetMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.app: App
        self.brands: list[Brand] = []
        self.campaigns: list[Campaign] = []
        # The model: what was accepted, and what the operator wants.
        self.accepted: dict[tuple[int, str], tuple[Money, datetime]] = {}
        self.wish: dict[int, State] = {}

    # -- set-up ------------------------------------------------------------------------------

    @initialize(
        start_and_zone=st.sampled_from(STARTS),
        other_zone=st.sampled_from(TIME_ZONES),
        brand_budgets=st.lists(st.sampled_from(BRAND_BUDGETS), min_size=4, max_size=4),
        setups=st.lists(
            st.tuples(
                st.sampled_from(DAILY_BUDGETS),
                st.sampled_from(MONTHLY_BUDGETS),
                st.sampled_from([-40, -40, -1, 0, 1]),  # start, days from today
                st.sampled_from([None, None, None, 3, 41]),  # end, days after the start
                st.sampled_from([0, 0, *range(len(WINDOW_PRESETS))]),
                st.sampled_from([True, True, True, False]),  # launched
            ),
            min_size=4,
            max_size=4,
        ),
    )
    def build(
        self,
        start_and_zone: tuple[datetime, str],
        other_zone: str,
        brand_budgets: list[str | None],
        setups: list[tuple[str, str, int, int | None, int, bool]],
    ) -> None:
        start, first_zone = start_and_zone
        # Sweeps in three shards and small chunks: the invariants hold however a sweep
        # splits its work.
        self.app = App(
            InMemoryStore(), FixedClock(start), RecordingNotifier(), shards=3, chunk_size=2
        )
        for i, tz in enumerate((first_zone, other_zone)):
            self.brands.append(
                self.app.brand(
                    f"Brand {i}",
                    tz,
                    daily_budget=brand_budgets[2 * i],
                    monthly_budget=brand_budgets[2 * i + 1],
                )
            )
        for i, (daily, monthly, start_in, end_after, preset, launch) in enumerate(setups):
            brand = self.brands[i // 2]
            today = start.astimezone(ZoneInfo(brand.timezone)).date()
            first = today + timedelta(days=start_in)
            campaign = self.app.campaign(
                brand,
                f"Campaign {i}",
                daily=daily,
                monthly=monthly,
                start=first,
                end=None if end_after is None else first + timedelta(days=end_after),
                windows=WINDOW_PRESETS[preset],
                launch=launch,
            )
            self.campaigns.append(campaign)
            self.wish[campaign.id] = State.ENABLED if launch else State.DRAFT

    # -- spend -------------------------------------------------------------------------------

    @rule(
        events=st.lists(
            st.tuples(
                campaign_index,
                st.sampled_from(AMOUNTS),
                st.integers(0, 5),
                st.sampled_from(LATENESS),
            ),
            min_size=1,
            max_size=4,
        )
    )
    def spend(self, events: list[tuple[int, str, int, timedelta]]) -> None:
        now = self.app.now
        raw = [
            {
                "campaign_id": self.campaigns[c].id,
                "amount": amount,
                "key": f"k{key}",
                "occurred_at": (now - late).isoformat(),
            }
            for c, amount, key, late in events
        ]
        self._record(raw)

    @rule(c=campaign_index, amount=st.sampled_from(AMOUNTS), key=st.integers(0, 99))
    def spend_now(self, c: int, amount: str, key: int) -> None:
        """A fresh event as it happens (the common case; budgets get reached)."""
        event_key = f"now-{key}-{self.app.now.isoformat()}"
        self._record(
            [
                {
                    "campaign_id": self.campaigns[c].id,
                    "amount": amount,
                    "key": event_key,
                    "occurred_at": self.app.now.isoformat(),
                }
            ]
        )

    @rule(data=st.data(), change=st.sampled_from(["none", "none", "amount", "time"]))
    def replay(self, data: st.DataObject, change: str) -> None:
        if not self.accepted:
            return
        (campaign_id, key) = data.draw(st.sampled_from(sorted(self.accepted)))
        amount, at = self.accepted[(campaign_id, key)]
        if change == "amount":
            amount = amount + Money.of("0.000001")
        elif change == "time":
            at = at - timedelta(seconds=1)
        self._record(
            [
                {
                    "campaign_id": campaign_id,
                    "amount": str(amount),
                    "key": key,
                    "occurred_at": at.isoformat(),
                }
            ]
        )

    def _record(self, raw: list[dict[str, Any]]) -> None:
        expected: list[Outcome] = []
        seen = dict(self.accepted)
        for item in raw:
            slot = (item["campaign_id"], item["key"])
            value = (Money.of(item["amount"]), datetime.fromisoformat(item["occurred_at"]))
            if slot not in seen:
                seen[slot] = value
                expected.append(Outcome.RECORDED)
            elif seen[slot] == value:
                expected.append(Outcome.DUPLICATE)
            else:
                expected.append(Outcome.REJECTED)
        result = self.app.spend_batch(raw)
        assert [r.outcome for r in result.results] == expected
        for outcome in expected:
            event(f"spend {outcome}")
        # A campaign with a recorded event is recomputed at once (a duplicate changes nothing).
        touched = {
            item["campaign_id"]
            for item, outcome in zip(raw, expected, strict=True)
            if outcome is Outcome.RECORDED
        }
        self._recomputed_now(*(c for c in self.campaigns if c.id in touched))
        for r, outcome in zip(result.results, expected, strict=True):
            if outcome is Outcome.REJECTED:
                assert [e.field for e in r.errors] == ["key"]
        self.accepted = seen

    # -- periodic work -----------------------------------------------------------------------

    @rule(work=st.sampled_from(["reset", "dayparting", "flight", "enforce"]))
    def periodic_work(self, work: str) -> None:
        getattr(self.app, work)()

    @rule()
    def sweeps_leave_every_campaign_as_the_pure_function_says(self) -> None:
        self._sweep_and_check()

    def _sweep_and_check(self) -> None:
        """After the due-time sweeps at now, every campaign is what the pure function says
        (so no due time was missed) and nothing is left due; left alone, no campaign's holds
        change before its earliest due time (due times are never later than a real change);
        and the safety net finds nothing to do."""
        now = self.app.now
        self.app.sweeps()
        for stored in self._campaigns():
            brand = self.app.store.brand(stored.brand_id)
            assert stored.holds == compute_holds(stored, brand, now), stored.name
            due = [
                at
                for at in (stored.reset_due_at, stored.schedule_due_at, stored.flight_due_at)
                if at is not None
            ]
            assert all(at > now for at in due), stored
            horizon = min(due, default=now + timedelta(days=9))
            probes = {
                now + timedelta(minutes=1),
                now + timedelta(hours=1),
                now + (horizon - now) / 2,
                horizon - timedelta(minutes=1),
                horizon - timedelta(seconds=1),
            }
            for probe in sorted(p for p in probes if now < p < horizon):
                assert compute_holds(stored, brand, probe) == stored.holds, (stored.name, probe)
        checked = self.app.enforce()
        assert checked.held == checked.released == 0

    @rule()
    def reconcile_finds_nothing_to_repair(self) -> None:
        assert self.app.reconcile().mismatches == ()

    # -- operators ---------------------------------------------------------------------------

    @rule(
        c=campaign_index, field=st.sampled_from(["daily_budget", "monthly_budget"]), data=st.data()
    )
    def edit_budget(self, c: int, field: str, data: st.DataObject) -> None:
        choices = DAILY_BUDGETS if field == "daily_budget" else MONTHLY_BUDGETS
        value = data.draw(st.sampled_from([*choices, "10", "33.333333"]))
        self.app.edit(self.campaigns[c], **{field: value})
        self._recomputed_now(self.campaigns[c])

    @rule(
        b=brand_index,
        change=st.one_of(
            st.tuples(
                st.sampled_from(["daily_budget", "monthly_budget"]), st.sampled_from(BRAND_BUDGETS)
            ),
            st.tuples(st.just("is_active"), st.booleans()),
            st.tuples(st.just("timezone"), st.sampled_from(TIME_ZONES)),
        ),
    )
    def edit_brand(self, b: int, change: tuple[str, object]) -> None:
        field, value = change
        self.app.edit_brand(self.brands[b], **{field: value})
        self._recomputed_now(*(c for c in self.campaigns if c.brand_id == self.brands[b].id))

    @rule(c=campaign_index, days=st.sampled_from([None, -1, 0, 1, 4]))
    def edit_end_date(self, c: int, days: int | None) -> None:
        campaign = self.app.get(self.campaigns[c])
        end = None if days is None else campaign.start_date + timedelta(days=days)
        if end is not None and end < campaign.start_date:
            try:
                self.app.edit(campaign, end_date=end)
            except InvalidInput as error:
                assert error.field == "end_date"
            else:
                raise AssertionError("an end before the start was accepted")
        else:
            self.app.edit(campaign, end_date=end)
            self._recomputed_now(campaign)

    @rule(c=campaign_index, preset=st.integers(0, len(WINDOW_PRESETS) - 1))
    def replace_schedule(self, c: int, preset: int) -> None:
        self.app.schedule(self.campaigns[c], *WINDOW_PRESETS[preset])
        assert self.app.get(self.campaigns[c]).windows == parse_windows(WINDOW_PRESETS[preset])
        self._recomputed_now(self.campaigns[c])

    @rule(c=campaign_index, action=st.sampled_from(["launch", "pause", "resume"]))
    def operator(self, c: int, action: str) -> None:
        campaign = self.campaigns[c]
        wish = self.wish[campaign.id]
        allowed = (wish is State.DRAFT) if action == "launch" else (wish is not State.DRAFT)
        try:
            getattr(self.app, action)(campaign)
        except Conflict as error:
            assert not allowed and error.field == "state"
        else:
            assert allowed
            self.wish[campaign.id] = State.PAUSED if action == "pause" else State.ENABLED
            self._recomputed_now(campaign)

    def _recomputed_now(self, *campaigns: Campaign) -> None:
        """Operator actions and spend recompute holds at once, as of now."""
        for campaign in campaigns:
            stored = self.app.get(campaign)
            brand = self.app.store.brand(stored.brand_id)
            assert stored.holds == compute_holds(stored, brand, self.app.now), stored.name

    # -- time --------------------------------------------------------------------------------

    @rule(step=st.sampled_from(CLOCK_STEPS), then_sweep=SWEEP_AFTER)
    def time_passes(self, step: timedelta, then_sweep: bool) -> None:
        self.app.clock.advance(step)
        if then_sweep:
            self._sweep_and_check()

    @rule(
        b=brand_index,
        month=st.booleans(),
        jitter=st.sampled_from(JITTER),
        then_sweep=SWEEP_AFTER,
    )
    def time_reaches_a_local_midnight(
        self, b: int, month: bool, jitter: timedelta, then_sweep: bool
    ) -> None:
        tz = self.app.store.brand(self.brands[b].id).timezone
        target = _next_local_midnight(self.app.now, tz, month=month) + jitter
        if target > self.app.now:
            self.app.clock.set(target)
        if then_sweep:
            self._sweep_and_check()

    @rule(jitter=st.sampled_from(JITTER), then_sweep=SWEEP_AFTER)
    def time_reaches_the_next_due_time(self, jitter: timedelta, then_sweep: bool) -> None:
        """Where the sweeps would next find work: a window edge, a local midnight, a flight
        date (what a sweep run every minute would hit)."""
        now = self.app.now
        due = [
            at
            for c in self._campaigns()
            for at in (c.reset_due_at, c.schedule_due_at, c.flight_due_at)
            if at is not None and at > now
        ]
        if due and min(due) + jitter > now:
            self.app.clock.set(min(due) + jitter)
        if then_sweep:
            self._sweep_and_check()

    # -- invariants ----------------------------------------------------------------------------

    def _campaigns(self) -> list[Campaign]:
        return list(self.app.store.state.campaigns.values())  # read only

    @invariant()
    def counters_equal_the_ledger_for_their_period(self) -> None:
        """Invariant 1, for campaigns and brands: a counter equals the ledger's sum over the
        period it carries, and the spend read as of now equals the ledger's sum for now's
        period."""
        now = self.app.now
        campaigns = self.app.store.state.campaigns.values()  # read only
        tz_of = {b.id: b.timezone for b in self.app.store.state.brands.values()}
        # Sums per (subject, period kind, period), each entry placed by its brand-local date.
        sums: dict[tuple[str, int, Period, date], Decimal] = defaultdict(Decimal)
        brand_of = {c.id: c.brand_id for c in campaigns}
        for entry in self.app.store.ledger():
            brand_id = brand_of[entry.campaign_id]
            day = entry.occurred_at.astimezone(ZoneInfo(tz_of[brand_id])).date()
            for period, which in ((Period.DAY, day), (Period.MONTH, day.replace(day=1))):
                sums[("campaign", entry.campaign_id, period, which)] += entry.amount.amount
                sums[("brand", brand_id, period, which)] += entry.amount.amount
        subjects: list[tuple[str, Brand | Campaign, str]] = [
            ("campaign", c, tz_of[c.brand_id]) for c in campaigns
        ]
        subjects += [("brand", b, b.timezone) for b in self.app.store.state.brands.values()]
        for kind, subject, tz in subjects:
            for period, counter in ((Period.DAY, subject.daily), (Period.MONTH, subject.monthly)):
                if counter.period != date.min:
                    in_ledger = sums[(kind, subject.id, period, counter.period)]
                    assert counter.spend.amount == in_ledger, (subject.name, period, counter)
                current = _period_of(now, tz, period)
                in_ledger = sums[(kind, subject.id, period, current)]
                assert counter.spend_in(current).amount == in_ledger, (subject.name, period)

    @invariant()
    def every_accepted_event_is_in_the_ledger_exactly_once(self) -> None:
        entries = self.app.store.ledger()
        slots = [(e.campaign_id, e.key) for e in entries]
        assert len(slots) == len(set(slots))
        assert {(e.campaign_id, e.key): (e.amount, e.occurred_at) for e in entries} == self.accepted

    @invariant()
    def active_only_when_enabled_without_holds(self) -> None:
        for stored in self._campaigns():
            assert stored.status is derive_status(stored.state, stored.holds)
            for hold in stored.holds:
                event(f"reached: {hold}")
            event(f"reached: {stored.status}")
            if stored.status is Status.ACTIVE:
                assert stored.state is State.ENABLED and not stored.holds

    @invariant()
    def the_operators_wish_is_never_changed_by_automation(self) -> None:
        for stored in self._campaigns():
            assert stored.state is self.wish[stored.id], stored.name

    @invariant()
    def each_status_change_has_exactly_one_audit_entry(self) -> None:
        by_campaign = defaultdict(list)
        for entry in self.app.store.audit():
            by_campaign[entry.campaign_id].append(entry)
        for stored in self._campaigns():
            assert audit_chain_problems(by_campaign[stored.id], stored) == [], stored.name


BudgetMachine.TestCase.settings = settings(
    max_examples=75,
    stateful_step_count=30,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestBudgetInvariants = BudgetMachine.TestCase
