from django.db import migrations


def create(apps, schema_editor):
    from entrypoints.beat import ensure_default_schedules

    ensure_default_schedules(
        apps.get_model("django_celery_beat", "PeriodicTask"),
        apps.get_model("django_celery_beat", "CrontabSchedule"),
        apps.get_model("django_celery_beat", "PeriodicTasks"),
    )


def remove(apps, schema_editor):
    from entrypoints.beat import DEFAULT_SCHEDULES

    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(
        name__in=[entry.name for entry in DEFAULT_SCHEDULES]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("django_celery_beat", "0018_improve_crontab_helptext")]

    operations = [migrations.RunPython(create, remove)]
