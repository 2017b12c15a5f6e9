"""The operators' admin: brands, campaigns (with their windows), the spend ledger, the status
audit log and the alert outbox.

The admin never writes a row itself. Every save and every action calls a use case through
the container, with the logged-in user's username as the actor, so holds and status are
recomputed at once and every status change is audited. What the use cases own (state,
status, holds, counters, due times) is read-only here; the ledger, the audit log and the
alerts are read-only for everyone, superusers included.

A use case commits in its own durable transaction, so the add/change views run without the
transaction Django's admin normally wraps them in. When a use case refuses the input,
nothing was written; the form is shown again with the refusal on the fields it names."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any, ClassVar

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.core.paginator import Paginator
from django.db import connections
from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.forms.models import BaseInlineFormSet, construct_instance
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.functional import cached_property
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.views.decorators.csrf import csrf_protect

from adapters.django_orm import mappers, models
from core.entities import (
    SYSTEM,
    Campaign,
    DomainError,
    FieldError,
    Hold,
    InvalidInput,
    Money,
    Period,
    Window,
)
from core.use_cases.brands import CreateBrandCommand, UpdateBrandCommand
from core.use_cases.campaigns import (
    CampaignActionCommand,
    CreateCampaignCommand,
    UpdateCampaignCommand,
)
from entrypoints.container import get_container

admin.site.site_header = "Ad budget control"
admin.site.site_title = "Ad budget control"
admin.site.index_title = "Brands, campaigns, spend and the audit trail"

_ERRORS_ATTR = "_budget_use_case_errors"
_DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_DAYS = list(enumerate(_DAY_NAMES, start=1))  # day_of_week 1 = Monday ... 7 = Sunday


def _actor(request: HttpRequest) -> str:
    return request.user.get_username()


def _now() -> datetime:
    return get_container().clock().now()


def _amount(value: Decimal | Money) -> str:
    """Money as operators read it: cents, or every significant micro."""
    amount = value.amount if isinstance(value, Money) else value
    cents = amount.quantize(Decimal("0.01"))
    return f"{cents:,}" if cents == amount else f"{amount.normalize():,f}"


def _bar(spend: Money, budget: Money, currency: str) -> SafeString:
    """A small inline progress bar of spend against budget: green, amber from 80 %, red
    when the budget is exhausted (spend >= budget)."""
    share = spend.share_of(budget)
    colour = "#ba2121" if share >= 1 else "#c98200" if share >= Decimal("0.8") else "#3f8f3f"
    width = min(share * 100, Decimal(100)).quantize(Decimal(1))
    return format_html(
        '<div style="display:flex;align-items:center;gap:6px;white-space:nowrap">'
        '<div style="width:90px;height:8px;background:#e3e3e3;border-radius:4px;'
        'overflow:hidden"><div style="width:{}%;height:100%;background:{}"></div></div>'
        "<span>{} / {} {} ({}%)</span></div>",
        width,
        colour,
        _amount(spend),
        _amount(budget),
        currency,
        (share * 100).quantize(Decimal(1)),
    )


def _holds_in_words(names: Iterable[str]) -> str:
    holds = sorted(Hold(name) for name in names)
    return "; ".join(h.explanation for h in holds) if holds else "—"


def _changelist_link(model: str, lookup: str, value: int, text: str) -> SafeString:
    url = reverse(f"admin:budget_{model}_changelist")
    return format_html('<a href="{}?{}={}">{}</a>', url, lookup, value, text)


# -- saving through use cases ---------------------------------------------------------------


class Rejected(Exception):
    """A use case refused the input and wrote nothing."""

    def __init__(self, errors: tuple[FieldError, ...]) -> None:
        super().__init__("; ".join(f"{e.field}: {e.message}" for e in errors))
        self.errors = errors


class MoneyField(forms.CharField):
    """A money amount as the operator typed it (spaces around it dropped), for the core to
    judge by its one rule for money: ASCII digits, an optional point and up to six places.
    Django's DecimalField would first turn "1_000", "+5", "1e2" or another script's digits
    into a number, which the core would then never see as written."""

    def to_python(self, value: Any) -> str | None:
        text = str(super().to_python(value))
        return text or None

    def prepare_value(self, value: Any) -> Any:
        # A stored 1000.000000 shows as 1000.00, 12.345600 as 12.3456.
        if isinstance(value, Decimal):
            shortest = value.normalize()
            if shortest.as_tuple().exponent > -2:  # type: ignore[operator]
                shortest = value.quantize(Decimal("0.01"))
            return format(shortest, "f")
        return value

    def has_changed(self, initial: Any, data: Any) -> bool:
        # The stored Decimal against the typed text: "100" is no change to 100.000000.
        text = self.to_python(data)
        if initial is None or text is None:
            return (initial is None) != (text is None)
        try:
            return Money.parse(text, "amount") != Money.of(initial)
        except DomainError:
            return True  # the use case refuses it, naming the field


class CoreValidatedForm(forms.ModelForm):  # type: ignore[type-arg]
    """A model form that leaves the model's validation and the database constraints to the
    core, the one judge of names, budgets, dates and windows (ModelForm would answer first,
    in the database's words). Its instance is never saved: a use case writes."""

    def _post_clean(self) -> None:
        # Only copy the values onto the instance (the admin names it in its messages). Money
        # stays as stored until a use case accepts the typed text: the page shows the
        # instance's budget bars, which need numbers.
        fields = [
            f for f in self._meta.fields or () if not isinstance(self.fields.get(f), MoneyField)
        ]
        self.instance = construct_instance(self, self.instance, fields)


class UseCaseForm(CoreValidatedForm):
    """Shows a use case's refusal on the fields it names."""

    #: Errors of a refused save, set per request by UseCaseAdmin.get_form.
    use_case_errors: ClassVar[tuple[FieldError, ...]] = ()
    #: Use case field names that differ from the form's.
    field_of: ClassVar[Mapping[str, str]] = {}

    def clean(self) -> dict[str, Any]:
        for error in self.use_case_errors:
            field = self.field_of.get(error.field, error.field)
            if field in self.fields:
                self.add_error(field, error.message)
            else:
                self.add_error(None, f"{error.field}: {error.message}")
        return self.cleaned_data


class UseCaseAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Saves go through use cases (`save_model` / `save_related` of the subclass) and raise
    Rejected when refused; the view then shows the form again with the errors. Nothing is
    ever deleted here: no use case deletes."""

    form = UseCaseForm

    @method_decorator(csrf_protect)
    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        # Django wraps a POST here in transaction.atomic; the use cases open durable
        # transactions of their own, which cannot nest, so call the undecorated view.
        view = self._changeform_view  # type: ignore[attr-defined]
        try:
            response: HttpResponse = view(request, object_id, form_url, extra_context)
        except Rejected as rejected:
            # The refusing use case wrote nothing (and window input is checked by the form
            # before any use case runs): validate the same POST again, now failing with the
            # use case's errors, so the form comes back with them on its fields.
            setattr(request, _ERRORS_ATTR, rejected.errors)
            response = view(request, object_id, form_url, extra_context)
        return response

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        form = super().get_form(request, obj, change, **kwargs)
        errors: tuple[FieldError, ...] = getattr(request, _ERRORS_ATTR, ())
        if errors:
            form = type(form.__name__, (form,), {"use_case_errors": errors})
        return form

    def construct_change_message(
        self, request: HttpRequest, form: Any, formsets: Any, add: bool = False
    ) -> list[dict[str, dict[str, list[str]]]]:
        # Inline formsets were not saved by Django (a use case wrote them), so they have no
        # record of saved objects to describe.
        message = super().construct_change_message(request, form, [], add)
        if any(formset.has_changed() for formset in formsets or ()):
            message.append({"changed": {"fields": ["dayparting windows"]}})
        return message

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


# Past this many rows (by PostgreSQL's statistics) an unfiltered list shows the statistics'
# count instead of counting every row.
ESTIMATE_ABOVE = 100_000


class LargeTablePaginator(Paginator):  # type: ignore[type-arg]
    """Pages of a large table: the campaigns, and the records that grow without end (the
    ledger gets a row per spend event).

    An exact count reads the whole table, and the admin counts on every page: 0.1 s twice
    per page at a million campaigns, seconds at a hundred million ledger entries.
    Unfiltered, on PostgreSQL, the count is the planner's statistics for the table (kept
    up to date by autovacuum) once they pass ESTIMATE_ABOVE rows; a filtered or searched
    list, a smaller table, a table never analysed, and SQLite are counted exactly."""

    @cached_property
    def count(self) -> int:
        rows = self.object_list
        if isinstance(rows, QuerySet) and not rows.query.where:
            connection = connections[rows.db]
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute(
                        "SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass",
                        [connection.ops.quote_name(rows.model._meta.db_table)],
                    )
                    found = cursor.fetchone()
                if found is not None and found[0] > ESTIMATE_ABOVE:
                    return int(found[0])
        counted: int = super().count
        return counted


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


# -- brands ------------------------------------------------------------------------------------


class BrandForm(UseCaseForm):
    # Wider than the column so that the core, not the field, explains a bad code.
    currency = forms.CharField(max_length=20, initial="USD", help_text="ISO 4217 code, e.g. USD.")
    daily_budget = MoneyField(
        required=False, help_text="Optional cap on the sum of all its campaigns' spend per day."
    )
    monthly_budget = MoneyField(
        required=False,
        help_text="Optional cap on the sum of all its campaigns' spend per month.",
    )

    class Meta:
        model = models.Brand
        fields = ("name", "timezone", "currency", "is_active", "daily_budget", "monthly_budget")
        help_texts = {
            "timezone": "IANA time zone, e.g. Europe/London; the brand's days and months "
            "start at its local midnight.",
        }


@admin.register(models.Brand)
class BrandAdmin(UseCaseAdmin):
    form = BrandForm
    list_display = (
        "name",
        "timezone",
        "currency",
        "is_active",
        "spent_today",
        "spent_this_month",
        "campaign_count",
    )
    list_filter = ("is_active", "timezone", "currency")
    search_fields = ("name",)
    fields = (
        "name",
        "timezone",
        "currency",
        "is_active",
        "daily_budget",
        "monthly_budget",
        "spent_today",
        "spent_this_month",
        "campaign_links",
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[models.Brand]:
        # Counted per listed brand (a correlated subquery through the brand's index), not
        # by joining every campaign: the join made each of the list's queries (the page,
        # its count, the filters' choices) read all campaigns, 1.7 s at a million.
        rows: QuerySet[models.Brand] = super().get_queryset(request)
        per_brand = (
            models.Campaign.objects.filter(brand=OuterRef("pk"))
            .order_by()
            .values("brand")
            .annotate(total=Count("pk"))
            .values("total")
        )
        total = Coalesce(Subquery(per_brand, output_field=IntegerField()), 0)
        return rows.annotate(campaign_total=total)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        return ("spent_today", "spent_this_month", "campaign_links")

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return self.fields[:6]
        return self.fields

    def _spend(self, row: models.Brand, period: Period) -> SafeString | str:
        brand = mappers.brand_to_domain(row)
        spend = brand.spend(period, _now())
        budget = brand.budget(period)
        if budget is None:
            return f"{_amount(spend)} {brand.currency}"
        return _bar(spend, budget, brand.currency)

    @admin.display(description="spent today (brand-local day)")
    def spent_today(self, row: models.Brand) -> SafeString | str:
        return self._spend(row, Period.DAY)

    @admin.display(description="spent this month")
    def spent_this_month(self, row: models.Brand) -> SafeString | str:
        return self._spend(row, Period.MONTH)

    @admin.display(description="campaigns", ordering="campaign_total")
    def campaign_count(self, row: models.Brand) -> int:
        return int(getattr(row, "campaign_total", 0))

    @admin.display(description="campaigns")
    def campaign_links(self, row: models.Brand) -> SafeString:
        return _changelist_link("campaign", "brand__id__exact", row.pk, "this brand's campaigns")

    def save_model(self, request: HttpRequest, obj: models.Brand, form: Any, change: bool) -> None:
        data = form.cleaned_data
        try:
            if not change:
                brand = get_container().create_brand()(
                    CreateBrandCommand(
                        name=data["name"],
                        timezone=data["timezone"],
                        currency=data["currency"],
                        is_active=data["is_active"],
                        daily_budget=data["daily_budget"],
                        monthly_budget=data["monthly_budget"],
                        actor=_actor(request),
                    )
                )
                obj.pk = brand.id
                return
            changes = {field: data[field] for field in form.changed_data}
            result = get_container().update_brand()(
                UpdateBrandCommand(brand_id=obj.pk, actor=_actor(request), **changes)
            )
        except DomainError as error:
            raise Rejected(error.errors) from None
        if result.campaigns.checked:
            self.message_user(
                request,
                f"Its {result.campaigns.checked} campaign(s) were recomputed: "
                f"{result.campaigns.summary()}.",
                messages.INFO,
            )


# -- campaigns ---------------------------------------------------------------------------------


class WindowForm(CoreValidatedForm):
    # The blank choice keeps a row the operator added but left empty unchanged, so it is
    # skipped: with Monday preselected, a browser posts it as a half-filled window.
    day_of_week = forms.TypedChoiceField(choices=[("", "---------"), *_DAYS], coerce=int)

    class Meta:
        model = models.Window
        fields = ("day_of_week", "start_time", "end_time")
        help_texts = {"end_time": "At or before the start: runs past midnight."}

    def clean(self) -> dict[str, Any]:
        # Checked here, before any use case runs, so that a bad window never leaves the
        # campaign's other edits saved without it.
        data = self.cleaned_data
        if all(k in data for k in ("day_of_week", "start_time", "end_time")):
            try:
                Window.parse(
                    {k: data[k] for k in ("day_of_week", "start_time", "end_time")}, "window"
                )
            except InvalidInput as error:
                for e in error.errors:
                    field = e.field.rsplit(".", 1)[-1]
                    self.add_error(field if field in self.fields else None, e.message)
        return data


class WindowFormSet(BaseInlineFormSet):  # type: ignore[type-arg]
    def clean(self) -> None:
        # Duplicate windows are harmless (the schedule is their union), so the formset's
        # uniqueness check is not wanted.
        return None

    def windows(self) -> list[dict[str, object]]:
        """The schedule the forms describe: every filled-in window not marked for deletion."""
        found: list[dict[str, object]] = []
        for form in self.forms:
            data = getattr(form, "cleaned_data", None)
            if not data or data.get("DELETE"):
                continue
            found.append(
                {
                    "day_of_week": data["day_of_week"],
                    "start_time": data["start_time"],
                    "end_time": data["end_time"],
                }
            )
        return found


class WindowInline(admin.TabularInline):  # type: ignore[type-arg]
    """Dayparting windows in the brand's wall-clock time. Saved as one schedule through
    UpdateCampaign, with the other changes (or with a new campaign through CreateCampaign)."""

    model = models.Window
    form = WindowForm
    formset = WindowFormSet
    # No empty row on the page: "Add another dayparting window" adds one when wanted.
    extra = 0
    verbose_name = "dayparting window"
    verbose_name_plural = "dayparting windows (none: runs at any time)"


class CampaignForm(UseCaseForm):
    field_of: ClassVar[Mapping[str, str]] = {"brand_id": "brand"}
    daily_budget = MoneyField()
    monthly_budget = MoneyField()

    class Meta:
        model = models.Campaign
        fields = ("brand", "name", "daily_budget", "monthly_budget", "start_date", "end_date")
        help_texts = {
            "start_date": "Brand-local calendar date; the campaign runs from its start.",
            "end_date": "Optional, inclusive, brand-local.",
        }


class HoldFilter(admin.SimpleListFilter):
    title = "hold"
    parameter_name = "hold"
    NONE = "none"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [(self.NONE, "no hold")] + [
            (h.value, h.value.replace("_", " ").lower()) for h in Hold
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = self.value()
        if value == self.NONE:
            return queryset.filter(holds="")
        if value in {h.value for h in Hold}:
            return queryset.filter(models.with_hold(value))
        return queryset


EDITABLE_CAMPAIGN_FIELDS = ("name", "daily_budget", "monthly_budget", "start_date", "end_date")
STATUS_FIELDS = ("state", "status", "holds_explained", "daily_bar", "monthly_bar", "history")


@admin.register(models.Campaign)
class CampaignAdmin(UseCaseAdmin):
    form = CampaignForm
    inlines = (WindowInline,)
    list_display = (
        "name",
        "brand",
        "status",
        "state",
        "holds_explained",
        "daily_bar",
        "monthly_bar",
        "start_date",
        "end_date",
    )
    list_filter = ("status", HoldFilter, "brand", "state")
    list_select_related = ("brand",)
    paginator = LargeTablePaginator
    show_full_result_count = False
    search_fields = ("name",)
    autocomplete_fields = ("brand",)
    actions = ("launch", "pause", "resume")

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        main = (None, {"fields": ("brand", *EDITABLE_CAMPAIGN_FIELDS)})
        if obj is None:
            return [main]
        return [main, ("Status and spend", {"fields": STATUS_FIELDS})]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        # A campaign never changes brand; state, status, holds and counters belong to the
        # use cases.
        return () if obj is None else ("brand", *STATUS_FIELDS)

    def get_queryset(self, request: HttpRequest) -> QuerySet[models.Campaign]:
        rows: QuerySet[models.Campaign] = super().get_queryset(request)
        return rows.select_related("brand")

    # -- display -------------------------------------------------------------------------

    @admin.display(description="why it is stopped")
    def holds_explained(self, row: models.Campaign) -> str:
        return _holds_in_words(row.hold_names)

    def _progress(self, row: models.Campaign, period: Period) -> SafeString:
        if period is Period.DAY:
            counter = mappers.counter(row.daily_period, row.daily_spend)
            budget = row.daily_budget
        else:
            counter = mappers.counter(row.monthly_period, row.monthly_spend)
            budget = row.monthly_budget
        # A counter of an earlier period than now reads as zero.
        spend = counter.spend_in(period.containing(_now(), row.brand.timezone))
        return _bar(spend, Money.of(budget), row.brand.currency)

    @admin.display(description="today (brand-local)")
    def daily_bar(self, row: models.Campaign) -> SafeString:
        return self._progress(row, Period.DAY)

    @admin.display(description="this month")
    def monthly_bar(self, row: models.Campaign) -> SafeString:
        return self._progress(row, Period.MONTH)

    @admin.display(description="history")
    def history(self, row: models.Campaign) -> SafeString:
        return format_html_join(
            " · ",
            "{}",
            (
                (
                    _changelist_link(
                        "statuschange", "campaign__id__exact", row.pk, "status changes"
                    ),
                ),
                (_changelist_link("spendentry", "campaign__id__exact", row.pk, "spend ledger"),),
            ),
        )

    # -- saving ----------------------------------------------------------------------------

    def save_model(
        self, request: HttpRequest, obj: models.Campaign, form: Any, change: bool
    ) -> None:
        # Written in save_related, which also sees the windows, through the use cases.
        return None

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        windows = next((f for f in formsets if isinstance(f, WindowFormSet)), None)
        actor = _actor(request)
        data = form.cleaned_data
        container = get_container()
        try:
            if not change:
                campaign = container.create_campaign()(
                    CreateCampaignCommand(
                        brand_id=data["brand"].pk,
                        name=data["name"],
                        daily_budget=data["daily_budget"],
                        monthly_budget=data["monthly_budget"],
                        start_date=data["start_date"],
                        end_date=data["end_date"],
                        windows=windows.windows() if windows else (),
                        actor=actor,
                    )
                )
                form.instance.pk = campaign.id
                return
            campaign_id = form.instance.pk
            changes: dict[str, Any] = {
                f: data[f] for f in form.changed_data if f in EDITABLE_CAMPAIGN_FIELDS
            }
            if windows is not None and windows.has_changed():
                changes["windows"] = windows.windows()
            if changes:
                container.update_campaign()(
                    UpdateCampaignCommand(campaign_id=campaign_id, actor=actor, **changes)
                )
        except DomainError as error:
            raise Rejected(error.errors) from None

    # -- actions ---------------------------------------------------------------------------

    def _act(self, request: HttpRequest, queryset: QuerySet[models.Campaign], action: str) -> None:
        container = get_container()
        use_case: Callable[[CampaignActionCommand], Campaign]
        if action == "launch":
            use_case = container.launch_campaign()
        elif action == "pause":
            use_case = container.pause_campaign()
        else:
            use_case = container.resume_campaign()
        done: list[str] = []
        refused: list[str] = []
        for pk, name in queryset.order_by("pk").values_list("pk", "name"):
            try:
                campaign = use_case(CampaignActionCommand(campaign_id=pk, actor=_actor(request)))
            except DomainError as error:
                refused.append(f"{name}: " + "; ".join(e.message for e in error.errors))
            else:
                done.append(f"{name} (now {campaign.status})")
        if done:
            self.message_user(
                request,
                f"{action.title()}: {len(done)} campaign(s): " + ", ".join(done) + ".",
                messages.SUCCESS,
            )
        if refused:
            self.message_user(
                request,
                f"Could not {action} {len(refused)} campaign(s): " + " | ".join(refused),
                messages.ERROR,
            )

    @admin.action(description="Launch the selected draft campaigns", permissions=["change"])
    def launch(self, request: HttpRequest, queryset: QuerySet[models.Campaign]) -> None:
        self._act(request, queryset, "launch")

    @admin.action(description="Pause the selected campaigns", permissions=["change"])
    def pause(self, request: HttpRequest, queryset: QuerySet[models.Campaign]) -> None:
        self._act(request, queryset, "pause")

    @admin.action(description="Resume the selected campaigns", permissions=["change"])
    def resume(self, request: HttpRequest, queryset: QuerySet[models.Campaign]) -> None:
        self._act(request, queryset, "resume")


# -- the records -------------------------------------------------------------------------------


@admin.register(models.SpendEntry)
class SpendEntryAdmin(ReadOnlyAdmin):
    list_display = (
        "occurred_at",
        "campaign",
        "brand",
        "amount",
        "key",
        "description",
        "actor",
        "recorded_at",
    )
    list_filter = ("campaign__brand", ActorFilter)
    list_select_related = ("campaign__brand",)
    search_fields = ("key", "description", "campaign__name")

    @admin.display(description="brand", ordering="campaign__brand__name")
    def brand(self, row: models.SpendEntry) -> str:
        return row.campaign.brand.name


@admin.register(models.StatusChange)
class StatusChangeAdmin(ReadOnlyAdmin):
    list_display = (
        "at",
        "campaign",
        "from_status",
        "to_status",
        "holds_explained",
        "cause",
        "actor",
    )
    list_filter = ("cause", "to_status", ActorFilter, "campaign__brand")
    list_select_related = ("campaign",)
    search_fields = ("campaign__name", "actor")

    @admin.display(description="holds")
    def holds_explained(self, row: models.StatusChange) -> str:
        return _holds_in_words(row.hold_names)


@admin.register(models.Alert)
class AlertAdmin(ReadOnlyAdmin):
    list_display = (
        "raised_at",
        "subject",
        "subject_name",
        "period_kind",
        "period",
        "threshold",
        "spend",
        "budget",
        "currency",
        "delivered_at",
    )
    list_filter = (
        "subject",
        "period_kind",
        "threshold",
        ("delivered_at", admin.EmptyFieldListFilter),
    )
    search_fields = ("subject_name",)
