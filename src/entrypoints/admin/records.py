"""The records the use cases write and nobody edits, superusers included: the spend ledger,
the status audit log and the alert outbox."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.http import HttpRequest

from adapters.django_orm import models
from core.entities import SYSTEM
from entrypoints.admin.display import LargeTablePaginator, holds_in_words


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
        return holds_in_words(row.hold_names)


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
