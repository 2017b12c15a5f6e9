"""What a periodic use case is asked (the instant to sweep as of) and what it answers (how
many campaigns it looked at, held, released, started and stopped), and the tally that adds
up the answer over chunks and shards."""

from __future__ import annotations

from collections import Counter as Tally
from collections.abc import Iterable
from datetime import datetime

import attrs

from core.entities import Hold, Refresh
from core.entities.time import require_aware


@attrs.frozen
class SweepCommand:
    """Run a periodic use case as of `now` (the real clock, or a replayed instant)."""

    now: datetime

    def __attrs_post_init__(self) -> None:
        require_aware(self.now, "now")


@attrs.frozen
class SweepResult:
    """What a run did: campaigns looked at, campaigns that gained or lost a hold, status
    changes, and counters started afresh."""

    checked: int = 0
    held: int = 0
    released: int = 0
    activated: int = 0
    stopped: int = 0
    counters_reset: int = 0
    brands_reset: int = 0
    holds_added: dict[str, int] = attrs.field(factory=dict)
    holds_removed: dict[str, int] = attrs.field(factory=dict)

    def summary(self) -> str:
        parts = [
            f"checked {self.checked}",
            f"held {self.held}",
            f"released {self.released}",
            f"activated {self.activated}",
            f"stopped {self.stopped}",
        ]
        if self.counters_reset or self.brands_reset:
            parts.append(f"counters reset {self.counters_reset}")
            parts.append(f"brands reset {self.brands_reset}")
        return ", ".join(parts)


class Tallier:
    def __init__(self) -> None:
        self.checked = self.held = self.released = self.activated = self.stopped = 0
        self.counters_reset = self.brands_reset = 0
        self.added: Tally[Hold] = Tally()
        self.removed: Tally[Hold] = Tally()

    def count(self, refreshes: Iterable[Refresh]) -> None:
        for r in refreshes:
            self.checked += 1
            self.counters_reset += r.counters_reset
            self.held += bool(r.added)
            self.released += bool(r.removed)
            self.added.update(r.added)
            self.removed.update(r.removed)
            self.activated += r.started
            self.stopped += r.stopped

    def absorb(self, other: Tallier) -> None:
        for name in (
            "checked",
            "held",
            "released",
            "activated",
            "stopped",
            "counters_reset",
            "brands_reset",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.added.update(other.added)
        self.removed.update(other.removed)

    def result(self) -> SweepResult:
        return SweepResult(
            checked=self.checked,
            held=self.held,
            released=self.released,
            activated=self.activated,
            stopped=self.stopped,
            counters_reset=self.counters_reset,
            brands_reset=self.brands_reset,
            holds_added={h.value: n for h, n in sorted(self.added.items())},
            holds_removed={h.value: n for h, n in sorted(self.removed.items())},
        )
