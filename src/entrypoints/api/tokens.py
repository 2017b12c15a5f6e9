"""Issuing, revoking and checking API tokens, and the bearer authentication of the API.

A token is `secrets.token_urlsafe(32)`; the database keeps its SHA-256 hex digest only. A
request authenticates with `Authorization: Bearer <token>` and then acts as the token's
user: writes are attributed to that user's username in the audit log.

Who may call the API: an active user holding the permission `api.use_api` ("Can use the
HTTP API"; superusers hold every permission). Anyone else with a valid token gets 403."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from ninja.errors import AuthorizationError
from ninja.security import HttpBearer

from core.entities import InvalidInput
from core.entities.errors import check_text
from entrypoints.api.models import NAME_MAX, ApiToken

USE_API = "api.use_api"
_TOKEN_BYTES = 32
_LONGEST_TOKEN = 256


class UnknownUser(LookupError):
    """No user has the given username."""


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


def issue_token(username: str, name: str = "") -> str:
    """Create a token for the user called `username` and return the plain token; it is not
    stored and cannot be shown again. Raises InvalidInput for a name of over 100 characters
    or with control or bidirectional formatting characters, UnknownUser if there is no such
    user. The token only works while the user is active and may use the API (see the module
    docstring)."""
    label = check_text(name, "name").strip()
    if len(label) > NAME_MAX:
        raise InvalidInput.on("name", f"must be at most {NAME_MAX} characters")
    user_model = get_user_model()
    try:
        user = user_model._default_manager.get_by_natural_key(username)
    except user_model.DoesNotExist:
        raise UnknownUser(f"there is no user named '{username}'") from None
    token = secrets.token_urlsafe(_TOKEN_BYTES)
    ApiToken.objects.create(
        user=user,
        name=label,
        prefix=token[:8],
        key_hash=hash_token(token),
        created_at=timezone.now(),
    )
    return token


def revoke(tokens: QuerySet[ApiToken], at: datetime | None = None) -> int:
    """Revoke the still active tokens among `tokens`; returns how many were revoked. A
    revoked token keeps the time of its first revocation."""
    return tokens.filter(revoked_at__isnull=True).update(revoked_at=at or timezone.now())


def user_for_token(token: str) -> AbstractBaseUser | None:
    """The active user of an unrevoked token, or None."""
    if not token or len(token) > _LONGEST_TOKEN:
        return None
    found = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=hash_token(token), revoked_at__isnull=True)
        .first()
    )
    if found is None or not found.user.is_active:
        return None
    user: AbstractBaseUser = found.user
    return user


class BearerToken(HttpBearer):
    """401 for a missing, unknown or revoked token (or an inactive user); 403 for a user
    without the `api.use_api` permission."""

    def authenticate(self, request: HttpRequest, token: str) -> AbstractBaseUser | None:
        user = user_for_token(token.strip())
        if user is None:
            return None
        if not user.has_perm(USE_API):  # type: ignore[attr-defined]
            raise AuthorizationError(message="this user may not use the API (needs api.use_api)")
        return user
