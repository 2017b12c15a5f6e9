"""Suite-wide rules.

- In CI (CI=true) a skipped test is a failure: CI has every service, so a skip there means
  something is broken, not absent.
- Tests marked `postgres` only make sense on PostgreSQL and are deselected (not skipped) when
  the database is SQLite; tests marked `sqlite` likewise the other way round.
"""

from __future__ import annotations

import os
from collections.abc import Generator

import pytest

IN_CI = os.environ.get("CI", "").lower() == "true"


def _on_postgres() -> bool:
    return os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    unwanted = "sqlite" if _on_postgres() else "postgres"
    keep = [item for item in items if item.get_closest_marker(unwanted) is None]
    dropped = [item for item in items if item.get_closest_marker(unwanted) is not None]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = keep


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, None]:
    outcome = yield
    report = outcome.get_result()
    if IN_CI and report.skipped and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr
        report.outcome = "failed"
        report.longrepr = f"skipped in CI, where every service must be present: {reason}"
