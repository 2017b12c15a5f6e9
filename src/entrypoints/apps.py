"""The entrypoints app (management commands, admin): tunes the process once Django is set up."""

from __future__ import annotations

import gc

from django.apps import AppConfig
from django.conf import settings


class EntrypointsConfig(AppConfig):
    name = "entrypoints"
    verbose_name = "Budget control entrypoints"

    def ready(self) -> None:
        tune_gc(settings.GC_THRESHOLD)


def tune_gc(threshold: int) -> None:
    """Make the cyclic garbage collector cheap for this service's work.

    A spend batch or a sweep chunk builds tens of thousands of short-lived objects. With
    Python's default threshold (700) they start a collection every few hundred allocations,
    and every so often a full one that walks each object the process holds; that cost a
    quarter of a spend batch's time. So: collect the young generation every `threshold`
    allocations instead, and freeze what start-up loaded (modules, settings, the app
    registry), which full collections then skip; forked workers also keep sharing those
    pages. A threshold of 0 leaves the collector as Python set it."""
    if threshold == 0:
        return
    gc.collect()
    gc.freeze()
    _, middle, oldest = gc.get_threshold()
    gc.set_threshold(threshold, max(middle, 20), max(oldest, 20))
