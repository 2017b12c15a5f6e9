"""DeliverAlerts: send the queued budget alerts."""

from __future__ import annotations

import logging

import attrs

from core.ports import AlertNotifier, Clock, UnitOfWorkFactory

log = logging.getLogger(__name__)


@attrs.frozen
class DeliverAlertsCommand:
    limit: int = 500


@attrs.frozen
class DeliverAlertsResult:
    delivered: int
    failed: int


class DeliverAlerts:
    """Send every pending alert through the notifier and mark the ones that went out. An
    alert whose sending fails stays pending and is tried on the next run, so an alert is
    sent at least once; it was queued at most once per (subject, period, threshold)."""

    def __init__(self, uow: UnitOfWorkFactory, notifier: AlertNotifier, clock: Clock) -> None:
        self._uow = uow
        self._notifier = notifier
        self._clock = clock

    def __call__(self, command: DeliverAlertsCommand) -> DeliverAlertsResult:
        delivered: list[int] = []
        failed = 0
        with self._uow() as uow:
            for alert in uow.alerts.pending(command.limit):
                try:
                    self._notifier.send(alert)
                except Exception:  # any notifier failure leaves the alert pending
                    log.exception("alert %s could not be sent", alert.id)
                    failed += 1
                else:
                    delivered.append(alert.id)
            if delivered:
                uow.alerts.mark_delivered(delivered, self._clock.now())
            uow.commit()
        return DeliverAlertsResult(len(delivered), failed)
