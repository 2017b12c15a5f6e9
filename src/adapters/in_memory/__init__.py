"""The core's ports in plain Python, for unit tests and demos."""

from adapters.in_memory.clock import FixedClock
from adapters.in_memory.notifier import RecordingNotifier
from adapters.in_memory.unit_of_work import InMemoryStore, InMemoryUnitOfWork

__all__ = ["FixedClock", "InMemoryStore", "InMemoryUnitOfWork", "RecordingNotifier"]
