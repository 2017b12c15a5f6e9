"""The runner the core uses when it is given none."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

T = TypeVar("T")


class InOrder:
    """Runs the jobs one after another, in the caller's thread."""

    def run_all(self, jobs: Sequence[Callable[[], T]]) -> list[T]:
        results: list[T] = []
        failure: BaseException | None = None
        for job in jobs:
            try:
                results.append(job())
            except Exception as error:
                failure = failure or error
        if failure is not None:
            raise failure
        return results
