"""Fill the spend history from the ledger written before it existed (the same code as
`manage.py rebuild_spend_history`). Going back needs nothing: 0007 drops the tables.

Not atomic: each brand is rebuilt and committed on its own, under its row lock, so spend
for other brands goes on while it runs, and a migration stopped half-way starts again from
the first brand (a rebuild writes the same rows again). Spend recorded by processes still
running the previous release, which do not write the history, is added by running
`manage.py rebuild_spend_history` once every process runs this release."""

from typing import Any

from django.db import migrations

from adapters.django_orm.history import rebuild_history


def fill(apps: Any, schema_editor: Any) -> None:
    for _ in rebuild_history(apps, schema_editor.connection.alias):
        pass


class Migration(migrations.Migration):
    atomic = False
    dependencies = [
        ("budget", "0007_spend_history"),
    ]

    operations = [
        migrations.RunPython(fill, migrations.RunPython.noop, elidable=True),
    ]
