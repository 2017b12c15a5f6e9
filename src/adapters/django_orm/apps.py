from typing import Any

from django.apps import AppConfig


class BudgetConfig(AppConfig):
    name = "adapters.django_orm"
    label = "budget"
    verbose_name = "Budget control"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db.backends.signals import connection_created

        connection_created.connect(_on_connection, dispatch_uid="budget-fast-timestamps")


def _on_connection(sender: Any, connection: Any, **kwargs: Any) -> None:
    from adapters.django_orm import timestamps

    timestamps.install(connection)
