"""Ports to services outside the database."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from core.entities import Alert


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, timezone-aware UTC."""
        ...


class AlertNotifier(Protocol):
    def send(self, alert: Alert) -> None:
        """Deliver one alert (log line, e-mail, webhook…). Raises on failure so the alert
        stays pending and is tried again."""
        ...
