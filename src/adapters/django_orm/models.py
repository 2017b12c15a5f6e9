"""Plain records of the budget domain. Nothing here decides anything: the core computes holds,
status, counters and due times, and mappers.py turns these rows into entities and back.

Money columns are DECIMAL(18, 6). A counter's period is the first local day of the day or
month it counts; NULL means the counter has never counted anything. A campaign's holds are
stored as their sorted names wrapped in commas (",DAILY_BUDGET,OUTSIDE_SCHEDULE,"), so
`holds__contains=",DAILY_BUDGET,"` (see `with_hold`) filters the same way on SQLite and
PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from django.db import models
from django.db.models import Q

from core.entities import Cause, Hold, Period, State, Status, Subject
from core.entities.alerts import AlertKind

# Budgets and amounts are at most 999,999,999,999 (core MAX_AMOUNT): 18 digits with six
# places. A counter adds up amounts, so it has six more digits: a period's spend may pass a
# budget many times over (spend is recorded whatever the campaign's status).
MONEY_DIGITS = 18
COUNTER_DIGITS = 24
MONEY_PLACES = 6


def _choices(values: Iterable[str]) -> list[tuple[str, str]]:
    return [(str(v), str(v).replace("_", " ").lower()) for v in values]


STATE_CHOICES = _choices(State)
STATUS_CHOICES = _choices(Status)
CAUSE_CHOICES = _choices(Cause)
PERIOD_CHOICES = _choices(Period)
SUBJECT_CHOICES = _choices(Subject)
ALERT_KIND_CHOICES = _choices(AlertKind)
HOLD_CHOICES = _choices(Hold)


def holds_text(names: Iterable[str]) -> str:
    """The stored form of a set of holds: sorted names wrapped in commas; "" for none."""
    ordered = sorted(set(names))
    return f",{','.join(ordered)}," if ordered else ""


def holds_names(text: str) -> list[str]:
    return [name for name in text.split(",") if name]


def with_hold(name: str) -> Q:
    """Campaigns holding `name` (a Hold value)."""
    return Q(holds__contains=f",{name},")


def campaign_budget_out_of_line() -> Q:
    """Campaigns whose own budget holds disagree with their stored counters: a hold with the
    counter below budget, or a counter at or over budget without its hold. (A stale counter
    is ResetPeriod's: its reset is due.) Kept as a partial index's condition, and queried
    with the very same expression, so PostgreSQL reads just the index."""
    q = Q()
    for hold, reached in (("DAILY_BUDGET", "daily_reached"), ("MONTHLY_BUDGET", "monthly_reached")):
        q |= with_hold(hold) & Q(**{reached: False})
        q |= ~with_hold(hold) & Q(**{reached: True})
    return q


def _reached(period: str) -> models.GeneratedField:
    """Whether the stored `period` counter is at or over its budget, computed and stored
    by the database on every write of the row. The out-of-line index looks at these rather
    than at the counters themselves: spend that does not reach a budget then changes no
    indexed value, and PostgreSQL rewrites the row without touching any index (a HOT
    update), which is most of the cost of a spend batch."""
    return models.GeneratedField(
        expression=models.ExpressionWrapper(
            Q(**{f"{period}_spend__gte": models.F(f"{period}_budget")}),
            output_field=models.BooleanField(),
        ),
        output_field=models.BooleanField(),
        db_persist=True,
    )


def brand_budget_held() -> Q:
    """Campaigns holding a brand-wide budget hold (a partial index's condition, as above)."""
    return with_hold("BRAND_DAILY_BUDGET") | with_hold("BRAND_MONTHLY_BUDGET")


class Brand(models.Model):
    name = models.CharField(max_length=200, unique=True)
    timezone = models.CharField(max_length=64, default="UTC")
    currency = models.CharField(max_length=3, default="USD")
    is_active = models.BooleanField(default=True)
    daily_budget = models.DecimalField(
        max_digits=MONEY_DIGITS, decimal_places=MONEY_PLACES, null=True, blank=True
    )
    monthly_budget = models.DecimalField(
        max_digits=MONEY_DIGITS, decimal_places=MONEY_PLACES, null=True, blank=True
    )
    daily_spend = models.DecimalField(
        max_digits=COUNTER_DIGITS, decimal_places=MONEY_PLACES, default=Decimal(0)
    )
    daily_period = models.DateField(null=True, blank=True)
    monthly_spend = models.DecimalField(
        max_digits=COUNTER_DIGITS, decimal_places=MONEY_PLACES, default=Decimal(0)
    )
    monthly_period = models.DateField(null=True, blank=True)
    reset_due_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name"]
        indexes = [
            models.Index(
                fields=["reset_due_at", "id"],
                name="budget_brand_reset_due",
                condition=Q(reset_due_at__isnull=False),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(daily_budget__isnull=True) | Q(daily_budget__gt=0),
                name="budget_brand_daily_budget_positive",
            ),
            models.CheckConstraint(
                condition=Q(monthly_budget__isnull=True) | Q(monthly_budget__gt=0),
                name="budget_brand_monthly_budget_positive",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Campaign(models.Model):
    # No index of its own: the unique (brand, name) index serves look-ups by brand, and
    # every index costs each update of the row.
    brand = models.ForeignKey(
        Brand, on_delete=models.PROTECT, related_name="campaigns", db_index=False
    )
    name = models.CharField(max_length=200)
    daily_budget = models.DecimalField(max_digits=MONEY_DIGITS, decimal_places=MONEY_PLACES)
    monthly_budget = models.DecimalField(max_digits=MONEY_DIGITS, decimal_places=MONEY_PLACES)
    start_date = models.DateField()
    end_date = models.DateField(null=True, blank=True)
    state = models.CharField(max_length=16, choices=STATE_CHOICES, default=State.DRAFT.value)
    status = models.CharField(max_length=16, choices=STATUS_CHOICES, default=Status.DRAFT.value)
    holds = models.CharField(max_length=255, blank=True, default="")
    daily_spend = models.DecimalField(
        max_digits=COUNTER_DIGITS, decimal_places=MONEY_PLACES, default=Decimal(0)
    )
    daily_period = models.DateField(null=True, blank=True)
    monthly_spend = models.DecimalField(
        max_digits=COUNTER_DIGITS, decimal_places=MONEY_PLACES, default=Decimal(0)
    )
    monthly_period = models.DateField(null=True, blank=True)
    # When each sweep next needs this campaign (NULL: not until something else changes it).
    reset_due_at = models.DateTimeField(null=True, blank=True)
    schedule_due_at = models.DateTimeField(null=True, blank=True)
    flight_due_at = models.DateTimeField(null=True, blank=True)
    daily_reached = _reached("daily")
    monthly_reached = _reached("monthly")
    # The windows again, as "day start end" items joined by ";" in window order, written
    # with them (CampaignRepository.replace_windows): the sweeps and spend batches read a
    # campaign in one row instead of an index probe into the window table per campaign.
    windows_text = models.TextField(blank=True, default="", editable=False)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["brand", "name"], name="budget_campaign_name_per_brand"
            ),
            models.CheckConstraint(
                condition=Q(daily_budget__gt=0), name="budget_campaign_daily_budget_positive"
            ),
            models.CheckConstraint(
                condition=Q(monthly_budget__gt=0), name="budget_campaign_monthly_budget_positive"
            ),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=models.F("start_date")),
                name="budget_campaign_end_not_before_start",
            ),
        ]
        indexes = [
            models.Index(
                fields=["reset_due_at", "id"],
                name="budget_campaign_reset_due",
                condition=Q(reset_due_at__isnull=False),
            ),
            models.Index(
                fields=["schedule_due_at", "id"],
                name="budget_campaign_schedule_due",
                condition=Q(schedule_due_at__isnull=False),
            ),
            models.Index(
                fields=["flight_due_at", "id"],
                name="budget_campaign_flight_due",
                condition=Q(flight_due_at__isnull=False),
            ),
            models.Index(fields=["status", "id"], name="budget_campaign_status"),
            models.Index(
                fields=["id"],
                name="budget_campaign_budget_off",
                condition=campaign_budget_out_of_line(),
            ),
            models.Index(
                fields=["id"],
                name="budget_campaign_brand_held",
                condition=brand_budget_held(),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def hold_names(self) -> list[str]:
        return holds_names(self.holds)


class Window(models.Model):
    """One weekly dayparting window, brand-local wall-clock time; end <= start runs past
    midnight into the next day."""

    # Looked up through the unique (campaign, day, start, end) index.
    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="windows", db_index=False
    )
    day_of_week = models.PositiveSmallIntegerField(help_text="1 = Monday … 7 = Sunday")
    start_time = models.TimeField()
    end_time = models.TimeField()

    class Meta:
        ordering = ["campaign", "day_of_week", "start_time", "end_time"]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "day_of_week", "start_time", "end_time"],
                name="budget_window_once",
            ),
            models.CheckConstraint(
                condition=Q(day_of_week__gte=1, day_of_week__lte=7),
                name="budget_window_day_of_week_1_7",
            ),
        ]

    def __str__(self) -> str:
        return f"day {self.day_of_week} {self.start_time:%H:%M}-{self.end_time:%H:%M}"


