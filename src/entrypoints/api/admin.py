from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse

from entrypoints.api.models import ApiToken
from entrypoints.api.tokens import revoke

if TYPE_CHECKING:
    _TokenAdmin = admin.ModelAdmin[ApiToken]
else:
    _TokenAdmin = admin.ModelAdmin

REVOKE = "_revoke"


@admin.register(ApiToken)
class ApiTokenAdmin(_TokenAdmin):
    """Tokens are issued by `manage.py create_api_token USER` (the plain token is shown only
    then); here they are listed, renamed and revoked: with the list's action, or the
    "Revoke this token" button of a token's page. Revocation is final, so `revoked_at` is
    shown, never edited."""

    list_display = ("prefix", "user", "name", "created_at", "revoked_at")
    list_filter = (("revoked_at", admin.EmptyFieldListFilter),)
    search_fields = ("user__username", "name", "prefix")
    readonly_fields = ("user", "prefix", "key_hash", "created_at", "revoked_at")
    fields = ("user", "name", "prefix", "key_hash", "created_at", "revoked_at")
    actions = ["revoke_tokens"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: ApiToken | None = None) -> bool:
        # Revoked tokens stay, for the record of who could act when.
        return False

    @admin.action(description="Revoke the selected tokens")
    def revoke_tokens(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        count = revoke(queryset)
        self.message_user(request, f"{count} token(s) revoked.", messages.SUCCESS)

    def render_change_form(
        self, request: HttpRequest, context: dict[str, Any], *args: Any, **kwargs: Any
    ) -> HttpResponse:
        token = context.get("original")
        context["show_revoke"] = (
            token is not None and token.is_active and self.has_change_permission(request, token)
        )
        return super().render_change_form(request, context, *args, **kwargs)

    def response_change(self, request: HttpRequest, obj: ApiToken) -> HttpResponse:
        if REVOKE in request.POST:
            if obj.revoke():
                self.message_user(request, f"Token {obj.prefix}… revoked.", messages.SUCCESS)
            else:
                self.message_user(request, f"Token {obj.prefix}… was already revoked.")
        return super().response_change(request, obj)
