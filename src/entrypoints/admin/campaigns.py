"""Campaigns in the admin: status, holds in words and budget bars; add and change pages with
the dayparting windows inline, saved as one CreateCampaign or UpdateCampaign call; launch,
pause and resume as list actions."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date
from typing import Any, ClassVar

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.widgets import AdminDateWidget, AdminTextInputWidget, AdminTimeWidget
from django.db.models import Case, OuterRef, QuerySet, Subquery, When
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest, HttpResponse
from django.utils.html import format_html_join
from django.utils.safestring import SafeString

from adapters.django_orm import mappers, models
from core.entities import (
    Campaign,
    CampaignId,
    Cause,
    DomainError,
    FieldError,
    Hold,
    Period,
    State,
    Window,
)
from core.use_cases.campaigns import (
    CampaignActionCommand,
    CreateCampaignCommand,
    UpdateCampaignCommand,
)
from entrypoints.admin import dashboard
from entrypoints.admin.display import (
    LargeTablePaginator,
    budget_bar,
    changelist_link,
    holds_in_words,
    local_clock,
    local_time,
    now,
    status_pill,
)
from entrypoints.admin.saving import CoreJudgedForm, MoneyField, Saved, UseCaseAdmin, actor
from entrypoints.container import get_container

DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
WINDOW_FIELDS = ("day_of_week", "start_time", "end_time")
# How the core names a field of one window of the schedule it was given.
WINDOW_ERROR = re.compile(r"windows\[(\d+)\]\.(\w+)")


class WindowForm(CoreJudgedForm):
    # The blank choice keeps a row the operator added but left empty unchanged, so it is
    # skipped: with Monday preselected, a browser posts it as a half-filled window.
    day_of_week = forms.TypedChoiceField(
        choices=[("", "---------"), *enumerate(DAY_NAMES, start=1)], coerce=int
    )
    start_time = forms.TimeField(widget=AdminTimeWidget)
    end_time = forms.TimeField(
        widget=AdminTimeWidget, help_text="At or before the start: runs past midnight."
    )

    class Meta:
        model = models.Window
        fields = WINDOW_FIELDS
        exclude = WINDOW_FIELDS  # declared above, for the core to judge

    def clean(self) -> dict[str, Any]:
        # The core's rule for a window, asked here too, so that a bad window shows on its
        # row along with every other error of the page.
        data = self.cleaned_data
        if all(k in data for k in WINDOW_FIELDS):
            try:
                Window.parse({k: data[k] for k in WINDOW_FIELDS}, "window")
            except DomainError as error:
                for e in error.errors:
                    self.show_refusal(FieldError(e.field.rsplit(".", 1)[-1], e.message))
        return data


class WindowFormSet(BaseInlineFormSet):  # type: ignore[type-arg]
    def clean(self) -> None:
        # Duplicate windows are harmless (the schedule is their union), so the formset's
        # uniqueness check is not wanted.
        return None

    def filled_forms(self) -> list[Any]:
        """The forms of the schedule: every filled-in window not marked for deletion."""
        found = []
        for form in self.forms:
            data = getattr(form, "cleaned_data", None)
            if data and not data.get("DELETE"):
                found.append(form)
        return found

    def windows(self) -> list[dict[str, object]]:
        """The schedule the forms describe, in the order of `filled_forms`."""
        return [{k: form.cleaned_data[k] for k in WINDOW_FIELDS} for form in self.filled_forms()]

    def show_refusal(self, error: FieldError) -> bool:
        """Put the core's error about one window of `windows()` on its row; False when the
        error is not about one window."""
        found = WINDOW_ERROR.fullmatch(error.field)
        filled = self.filled_forms()
        if found is None or int(found.group(1)) >= len(filled):
            return False
        filled[int(found.group(1))].show_refusal(FieldError(found.group(2), error.message))
        return True


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


EDITABLE_CAMPAIGN_FIELDS = ("name", "daily_budget", "monthly_budget", "start_date", "end_date")


@admin.display(description="status", ordering="status")
def status(row: models.Campaign) -> SafeString:
    """The status as a coloured pill. A function named after the model's field, not a
    method: Django shows a model field by name before a method of the same name, and the
    function keeps the column's and the row's `field-status` class."""
    return status_pill(row.status)


# Shown through functions rather than by field name: Django keeps a foreign key's or a
# date's column on one line ("nowrap"), which pushed the list past a 1,440 px screen.
@admin.display(description="brand", ordering="brand__name")
def brand(row: models.Campaign) -> str:
    return str(row.brand.name)


def _day(day: date | None) -> str:
    return "—" if day is None else f"{day.day} {day:%b %Y}"


@admin.display(description="start", ordering="start_date")
def start(row: models.Campaign) -> str:
    return _day(row.start_date)


@admin.display(description="end", ordering="end_date")
def end(row: models.Campaign) -> str:
    return _day(row.end_date)


STATUS_FIELDS = ("state", status, "holds_explained", "daily_bar", "monthly_bar", "history")
# The operator's actions that set the state: the latest of them tells who paused a campaign.
OPERATOR_CAUSES = (Cause.LAUNCH.value, Cause.PAUSE.value, Cause.RESUME.value)


class CampaignForm(CoreJudgedForm):
    field_of: ClassVar[Mapping[str, str]] = {"brand_id": "brand"}
    name = forms.CharField(widget=AdminTextInputWidget)
    daily_budget = MoneyField()
    monthly_budget = MoneyField()
    start_date = forms.DateField(
        widget=AdminDateWidget,
        help_text="Brand-local calendar date; the campaign runs from its start.",
    )
    end_date = forms.DateField(
        widget=AdminDateWidget, required=False, help_text="Optional, inclusive, brand-local."
    )

    class Meta:
        model = models.Campaign
        fields = ("brand", *EDITABLE_CAMPAIGN_FIELDS)
        exclude = EDITABLE_CAMPAIGN_FIELDS  # declared above, for the core to judge

    def currency_of_instance(self) -> str:
        return str(self.instance.brand.currency) if self.instance.pk is not None else ""


def what_changed(status_before: str, holds_before: frozenset[Hold], after: Campaign) -> str:
    """The change of status and holds a save made, in words: "Now paused: today's spend
    has reached the daily budget." Empty when neither changed."""
    added = holds_in_words(h.value for h in after.holds - holds_before)
    removed = holds_in_words(h.value for h in holds_before - after.holds)
    told = []
    if after.status.value != status_before:
        told.append(f"Now {after.status}" + (f": {added}." if after.holds - holds_before else "."))
    elif after.holds - holds_before:
        told.append(f"Still {after.status}; now also: {added}.")
    if holds_before - after.holds:
        told.append(f"No longer: {removed}.")
    return " ".join(told)


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