class SpendEntry(models.Model):
    """The spend ledger: one row per accepted event, never updated."""

    # Looked up through the unique (campaign, key) and (campaign, occurred_at) indexes.
    campaign = models.ForeignKey(
        Campaign, on_delete=models.PROTECT, related_name="ledger_entries", db_index=False
    )
    key = models.CharField(max_length=200)
    amount = models.DecimalField(max_digits=MONEY_DIGITS, decimal_places=MONEY_PLACES)
    occurred_at = models.DateTimeField()
    recorded_at = models.DateTimeField()
    description = models.CharField(max_length=500, blank=True, default="")
    actor = models.CharField(max_length=150, default="system")

    class Meta:
        ordering = ["id"]
        verbose_name = "spend entry"
        verbose_name_plural = "spend ledger"
        constraints = [
            models.UniqueConstraint(fields=["campaign", "key"], name="budget_spend_once_per_key"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="budget_spend_positive"),
        ]
        indexes = [
            models.Index(fields=["campaign", "occurred_at"], name="budget_spend_campaign_time"),
        ]

    def __str__(self) -> str:
        return f"{self.key}: {self.amount}"


class StatusChange(models.Model):
    """The audit log: one row per change of a campaign's status or of its holds."""

    # Looked up through the (campaign, id) index.
    campaign = models.ForeignKey(
        Campaign, on_delete=models.PROTECT, related_name="status_changes", db_index=False
    )
    from_status = models.CharField(max_length=16, choices=STATUS_CHOICES, null=True, blank=True)
    to_status = models.CharField(max_length=16, choices=STATUS_CHOICES)
    holds = models.CharField(max_length=255, blank=True, default="")
    cause = models.CharField(max_length=32, choices=CAUSE_CHOICES)
    actor = models.CharField(max_length=150)
    at = models.DateTimeField()

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["campaign", "id"], name="budget_status_change_campaign")]

    def __str__(self) -> str:
        return f"{self.from_status or '-'} -> {self.to_status} ({self.cause})"

    @property
    def hold_names(self) -> list[str]:
        return holds_names(self.holds)


