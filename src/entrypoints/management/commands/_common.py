"""Pieces the management commands share: turning domain errors and option values into
`CommandError`s that name the option, and a progress bar that writes through the command's
own stderr."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from django.core.management.base import CommandError, OutputWrapper

from core.entities import DomainError, FieldError
from core.entities.time import parse_instant


def describe(errors: tuple[FieldError, ...], names: Mapping[str, str] | None = None) -> str:
    """`field: message; field: message`, with fields renamed to the options the user typed."""
    names = names or {}
    return "; ".join(f"{names.get(e.field, e.field)}: {e.message}" for e in errors)


def command_error(error: DomainError, names: Mapping[str, str] | None = None) -> CommandError:
    return CommandError(describe(error.errors, names))


def instant_option(value: str, option: str) -> datetime:
    """An ISO-8601 instant with a UTC offset (or Z), as aware UTC; a naive or malformed value
    is refused with an error naming the option."""
    try:
        return parse_instant(value, option)
    except DomainError as error:
        raise CommandError(
            f"{describe(error.errors)} (give an ISO-8601 instant with an offset, "
            f"e.g. 2026-03-01T00:00:00+00:00 or 2026-03-01T05:30:00Z)"
        ) from None


class ProgressStream:
    """A file-like view of a command's stderr for tqdm: the OutputWrapper would end every
    write with a newline, which turns a redrawn bar into a scrolling list."""

    def __init__(self, out: OutputWrapper) -> None:
        self._out = out

    def write(self, text: str) -> None:
        # Plain text: the stderr wrapper would otherwise style the bar as an error.
        self._out.write(text, style_func=_plain, ending="")

    def flush(self) -> None:
        self._out.flush()

    def isatty(self) -> bool:
        return self._out.isatty()


def _plain(text: str) -> str:
    return text
