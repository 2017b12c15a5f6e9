"""The Celery application: `celery -A entrypoints.celery_app worker` / `beat`.

Configured from the Django settings (the `CELERY_` names in entrypoints/settings.py): the
broker from CELERY_BROKER_URL (Redis or RabbitMQ in production; without it a broker in
./var/broker that needs no server), results in the database (django-celery-results, through
entrypoints/result_backend.py), and the beat schedule in the database (django-celery-beat,
editable in the admin). A worker warns at start when its Redis keeps nothing on disk.

Every worker process builds its own container when it starts; nothing it needs comes from
the web process."""

from __future__ import annotations

import os
from typing import Any

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "entrypoints.settings")

app = Celery("budget_control", include=["entrypoints.tasks"])
app.config_from_object("django.conf:settings", namespace="CELERY")


@signals.worker_init.connect
def build_container(**kwargs: Any) -> None:
    """Build the worker's container as it starts, so a wiring mistake stops the worker at
    once instead of failing every task."""
    # Imported here: the container needs Django's apps, which the worker sets up first.
    from entrypoints.container import get_container

    get_container()


@signals.worker_ready.connect
def check_broker_durability(**kwargs: Any) -> None:
    """Warn in the worker's log when its broker would lose queued tasks on a restart."""
    from entrypoints.broker_check import warn_if_volatile

    warn_if_volatile(str(app.conf.broker_url))


@signals.worker_process_init.connect
def rebuild_container_in_child(**kwargs: Any) -> None:
    """A pool child starts from a fresh container of its own rather than the copy it
    inherited from the parent when it was forked."""
    from entrypoints.container import get_container

    get_container.cache_clear()
    get_container()