class Alert(models.Model):
    """The alert outbox: one row per (subject, kind, budget, period, threshold), sent later.
    A budget alert has its threshold (80, 100); a pacing alert (kind pace_over or
    pace_under) has threshold 0 and the expected spend at the time it was raised."""

    subject = models.CharField(max_length=16, choices=SUBJECT_CHOICES)
    subject_id = models.BigIntegerField()
    # A default in the database too: a process still running the previous release while
    # the migration runs inserts alerts without this column.
    kind = models.CharField(
        max_length=16,
        choices=ALERT_KIND_CHOICES,
        default=AlertKind.BUDGET.value,
        db_default=AlertKind.BUDGET.value,
    )
    period_kind = models.CharField(max_length=16, choices=PERIOD_CHOICES)
    period = models.DateField()
    threshold = models.PositiveSmallIntegerField()
    subject_name = models.CharField(max_length=200)
    spend = models.DecimalField(max_digits=COUNTER_DIGITS, decimal_places=MONEY_PLACES)
    budget = models.DecimalField(max_digits=MONEY_DIGITS, decimal_places=MONEY_PLACES)
    expected = models.DecimalField(
        max_digits=COUNTER_DIGITS, decimal_places=MONEY_PLACES, null=True, blank=True
    )
    currency = models.CharField(max_length=3)
    raised_at = models.DateTimeField()
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["subject", "subject_id", "kind", "period_kind", "period", "threshold"],
                name="budget_alert_once",
            ),
        ]
        indexes = [
            models.Index(
                fields=["raised_at", "id"],
                name="budget_alert_pending",
                condition=Q(delivered_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return (
            f"{self.subject} {self.subject_name}: {self.threshold}% of {self.period_kind} "
            f"budget ({self.period})"
        )


class CampaignDay(models.Model):
    """The spend history of a campaign: its spend on one brand-local day (added to in the
    spend transaction), and its daily budget as last written that day."""

    # The unique index is (day, campaign): a spend batch adds to today's rows, which sit
    # together at the index's end, where a (campaign, day) index would have each batch
    # touch (and, after a checkpoint, log whole) a thousand pages spread over all of it. A
    # campaign's series is read by listing its days (`day IN (...) AND campaign = X`: one
    # probe of the index per day).
    #
    # No foreign-key constraint in the database: a row is written only with the ledger
    # entries of its campaign, whose own constraint already proves the campaign exists, and
    # checking a thousand rows again at each spend batch's commit costs about as much as
    # writing them. The rows are derived from the ledger (rebuild_spend_history), so the ORM
    # deletes them with their campaign.
    campaign = models.ForeignKey(
        Campaign,
        on_delete=models.CASCADE,
        related_name="days",
        db_index=False,
        db_constraint=False,
    )
    day = models.DateField()
    spend = models.DecimalField(max_digits=COUNTER_DIGITS, decimal_places=MONEY_PLACES)
    budget = models.DecimalField(max_digits=MONEY_DIGITS, decimal_places=MONEY_PLACES)

    class Meta:
        ordering = ["campaign", "day"]
        verbose_name = "campaign day"
        constraints = [
            models.UniqueConstraint(fields=["day", "campaign"], name="budget_campaign_day_once"),
        ]

    def __str__(self) -> str:
        return f"{self.day}: {self.spend}"


class BrandDay(models.Model):
    """The spend history of a brand: the sum of its campaigns' spend on one brand-local
    day, and the brand's daily budget as last written that day (NULL: none)."""

    # Looked up through the unique (brand, day) index; no constraint, as for campaign days.
    brand = models.ForeignKey(
        Brand, on_delete=models.CASCADE, related_name="days", db_index=False, db_constraint=False
    )
    day = models.DateField()
    spend = models.DecimalField(max_digits=COUNTER_DIGITS, decimal_places=MONEY_PLACES)
    budget = models.DecimalField(
        max_digits=MONEY_DIGITS, decimal_places=MONEY_PLACES, null=True, blank=True
    )

    class Meta:
        ordering = ["brand", "day"]
        verbose_name = "brand day"
        constraints = [
            models.UniqueConstraint(fields=["brand", "day"], name="budget_brand_day_once"),
        ]

    def __str__(self) -> str:
        return f"{self.day}: {self.spend}"
