"""Ports to services outside the database."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Protocol, TypeVar

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


T = TypeVar("T")


class Runner(Protocol):
    def run_all(self, jobs: Sequence[Callable[[], T]]) -> list[T]:
        """Run every job, possibly several at once, each opening its own units of work, and
        return their results in order. Every job runs to its end; the first failure is
        raised after that."""
        ...
