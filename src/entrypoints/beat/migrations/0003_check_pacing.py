from django.db import migrations

# Databases created before pacing alerts get the new entry; existing entries are left alone.
NAME = "Check pacing"


def create(apps, schema_editor):
    from entrypoints.beat import ensure_default_schedules

    ensure_default_schedules(
        apps.get_model("django_celery_beat", "PeriodicTask"),
        apps.get_model("django_celery_beat", "CrontabSchedule"),
        apps.get_model("django_celery_beat", "PeriodicTasks"),
    )


def remove(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [("budget_beat", "0002_beat_lease")]

    operations = [migrations.RunPython(create, remove)]
