"""Domain errors. Every error names the input field it is about, so any entrypoint can
tell the caller exactly what to fix."""

from __future__ import annotations

import attrs


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


def check_text(value: str, field: str) -> str:
    """Refuse text no database column can hold faithfully (NUL, lone surrogates)."""
    if "\x00" in value:
        raise InvalidInput.on(field, "must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidInput.on(field, "must be valid Unicode text") from None
    return value


MAX_ID = 2**63 - 1


class Collector:
    """Gathers field errors so one call reports every bad field at once."""

    def __init__(self) -> None:
        self.errors: list[FieldError] = []

    def add(self, field: str, message: str) -> None:
        self.errors.append(FieldError(field, message))

    def absorb(self, error: DomainError) -> None:
        self.errors.extend(error.errors)

    def raise_if_any(self) -> None:
        if self.errors:
            raise InvalidInput(*self.errors)
