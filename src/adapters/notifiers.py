"""Alert notifiers that need no framework: a log line, a webhook, or several at once."""

from __future__ import annotations

import json
import logging
import urllib.request
from collections.abc import Sequence

from core.entities import Alert
from core.ports import AlertNotifier

log = logging.getLogger("budget.alerts")


def alert_payload(alert: Alert) -> dict[str, object]:
    k = alert.key
    return {
        "id": alert.id,
        "subject": k.subject.value,
        "subject_id": k.subject_id,
        "subject_name": alert.subject_name,
        "kind": k.kind.value,
        "budget": k.period_kind.value,
        "period": k.period.isoformat(),
        "threshold_percent": k.threshold,
        "spend": str(alert.spend),
        "budget_amount": str(alert.budget),
        "expected": None if alert.expected is None else str(alert.expected),
        "currency": alert.currency,
        "raised_at": alert.raised_at.isoformat(),
        "message": alert.message,
    }


class LoggingNotifier:
    """Writes each alert as a warning to the `budget.alerts` logger."""

    def send(self, alert: Alert) -> None:
        log.warning("budget alert: %s", alert.message)


class WebhookNotifier:
    """POSTs each alert as JSON to a URL; any non-2xx answer or network error raises, so the
    alert stays pending."""

    def __init__(self, url: str, timeout_s: float = 10.0) -> None:
        self._url = url
        self._timeout = timeout_s

    def send(self, alert: Alert) -> None:
        body = json.dumps(alert_payload(alert)).encode()
        request = urllib.request.Request(
            self._url, data=body, method="POST", headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=self._timeout) as response:
            if not 200 <= response.status < 300:
                raise RuntimeError(f"webhook answered {response.status}")


class FanOutNotifier:
    """Sends through every notifier; fails if any of them fails."""

    def __init__(self, notifiers: Sequence[AlertNotifier]) -> None:
        self._notifiers = tuple(notifiers)

    def send(self, alert: Alert) -> None:
        for notifier in self._notifiers:
            notifier.send(alert)
