"""Fixtures for the unit tests: the in-memory store, a fixed clock and the application wired
to them. Nothing here touches Django, a database or the wall clock."""

from __future__ import annotations

import pytest

from adapters.in_memory import FixedClock, InMemoryStore, RecordingNotifier

from .support import App, utc

# A Monday, in the middle of a month, far from any DST change in the zones used here.
DEFAULT_NOW = utc(2026, 6, 15, 12, 0)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(DEFAULT_NOW)


@pytest.fixture
def store() -> InMemoryStore:
    return InMemoryStore()


@pytest.fixture
def notifier() -> RecordingNotifier:
    return RecordingNotifier()


@pytest.fixture
def app(store: InMemoryStore, clock: FixedClock, notifier: RecordingNotifier) -> App:
    return App(store, clock, notifier)
