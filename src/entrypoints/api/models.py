"""API tokens. Only a SHA-256 hash of each token is stored: the plain token is shown once,
when it is issued, and cannot be recovered from the database."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class ApiToken(models.Model):
    """A bearer token acting as its user. Revoked tokens stay, for the record."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100, blank=True, default="")
    # The first characters of the plain token, so an operator can tell tokens apart.
    prefix = models.CharField(max_length=8)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)

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
