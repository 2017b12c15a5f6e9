"""Running the budget app's migrations to a given point in a test, and back to the latest."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from django.db import connection
from django.db.migrations.executor import MigrationExecutor


def migrate(target: tuple[str, str]) -> Any:
    """Migrate to `target` (app, migration name); the app registry of that state."""
    executor = MigrationExecutor(connection)
    executor.migrate([target])
    executor.loader.build_graph()
    return executor.loader.project_state([target]).apps


@contextlib.contextmanager
def migrated_to(target: tuple[str, str]) -> Iterator[Any]:
    """The database at `target` for the block (its app registry given), then at the
    budget app's latest migration again."""
    apps = migrate(target)
    try:
        yield apps
    finally:
        (latest,) = MigrationExecutor(connection).loader.graph.leaf_nodes("budget")
        migrate(latest)
