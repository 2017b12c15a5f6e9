"""The beat lease in the admin, read-only: which beat sends the schedule."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from entrypoints.beat.models import BeatLease


@admin.register(BeatLease)
class BeatLeaseAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("name", "holder", "acquired_at", "expires_at")
    readonly_fields = ("name", "holder", "acquired_at", "expires_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: BeatLease | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: BeatLease | None = None) -> bool:
        return False
