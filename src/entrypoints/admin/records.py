"""The records the use cases write and nobody edits, superusers included: the spend ledger,
the status audit log and the alert outbox."""

from __future__ import annotations

from datetime import datetime, time, timedelta, tzinfo
from typing import Any, Literal

from django.contrib import admin
from django.contrib.admin.views.main import ChangeList
from django.contrib.auth import get_user_model
from django.db.models import Case, Count, Max, Min, OuterRef, Q, QuerySet, Subquery, Sum, When
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone

from adapters.django_orm import models
from core.entities import SYSTEM, Period
from core.entities.alerts import Subject
from entrypoints.admin import display
from entrypoints.admin.display import LargeTablePaginator, format_money, holds_in_words, local_time


class ActorFilter(admin.SimpleListFilter):
    """The automation ("system") and each user, without reading the table for the
    distinct actors it holds (a scan of the whole ledger)."""

    title = "actor"
    parameter_name = "actor__exact"  # as the field filter had it: saved links still work

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        users = get_user_model().objects.order_by("username").values_list("username", flat=True)
        return [(SYSTEM, SYSTEM)] + [(name, name) for name in users if name != SYSTEM]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = self.value()
        return queryset if value is None else queryset.filter(actor=value)


class ReadOnlyAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Records the use cases write and nobody edits: listed and viewed, never added,
    changed or deleted, whoever asks. These tables only grow: their lists count through
    LargeTablePaginator, and a filtered list does not count the whole table again for
    its "(N total)"."""

    paginator = LargeTablePaginator
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class LedgerRows(QuerySet[models.SpendEntry]):
    """The ledger's rows as the admin lists them. The date hierarchy offers every year,
    month or day from the first entry selected to the last, worked out from those two
    instants, instead of asking the database for the distinct ones (a DISTINCT over every
    entry selected, on every page view of a table that only grows)."""

    def datetimes(
        self,
        field_name: str,
        kind: Literal["year", "month", "week", "day", "hour", "minute", "second"],
        order: Literal["ASC", "DESC"] = "ASC",
        tzinfo: tzinfo | None = None,
    ) -> Any:
        span = self.order_by().aggregate(first=Min(field_name), last=Max(field_name))
        if span["first"] is None:
            return []
        zone = tzinfo or timezone.get_current_timezone()
        first, last = span["first"].astimezone(zone), span["last"].astimezone(zone)
        if kind == "year":
            found = [datetime(y, 1, 1, tzinfo=zone) for y in range(first.year, last.year + 1)]
        elif kind == "month":
            months = range(first.year * 12 + first.month - 1, last.year * 12 + last.month)
            found = [datetime(m // 12, m % 12 + 1, 1, tzinfo=zone) for m in months]
        elif kind == "day":
            days = (last.date() - first.date()).days + 1
            found = [
                datetime.combine(first.date() + timedelta(days=n), time(), zone)
                for n in range(days)
            ]
        else:
            return super().datetimes(field_name, kind, order, tzinfo)
        return found if order == "ASC" else found[::-1]


@admin.register(models.SpendEntry)
class SpendEntryAdmin(ReadOnlyAdmin):
    """The ledger newest first, each amount with its brand's currency and each instant on the
    brand's wall clock, and the total of the rows the filters select above the list."""

    list_display = (
        "occurred",
        "campaign",
        "brand",
        "money",
        "key",
        "description",
        "actor",
    )
    list_filter = ("campaign__brand", ActorFilter)
    list_select_related = ("campaign__brand",)
    search_fields = ("key", "description", "campaign__name")
    # The id breaks ties between events of the same instant, so that pages do not overlap.
    ordering = ("-occurred_at", "-id")
    date_hierarchy = "occurred_at"
    # An entry's own page: its instants on the brand's wall clock, its amount in currency.
    fields = ("campaign", "brand", "money", "key", "description", "actor", "occurred", "recorded")
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[models.SpendEntry]:
        rows = LedgerRows(models.SpendEntry)
        ordering = self.get_ordering(request)
        return rows.order_by(*ordering) if ordering else rows

    @admin.display(description="brand", ordering="campaign__brand__name")
    def brand(self, row: models.SpendEntry) -> str:
        return row.campaign.brand.name

    @admin.display(description="occurred (brand-local)", ordering="occurred_at")
    def occurred(self, row: models.SpendEntry) -> str:
        return local_time(row.occurred_at, row.campaign.brand.timezone)

    @admin.display(description="recorded (brand-local)", ordering="recorded_at")
    def recorded(self, row: models.SpendEntry) -> str:
        return local_time(row.recorded_at, row.campaign.brand.timezone)

    @admin.display(description="amount", ordering="amount")
    def money(self, row: models.SpendEntry) -> str:
        return format_money(row.amount, row.campaign.brand.currency)

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        response = super().changelist_view(request, extra_context)
        context = getattr(response, "context_data", None)
        if isinstance(response, TemplateResponse) and context and "cl" in context:
            context["subtitle"] = ledger_total(context["cl"])
        return response


