"""Domain errors. Every error names the input field it is about, so any entrypoint can
tell the caller exactly what to fix."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TypeVar

import attrs

from core.entities.unset import UNSET, Unset

T = TypeVar("T")


@attrs.frozen
class FieldError:
    field: str
    message: str


class DomainError(Exception):
    """Base of every error the core raises on purpose. Carries one or more field errors."""

    def __init__(self, *errors: FieldError) -> None:
        self.errors: tuple[FieldError, ...] = errors
        super().__init__("; ".join(f"{e.field}: {e.message}" for e in errors))

    @classmethod
    def on(cls, field: str, message: str) -> DomainError:
        return cls(FieldError(field, message))

    @property
    def field(self) -> str:
        return self.errors[0].field if self.errors else ""


class InvalidInput(DomainError):
    """The input cannot be accepted as given (wrong type, range, format)."""


class NotFound(DomainError):
    """The input names something that does not exist."""


class Conflict(DomainError):
    """The input is well formed but contradicts what is already stored."""


# Characters refused in every text a person or a platform names something with (names,
# spend keys and descriptions, token names): the control characters (Unicode category Cc,
# NUL among them) and the bidirectional formatting characters, which make text display
# in an order other than the one it is stored in ("Trojan Source"). Written as the body of
# a regular-expression character class so the API's schema can state the same rule.
FORBIDDEN_TEXT_CLASS = r"\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
_FORBIDDEN_TEXT = re.compile(f"[{FORBIDDEN_TEXT_CLASS}]")


def check_text(value: str, field: str) -> str:
    """Refuse text that cannot be stored faithfully (lone surrogates) or that would not
    read as it is stored (control and bidirectional formatting characters), naming the
    first such character."""
    found = _FORBIDDEN_TEXT.search(value)
    if found is not None:
        raise InvalidInput.on(
            field,
            "must not contain control or bidirectional formatting characters "
            f"(found U+{ord(found.group()):04X})",
        )
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidInput.on(field, "must be valid Unicode text") from None
    return value


MAX_ID = 2**63 - 1
_ID_TEXT = re.compile(r"[0-9]+")


def parse_id(value: object, field: str, what: str = "an id") -> int:
    """A database id given as an int or as ASCII digits (int() would also take "+5",
    " 5 ", "1_000" and other scripts' digits such as "\\u0665"). Raises InvalidInput naming
    `field` unless it is between 1 and MAX_ID."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise InvalidInput.on(field, f"must be {what} (a positive integer)")
    if isinstance(value, str):
        if not _ID_TEXT.fullmatch(value):
            shown = value if len(value) <= 40 else value[:40] + "…"
            raise InvalidInput.on(field, f"'{shown}' is not {what}")
        digits = value.lstrip("0")
        value = int(digits or "0") if len(digits) <= len(str(MAX_ID)) else MAX_ID + 1
    if not 0 < value <= MAX_ID:
        raise InvalidInput.on(field, f"must be {what} (a positive integer)")
    return value


class Collector:
    """Gathers field errors so one call reports every bad field at once."""

    def __init__(self) -> None:
        self.errors: list[FieldError] = []

    def add(self, field: str, message: str) -> None:
        self.errors.append(FieldError(field, message))

    def absorb(self, error: DomainError) -> None:
        self.errors.extend(error.errors)

    def take(self, parse: Callable[[object, str], T], raw: object, field: str, default: T) -> T:
        """`parse(raw, field)`; if it refuses, its errors are kept and `default` returned."""
        try:
            return parse(raw, field)
        except InvalidInput as error:
            self.absorb(error)
            return default

    def change(self, parse: Callable[[object, str], T], raw: object, field: str) -> T | Unset:
        """A field of an edit: UNSET if the edit leaves it as it is, else as `take`."""
        if raw is UNSET:
            return UNSET
        try:
            return parse(raw, field)
        except InvalidInput as error:
            self.absorb(error)
            return UNSET

    def raise_if_any(self) -> None:
        if self.errors:
            raise InvalidInput(*self.errors)
