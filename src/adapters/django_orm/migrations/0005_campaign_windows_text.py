"""Each campaign keeps a copy of its windows as text, filled here from the window table."""

from typing import Any

from django.db import migrations, models

ITEM = "w.day_of_week || ' ' || w.start_time || ' ' || w.end_time"
JOINED = {
    "postgresql": f"string_agg({ITEM}, ';' ORDER BY w.day_of_week, w.start_time, w.end_time)",
    # SQLite's group_concat keeps no order; the reader sorts the windows itself.
    "sqlite": f"group_concat({ITEM}, ';')",
}


def _fill(apps: Any, schema_editor: Any) -> None:
    joined = JOINED[schema_editor.connection.vendor]
    schema_editor.execute(
        "UPDATE budget_campaign SET windows_text = COALESCE("
        f"(SELECT {joined} FROM budget_window w WHERE w.campaign_id = budget_campaign.id), '')"
    )


class Migration(migrations.Migration):
    dependencies = [
        ("budget", "0004_budget_reached_flags"),
    ]

    operations = [
        migrations.AddField(
            model_name="campaign",
            name="windows_text",
            field=models.TextField(blank=True, default="", editable=False),
        ),
        migrations.RunPython(_fill, migrations.RunPython.noop),
    ]
