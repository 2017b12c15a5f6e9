"""Jobs at once, each in a thread of its own with its own database connections."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from django.db import connections

from core.use_cases.runners import InOrder

T = TypeVar("T")


class ThreadRunner:
    """Runs up to `workers` jobs at once: the first in the caller's thread, on its
    connection, the others in threads of their own. Django gives each thread its own
    connections, closed when the thread's job ends. While one job waits on the database,
    another runs Python."""

    def __init__(self, workers: int) -> None:
        self._workers = workers

    def run_all(self, jobs: Sequence[Callable[[], T]]) -> list[T]:
        if self._workers <= 1 or len(jobs) <= 1:
            return InOrder().run_all(jobs)

        def run(job: Callable[[], T]) -> T:
            try:
                return job()
            finally:
                connections.close_all()

        first, rest = jobs[0], jobs[1:]
        with ThreadPoolExecutor(min(self._workers - 1, len(rest))) as pool:
            futures = [pool.submit(run, job) for job in rest]
            try:
                results = [first()]
            except Exception as error:
                failure: BaseException | None = error
            else:
                failure = None
        for future in futures:
            failure = failure or future.exception()
        if failure is not None:
            raise failure
        return results + [future.result() for future in futures]
