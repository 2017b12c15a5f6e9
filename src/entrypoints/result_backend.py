"""The Celery result backend: django-celery-results' table, written so that the database
being unreachable never costs a task its message.

Celery stores a task's STARTED state before its body runs, its RETRY or FAILURE state from
inside its error handling, and a FAILURE from the worker's main process (a lost pool process,
a time limit). With the stock backend each of those raises when the database is down, outside
the task's body, where Celery can only log an internal error and acknowledge the message: a
spend batch queued during an outage was dropped without running. The row this backend writes
is a record for operators; the task's own work, retries and acknowledgement must not depend
on it. So a store that meets an unreachable database logs a warning and returns, and the task
goes on: its body retries on its own terms, and the row is written again by its next state.
"""

from __future__ import annotations

import contextlib
import logging
from typing import Any

from django.db import InterfaceError, OperationalError, connections
from django_celery_results.backends.database import DatabaseBackend

log = logging.getLogger(__name__)

#: What Django raises when the database cannot be reached, stops answering or drops the
#: connection (psycopg's and sqlite3's errors of that kind arrive wrapped in these).
UNREACHABLE = (OperationalError, InterfaceError)


class ResilientDatabaseBackend(DatabaseBackend):  # type: ignore[misc]
    """django-celery-results' database backend whose writes of task state never raise
    because the database is unreachable: they log a warning naming the task and the state,
    drop the broken connection so that the next use opens a fresh one, and return."""

    def store_result(
        self,
        task_id: str,
        result: Any,
        state: str,
        traceback: str | None = None,
        request: Any = None,
        **kwargs: Any,
    ) -> Any:
        # Every mark_as_* and the tracer's STARTED go through here.
        try:
            return super().store_result(
                task_id, result, state, traceback=traceback, request=request, **kwargs
            )
        except UNREACHABLE as error:
            log.warning(
                "Task %s: its %s state was not stored (database unavailable: %s); "
                "the task itself goes on",
                task_id,
                state,
                (str(error).strip() or type(error).__name__).splitlines()[0],
            )
            _drop_broken_connections()
            return result


def _drop_broken_connections() -> None:
    # A connection that failed mid-use stays open in Django's eyes until closed; closing it
    # makes the next query (the task's own, or the next state's) connect afresh.
    for connection in connections.all(initialized_only=True):
        with contextlib.suppress(*UNREACHABLE):
            connection.close_if_unusable_or_obsolete()
