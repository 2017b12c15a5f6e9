"""Budget alerts by e-mail, through Django's mail backend (settings EMAIL_*)."""

from __future__ import annotations

from collections.abc import Sequence

from django.core.mail import send_mail

from core.entities import Alert


class DjangoEmailNotifier:
    """Sends each alert as a plain-text e-mail to `recipients`. A mail-server error raises, so
    the alert stays pending and is tried again."""

    def __init__(self, recipients: Sequence[str], from_email: str | None = None) -> None:
        self._recipients = list(recipients)
        self._from = from_email

    def send(self, alert: Alert) -> None:
        if not self._recipients:
            return
        subject = f"Budget alert: {alert.subject_name} at {alert.key.threshold}%"
        send_mail(subject, alert.message, self._from, self._recipients, fail_silently=False)