def ledger_total(cl: ChangeList) -> str:
    """The sum of the amounts the list's filters select, per currency, in one query. An
    unfiltered ledger past ESTIMATE_ABOVE rows is not added up on every page view: the
    operator narrows it first (a day, a brand, a campaign)."""
    rows = cl.queryset
    if not rows.query.where and cl.result_count > display.ESTIMATE_ABOVE:
        return "Total: choose a day, a brand or a campaign to add these entries up."
    per_currency = (
        rows.order_by()
        .values("campaign__brand__currency")
        .annotate(total=Sum("amount"), entries=Count("pk"))
        .order_by("campaign__brand__currency")
    )
    totals = [(r["campaign__brand__currency"], r["total"], r["entries"]) for r in per_currency]
    if not totals:
        return "Total: nothing spent in these entries."
    entries = sum(n for _, _, n in totals)
    text = " + ".join(format_money(total, currency) for currency, total, _ in totals)
    return f"Total of these {entries:,} entries: {text}"


@admin.register(models.StatusChange)
class StatusChangeAdmin(ReadOnlyAdmin):
    """The audit log newest first (by the order the rows were written, which the primary key
    keeps without a sort of the whole table), with the campaign's brand, and each instant
    on the brand's wall clock."""

    list_display = (
        "when",
        "campaign",
        "brand",
        "from_status",
        "to_status",
        "holds_explained",
        "cause",
        "actor",
    )
    list_filter = ("cause", "to_status", ActorFilter, "campaign__brand")
    list_select_related = ("campaign__brand",)
    search_fields = ("campaign__name", "actor")
    ordering = ("-id",)
    fields = (
        "campaign",
        "brand",
        "from_status",
        "to_status",
        "holds_explained",
        "cause",
        "actor",
        "when",
    )
    readonly_fields = fields

    @admin.display(description="brand", ordering="campaign__brand__name")
    def brand(self, row: models.StatusChange) -> str:
        return row.campaign.brand.name

    @admin.display(description="at (brand-local)", ordering="at")
    def when(self, row: models.StatusChange) -> str:
        return local_time(row.at, row.campaign.brand.timezone)

    @admin.display(description="holds")
    def holds_explained(self, row: models.StatusChange) -> str:
        return holds_in_words(row.hold_names)


def _brand_of_alert(column: str) -> Case:
    """The brand an alert is about, whether its subject is the brand or one of its
    campaigns: one correlated lookup per listed row, inside the page's query."""
    of_brand = models.Brand.objects.filter(pk=OuterRef("subject_id")).values(column)[:1]
    of_campaign = models.Brand.objects.filter(campaigns__pk=OuterRef("subject_id")).values(column)[
        :1
    ]
    return Case(
        When(subject=Subject.BRAND.value, then=Subquery(of_brand)),
        When(subject=Subject.CAMPAIGN.value, then=Subquery(of_campaign)),
    )


class BrandOfAlertFilter(admin.SimpleListFilter):
    """Alerts about a brand or about any of its campaigns."""

    title = "brand"
    parameter_name = "brand"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        brands = models.Brand.objects.order_by("name").values_list("pk", "name")
        return [(str(pk), name) for pk, name in brands]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = self.value()
        if value is None:
            return queryset
        campaigns = models.Campaign.objects.filter(brand_id=value).values("pk")
        return queryset.filter(
            Q(subject=Subject.BRAND.value, subject_id=value)
            | Q(subject=Subject.CAMPAIGN.value, subject_id__in=campaigns)
        )


@admin.register(models.Alert)
class AlertAdmin(ReadOnlyAdmin):
    """Alerts newest first, with the brand they concern (the brand itself or a campaign's
    brand), money in the alert's currency and instants on the brand's wall clock."""

    list_display = (
        "raised",
        "subject",
        "subject_name",
        "brand",
        "period_shown",
        "threshold",
        "spend_shown",
        "budget_shown",
        "delivered",
    )
    list_filter = (
        "subject",
        BrandOfAlertFilter,
        "period_kind",
        "threshold",
        ("delivered_at", admin.EmptyFieldListFilter),
    )
    search_fields = ("subject_name",)
    ordering = ("-id",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[models.Alert]:
        rows: QuerySet[models.Alert] = super().get_queryset(request)
        return rows.annotate(
            brand_name=_brand_of_alert("name"), brand_timezone=_brand_of_alert("timezone")
        )

    @admin.display(description="brand", ordering="brand_name")
    def brand(self, row: models.Alert) -> str:
        return str(getattr(row, "brand_name", None) or "—")

    def _zone(self, row: models.Alert) -> str:
        return str(getattr(row, "brand_timezone", None) or "UTC")

    @admin.display(description="period", ordering="period")
    def period_shown(self, row: models.Alert) -> str:
        day = row.period
        if row.period_kind == Period.MONTH.value:
            return f"month of {day:%b %Y}"
        return f"day of {day.day} {day:%b %Y}"

    @admin.display(description="raised", ordering="raised_at")
    def raised(self, row: models.Alert) -> str:
        return local_time(row.raised_at, self._zone(row))

    @admin.display(description="delivered", ordering="delivered_at")
    def delivered(self, row: models.Alert) -> str:
        return local_time(row.delivered_at, self._zone(row))

    @admin.display(description="spend", ordering="spend")
    def spend_shown(self, row: models.Alert) -> str:
        return format_money(row.spend, row.currency)

    @admin.display(description="budget", ordering="budget")
    def budget_shown(self, row: models.Alert) -> str:
        return format_money(row.budget, row.currency)