@admin.register(models.Campaign)
class CampaignAdmin(UseCaseAdmin):
    form = CampaignForm
    inlines = (WindowInline,)
    list_display = (
        "name",
        brand,
        status,
        "state",
        "holds_explained",
        "daily_bar",
        "monthly_bar",
        start,
        end,
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
        # Last, so that the brand's clock sits right above the windows it is read against.
        windows = (
            "Dayparting",
            {
                "fields": ("brand_clock",),
                "description": "The windows below are in the brand's wall-clock time.",
            },
        )
        return [main, ("Status and spend", {"fields": STATUS_FIELDS}), windows]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[Any, ...]:
        # A campaign never changes brand; state, status, holds and counters belong to the
        # use cases.
        return () if obj is None else ("brand", *STATUS_FIELDS, "brand_clock")

    def get_queryset(self, request: HttpRequest) -> QuerySet[models.Campaign]:
        # Who paused a paused campaign, and when: the latest of the operator's actions in its
        # audit log, looked up inside the page's own query (through the audit log's
        # (campaign, id) index) and only for the campaigns the operator paused.
        rows: QuerySet[models.Campaign] = super().get_queryset(request)
        latest = models.StatusChange.objects.filter(
            campaign=OuterRef("pk"), cause__in=OPERATOR_CAUSES
        ).order_by("-id")

        def of_pause(column: str) -> Case:
            return Case(When(state=State.PAUSED.value, then=Subquery(latest.values(column)[:1])))

        return rows.select_related("brand").annotate(
            operator_cause=of_pause("cause"),
            operator_actor=of_pause("actor"),
            operator_at=of_pause("at"),
        )

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        # The page also shows the campaign's pacing, charts and downloads.
        context = {**dashboard.campaign_page(request, object_id), **(extra_context or {})}
        return super().change_view(request, object_id, form_url, context)

    # -- display -------------------------------------------------------------------------

    @admin.display(description="why stopped")
    def holds_explained(self, row: models.Campaign) -> str:
        if row.state == State.DRAFT.value:
            # A draft never runs, whatever else would hold it.
            return "draft"
        reasons = [] if row.holds == "" else [holds_in_words(row.hold_names)]
        if row.state == State.PAUSED.value:
            reasons.insert(0, self._paused_by(row))
        return "; ".join(reasons) or "—"

    def _paused_by(self, row: models.Campaign) -> str:
        # A pause of a campaign already stopped by a hold changes neither its status nor its
        # holds, so it has no audit row: then the latest action found is an earlier one,
        # and the name and time of this pause are not known.
        if getattr(row, "operator_cause", None) != Cause.PAUSE.value:
            return "paused by an operator"
        when = local_time(getattr(row, "operator_at", None), row.brand.timezone)
        return f"paused by an operator ({getattr(row, 'operator_actor', '')}, {when})"

    @admin.display(description="brand's local time now")
    def brand_clock(self, row: models.Campaign) -> str:
        return local_clock(now(), row.brand.timezone)

    def _progress(self, row: models.Campaign, period: Period) -> SafeString | str:
        campaign = mappers.campaign_to_domain(row)
        return budget_bar(campaign.use(period, now(), row.brand.timezone), row.brand.currency)

    @admin.display(description="today")
    def daily_bar(self, row: models.Campaign) -> SafeString | str:
        return self._progress(row, Period.DAY)

    @admin.display(description="month")
    def monthly_bar(self, row: models.Campaign) -> SafeString | str:
        return self._progress(row, Period.MONTH)

    @admin.display(description="history")
    def history(self, row: models.Campaign) -> SafeString:
        return format_html_join(
            " · ",
            "{}",
            (
                (changelist_link("statuschange", "campaign__id__exact", row.pk, "status changes"),),
                (changelist_link("spendentry", "campaign__id__exact", row.pk, "spend ledger"),),
            ),
        )

    # -- saving ----------------------------------------------------------------------------

    def save_through_use_case(
        self, request: HttpRequest, form: Any, formsets: Sequence[Any], change: bool
    ) -> Saved:
        windows = self.windows_of(formsets)
        data = form.cleaned_data
        container = get_container()
        if not change:
            campaign = container.create_campaign()(
                CreateCampaignCommand(
                    brand_id=data["brand"].pk,
                    **{f: data[f] for f in EDITABLE_CAMPAIGN_FIELDS},
                    windows=windows.windows() if windows else (),
                    actor=actor(request),
                )
            )
            return Saved(campaign.id)
        campaign_id = CampaignId(form.instance.pk)
        changes: dict[str, Any] = {
            f: data[f] for f in form.changed_data if f in EDITABLE_CAMPAIGN_FIELDS
        }
        if windows is not None and windows.has_changed():
            changes["windows"] = windows.windows()
        if not changes:
            return Saved(campaign_id)
        before: models.Campaign = form.instance
        after = container.update_campaign()(
            UpdateCampaignCommand(campaign_id=campaign_id, actor=actor(request), **changes)
        )
        held_before = frozenset(Hold(name) for name in before.hold_names)
        return Saved(campaign_id, what_changed(before.status, held_before, after))

    def show_refusal(
        self, form: Any, formsets: Sequence[Any], errors: Iterable[FieldError]
    ) -> None:
        windows = self.windows_of(formsets)
        for error in errors:
            if windows is None or not windows.show_refusal(error):
                form.show_refusal(error)

    @staticmethod
    def windows_of(formsets: Sequence[Any]) -> WindowFormSet | None:
        """The windows formset, when the operator may edit the windows."""
        return next((f for f in formsets if isinstance(f, WindowFormSet) and f.is_bound), None)

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
                campaign = use_case(CampaignActionCommand(campaign_id=pk, actor=actor(request)))
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
