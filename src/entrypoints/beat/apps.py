from django.apps import AppConfig


class BeatConfig(AppConfig):
    """Owns the default beat schedule (created by its data migration); the schedule itself
    lives in django-celery-beat's tables and is edited in the admin."""

    name = "entrypoints.beat"
    label = "budget_beat"
    verbose_name = "Periodic work"
