from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from entrypoints.api.models import ApiToken
from entrypoints.api.tokens import revoke

if TYPE_CHECKING:
    _TokenAdmin = admin.ModelAdmin[ApiToken]
else:
    _TokenAdmin = admin.ModelAdmin


@admin.register(ApiToken)
class ApiTokenAdmin(_TokenAdmin):
    """Tokens are issued by `manage.py create_api_token USER` (the plain token is shown only
    then); here they are listed and revoked."""

    list_display = ("prefix", "user", "name", "created_at", "revoked_at")
    list_filter = (("revoked_at", admin.EmptyFieldListFilter),)
    search_fields = ("user__username", "name", "prefix")
    readonly_fields = ("user", "prefix", "key_hash", "created_at")
    fields = ("user", "name", "prefix", "key_hash", "created_at", "revoked_at")
    actions = ["revoke_tokens"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description="Revoke the selected tokens")
    def revoke_tokens(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        count = revoke(queryset)
        self.message_user(request, f"{count} token(s) revoked.", messages.SUCCESS)
