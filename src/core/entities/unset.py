"""The marker for a field an edit leaves as it is."""

from __future__ import annotations

import enum
from typing import Final


class Unset(enum.Enum):
    UNSET = "UNSET"

    def __repr__(self) -> str:
        return "UNSET"


UNSET: Final = Unset.UNSET
"""Marks a field an edit leaves as it is (distinct from None, which may clear it)."""
