"""The beat lease: which beat process may send the schedule."""

from __future__ import annotations

from django.db import models


class BeatLease(models.Model):
    """The right to send the beat schedule, held by one beat at a time. The holder renews
    `expires_at` every tick; another beat takes the lease only once it has expired, so a
    second beat stands by instead of sending every tick again (see entrypoints/beat/lease.py).
    Times come from the database's clock, the one clock every beat shares."""

    name = models.CharField(max_length=50, primary_key=True)
    # host:pid:random of the beat process holding the lease.
    holder = models.CharField(max_length=200)
    acquired_at = models.DateTimeField()
    expires_at = models.DateTimeField()

    class Meta:
        verbose_name = "beat lease"

    def __str__(self) -> str:
        return f"{self.name}: {self.holder} until {self.expires_at:%Y-%m-%d %H:%M:%S}"
