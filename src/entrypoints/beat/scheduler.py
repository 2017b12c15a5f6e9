"""The beat scheduler: django-celery-beat's DatabaseScheduler, sending only while this beat
holds the beat lease (entrypoints/beat/lease.py).

Two beats on one schedule each send every tick, so every periodic task runs twice and the
entries' run counts overwrite each other. With this scheduler a second beat stands by: it
renews nothing, sends nothing, says so in its log (WARNING), and takes over when the
sending beat has not renewed the lease for BEAT_LEASE_SECONDS. Each entry's last run is
written to the database as soon as it is sent, so the beat that takes over continues the
schedule where the other left it instead of repeating it."""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import uuid
from typing import Any

from django.conf import settings
from django.db import DatabaseError, InterfaceError, close_old_connections
from django_celery_beat.models import PeriodicTasks
from django_celery_beat.schedulers import DatabaseScheduler

from entrypoints.beat import lease

log = logging.getLogger(__name__)


class LeasedDatabaseScheduler(DatabaseScheduler):  # type: ignore[misc]
    """A DatabaseScheduler that sends only while it holds the beat lease, renewed on every
    tick. Set as CELERY_BEAT_SCHEDULER."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.lease_seconds = int(settings.BEAT_LEASE_SECONDS)
        # None until the first tick has asked; then whether this beat holds the lease.
        self.holds_lease: bool | None = None
        self._database_failing = False
        # Every sent entry's last run and run count are saved at once, not every few
        # minutes: a beat taking over reads them and goes on from there.
        kwargs.setdefault("sync_every_tasks", 1)
        super().__init__(*args, **kwargs)

    def tick(self, *args: Any, **kwargs: Any) -> float:
        """Renew (or try to take) the lease; send what is due only while holding it.
        Returns the seconds to sleep, short enough to renew the lease in time."""
        longest = min(float(self.max_interval), self.lease_seconds / 3)
        if not self._renew():
            # Standing by, keep up with the schedule's change stamp (one small query), so
            # that the reload on taking over is noticed.
            with contextlib.suppress(DatabaseError, InterfaceError):
                self.schedule  # noqa: B018
            return longest
        interval: float = super().tick(*args, **kwargs)
        return min(interval, longest)

    def close(self) -> None:
        """Sync the schedule, then give the lease up so a standing-by beat takes over at
        once instead of after the lease expires."""
        try:
            super().close()
        finally:
            if self.holds_lease:
                try:
                    lease.release(self.holder)
                    log.info("Beat %s stopped and released the beat lease", self.holder)
                except (DatabaseError, InterfaceError):
                    pass  # it expires by itself
                self.holds_lease = False

    def _renew(self) -> bool:
        try:
            holds = lease.take_or_renew(self.holder, self.lease_seconds)
        except (DatabaseError, InterfaceError) as error:
            if not self._database_failing:
                log.warning(
                    "Beat %s cannot reach the database to renew the beat lease (%s): it "
                    "sends nothing until it can",
                    self.holder,
                    str(error).strip().splitlines()[0] if str(error).strip() else error,
                )
            self._database_failing = True
            self.holds_lease = False
            close_old_connections()  # a broken connection is replaced on the next try
            return False
        back = self._database_failing
        self._database_failing = False
        first = self.holds_lease is None
        if holds and not self.holds_lease:
            self._took_lease(first, back)
        elif not holds and (self.holds_lease or first or back):
            self._stands_by(first)
        self.holds_lease = holds
        return holds

    def _took_lease(self, first: bool, back: bool) -> None:
        if first:
            log.info(
                "Beat %s holds the beat lease and sends the schedule (lease %d s)",
                self.holder,
                self.lease_seconds,
            )
            return
        if back:
            log.warning(
                "Beat %s reached the database again and holds the beat lease: it sends the "
                "schedule again",
                self.holder,
            )
        else:
            log.warning(
                "Beat %s took over the beat lease (the beat holding it stopped renewing it): "
                "it sends the schedule from now on",
                self.holder,
            )
        # Read the schedule again before sending: another beat may have sent entries since
        # this one read it, and saved their last runs and run counts. Marked changed, then
        # read here, so that the next tick starts from the new schedule, once.
        with contextlib.suppress(DatabaseError, InterfaceError):  # then the next full sync
            PeriodicTasks.update_changed()
            self.schedule  # noqa: B018

    def _stands_by(self, first: bool) -> None:
        try:
            other = lease.current_beat()
        except (DatabaseError, InterfaceError):
            other = None
        who = f"{other.holder} (until {other.expires_at:%H:%M:%S} UTC)" if other else "another beat"
        if first:
            log.warning(
                "Beat %s stands by and sends nothing: the beat lease is held by %s. Only one "
                "beat may send the schedule; this one takes over if that one stops renewing "
                "the lease for %d s",
                self.holder,
                who,
                self.lease_seconds,
            )
        else:
            log.warning(
                "Beat %s does not hold the beat lease (%s holds it) and stands by: it sends "
                "nothing",
                self.holder,
                who,
            )
