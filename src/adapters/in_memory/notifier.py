from __future__ import annotations

from core.entities import Alert


class RecordingNotifier:
    """Keeps what it was asked to send; can be told to fail."""

    def __init__(self) -> None:
        self.sent: list[Alert] = []
        self.failing = False

    def send(self, alert: Alert) -> None:
        if self.failing:
            raise ConnectionError("notifier told to fail")
        self.sent.append(alert)
