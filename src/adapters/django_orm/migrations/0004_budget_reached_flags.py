"""Spend batches update campaign and brand rows in place.

The out-of-line budget index now reads two flags the database computes (has each counter
reached its budget?) instead of the counters, so spend that reaches no budget changes no
indexed value. On PostgreSQL the campaign and brand tables also keep a fifth of each page
free, so such an update stays on its page and touches no index (a HOT update)."""

from typing import Any

from django.db import migrations, models

FILLFACTOR = {"budget_campaign": 80, "budget_brand": 80}


def _fillfactor(apps: Any, schema_editor: Any, reverse: bool = False) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    for table, percent in FILLFACTOR.items():
        setting = "RESET (fillfactor)" if reverse else f"SET (fillfactor = {percent})"
        schema_editor.execute(f'ALTER TABLE "{table}" {setting}')


def _default_fillfactor(apps: Any, schema_editor: Any) -> None:
    _fillfactor(apps, schema_editor, reverse=True)


class Migration(migrations.Migration):
    dependencies = [
        ("budget", "0003_drop_covered_foreign_key_indexes"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="campaign",
            name="budget_campaign_budget_off",
        ),
        migrations.AddField(
            model_name="campaign",
            name="daily_reached",
            field=models.GeneratedField(
                db_persist=True,
                expression=models.ExpressionWrapper(
                    models.Q(("daily_spend__gte", models.F("daily_budget"))),
                    output_field=models.BooleanField(),
                ),
                output_field=models.BooleanField(),
            ),
        ),
        migrations.AddField(
            model_name="campaign",
            name="monthly_reached",
            field=models.GeneratedField(
                db_persist=True,
                expression=models.ExpressionWrapper(
                    models.Q(("monthly_spend__gte", models.F("monthly_budget"))),
                    output_field=models.BooleanField(),
                ),
                output_field=models.BooleanField(),
            ),
        ),
        migrations.AddIndex(
            model_name="campaign",
            index=models.Index(
                condition=models.Q(
                    models.Q(("holds__contains", ",DAILY_BUDGET,"), ("daily_reached", False)),
                    models.Q(
                        models.Q(("holds__contains", ",DAILY_BUDGET,"), _negated=True),
                        ("daily_reached", True),
                    ),
                    models.Q(("holds__contains", ",MONTHLY_BUDGET,"), ("monthly_reached", False)),
                    models.Q(
                        models.Q(("holds__contains", ",MONTHLY_BUDGET,"), _negated=True),
                        ("monthly_reached", True),
                    ),
                    _connector="OR",
                ),
                fields=["id"],
                name="budget_campaign_budget_off",
            ),
        ),
        migrations.RunPython(_fillfactor, _default_fillfactor),
    ]
