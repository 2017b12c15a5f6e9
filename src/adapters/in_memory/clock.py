from __future__ import annotations

from datetime import datetime, timedelta

from core.entities.time import require_aware


class FixedClock:
    """A clock that reads what it was set to, and moves only when told."""

    def __init__(self, now: datetime) -> None:
        self._now = require_aware(now)

    def now(self) -> datetime:
        return self._now

    def set(self, now: datetime) -> None:
        self._now = require_aware(now)

    def advance(self, delta: timedelta) -> datetime:
        self._now += delta
        return self._now
