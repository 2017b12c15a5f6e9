"""The beat lease: only the beat holding it sends the schedule.

One row (`BeatLease`, name "beat") names the holding beat and when its hold expires, by the
database's clock. A beat takes or renews it with one conditional UPDATE (renew if it holds
it, take it if it has expired), so two beats can never both succeed. The holder renews it on
every tick; a beat that does not hold it stands by, and takes over once the holder has
stopped renewing for the lease's length (it died, hung or lost its database)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import NamedTuple

from django.db import IntegrityError, transaction
from django.db.models import BooleanField, Case, DateTimeField, F, Q, Value, When
from django.db.models.expressions import CombinedExpression, ExpressionWrapper
from django.db.models.functions import Now

from entrypoints.beat.models import BeatLease

LEASE = "beat"
_LONG_AGO = datetime(2000, 1, 1, tzinfo=UTC)


class BeatHolder(NamedTuple):
    """Who holds the beat lease: `holder` (host:pid:random of the beat process), since
    when, until when unless renewed, and whether that moment is still ahead (`held`)."""

    holder: str
    acquired_at: datetime
    expires_at: datetime
    held: bool


def take_or_renew(holder: str, seconds: int) -> bool:
    """Renew the lease if `holder` holds it, take it if it is free or expired, in one
    atomic statement; the lease then runs `seconds` from now. True if `holder` holds it."""
    expires = _now_plus(seconds)
    updated = BeatLease.objects.filter(
        Q(holder=holder) | Q(expires_at__lte=Now()), name=LEASE
    ).update(
        # Evaluated against the row before the update: kept when renewing.
        acquired_at=Case(When(holder=holder, then=F("acquired_at")), default=Now()),
        holder=holder,
        expires_at=expires,
    )
    if updated:
        return True
    if BeatLease.objects.filter(name=LEASE).exists():
        return False
    try:
        with transaction.atomic():
            # Born expired; the conditional update below takes it, or another beat's does.
            BeatLease.objects.create(
                name=LEASE, holder="", acquired_at=_LONG_AGO, expires_at=_LONG_AGO
            )
    except IntegrityError:  # another beat made the row first
        pass
    return take_or_renew(holder, seconds)


def release(holder: str) -> bool:
    """Give the lease up at once (a beat that stops cleanly), so that a standing-by beat
    takes over on its next tick. True if `holder` held it."""
    return bool(BeatLease.objects.filter(name=LEASE, holder=holder).update(expires_at=Now()))


def current_beat() -> BeatHolder | None:
    """The beat that holds (or last held) the lease, or None if no beat ever ran here."""
    row = (
        BeatLease.objects.filter(name=LEASE)
        .exclude(holder="")
        .annotate(
            held=Case(
                When(expires_at__gt=Now(), then=Value(True)),
                default=Value(False),
                output_field=BooleanField(),
            )
        )
        .values_list("holder", "acquired_at", "expires_at", "held")
        .first()
    )
    return None if row is None else BeatHolder(*row)


def _now_plus(seconds: int) -> ExpressionWrapper[CombinedExpression]:
    return ExpressionWrapper(
        CombinedExpression(Now(), "+", Value(timedelta(seconds=seconds))),
        output_field=DateTimeField(),
    )
