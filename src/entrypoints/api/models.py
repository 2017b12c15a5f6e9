"""API tokens. Only a SHA-256 hash of each token is stored: the plain token is shown once,
when it is issued, and cannot be recovered from the database.

Revocation is one-way: a revoked token never works again. The model refuses to clear or
change a stored `revoked_at`, and a save never writes "not revoked" over a revocation made
since the row was read."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from core.entities import InvalidInput
from core.entities.errors import check_text

NAME_MAX = 100
# What `revoked_at` was when an instance was read, where it was not read from the database.
_UNKNOWN = object()


class RevocationIsFinal(ValueError):
    """An attempt to bring a revoked token back, or to change when it was revoked."""


class ApiTokenQuerySet(models.QuerySet["ApiToken"]):
    def update(self, **kwargs: Any) -> int:
        if "revoked_at" in kwargs and kwargs["revoked_at"] is None:
            raise RevocationIsFinal("a revoked API token cannot be brought back")
        return super().update(**kwargs)


class ApiToken(models.Model):
    """A bearer token acting as its user. Revoked tokens stay, for the record."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=NAME_MAX, blank=True, default="")
    # The first characters of the plain token, so an operator can tell tokens apart.
    prefix = models.CharField(max_length=8)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()
    _revoked_at_as_read: datetime | object | None = _UNKNOWN

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "API token"
        permissions = [("use_api", "Can use the HTTP API")]

    def __str__(self) -> str:
        state = "revoked" if self.revoked_at else "active"
        return f"{self.prefix}… ({self.user}, {state})"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    def clean(self) -> None:
        try:
            check_text(self.name, "name")
        except InvalidInput as error:
            raise ValidationError({"name": error.errors[0].message}) from None

    @classmethod
    def from_db(cls, db: str | None, field_names: Any, values: Any) -> ApiToken:
        token = super().from_db(db, field_names, values)
        token._revoked_at_as_read = token.__dict__.get("revoked_at", _UNKNOWN)
        return token

    def revoke(self, at: datetime | None = None) -> bool:
        """Revoke this token now (or at `at`) unless it already is; True if this call did.
        The time of an earlier revocation is kept."""
        done = bool(
            type(self)
            .objects.filter(pk=self.pk, revoked_at__isnull=True)
            .update(revoked_at=at or timezone.now())
        )
        self.refresh_from_db(fields=["revoked_at"])
        self._revoked_at_as_read = self.revoked_at
        return done

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Raises RevocationIsFinal where this instance would clear a stored revocation
        (it was read revoked, or is not known to have been read unrevoked) or change its
        time. A token read before it was revoked elsewhere saves without touching
        `revoked_at`, so it stays revoked."""
        if not self._state.adding and self.pk is not None:
            stored = (
                type(self).objects.filter(pk=self.pk).values_list("revoked_at", flat=True).first()
            )
            as_read = getattr(self, "_revoked_at_as_read", _UNKNOWN)
            clears = self.revoked_at is None and stored is not None and as_read is not None
            moves = self.revoked_at is not None and stored not in (None, self.revoked_at)
            if clears or moves:
                raise RevocationIsFinal(
                    f"API token {self.prefix}… was revoked at {stored}; a revocation is final"
                )
            if self.revoked_at is None:
                # Leave the column alone: "not revoked" must never overwrite a revocation.
                names = kwargs.get("update_fields") or [
                    f.name for f in self._meta.concrete_fields if not f.primary_key
                ]
                kwargs["update_fields"] = [n for n in names if n != "revoked_at"]
        super().save(*args, **kwargs)
