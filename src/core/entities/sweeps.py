"""The periodic look-ups, and the parts a sweep may split the campaigns into."""

from __future__ import annotations

import enum

import attrs

from core.entities.brand import BrandId


class Sweep(enum.StrEnum):
    """The periodic look-ups; each has its own "due at" per campaign."""

    RESET = "reset"
    SCHEDULE = "schedule"
    FLIGHT = "flight"


@attrs.frozen
class Shard:
    """One of `count` disjoint parts of the campaigns: those whose brand id leaves `index`
    when divided by `count`. A brand's campaigns all fall in one shard, so sweeps of
    different shards never wait on each other's locks."""

    index: int = 0
    count: int = 1

    def __attrs_post_init__(self) -> None:
        if not 0 <= self.index < self.count:
            raise ValueError(f"shard {self.index} of {self.count} does not exist")

    def has(self, brand_id: BrandId) -> bool:
        return brand_id % self.count == self.index

    @classmethod
    def split(cls, count: int) -> list[Shard]:
        return [cls(i, count) for i in range(count)]


EVERY = Shard()
