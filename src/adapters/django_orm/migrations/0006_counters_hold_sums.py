"""Counters hold sums: six more integer digits for the spend counters (campaign, brand,
and the spend an alert reports).

A single event may be as large as a budget (999,999,999,999), so the counters' old width,
the same as a budget's, overflowed at the second such event: PostgreSQL refused the write
and SQLite stored a value it could not read back. PostgreSQL cannot change the type of a
column that a generated column reads, so the two "reached" flags and the index on them are
dropped first and built again afterwards, as in 0004."""

from decimal import Decimal

from django.db import migrations, models

COUNTER = {"max_digits": 24, "decimal_places": 6}


def _reached(period: str) -> models.GeneratedField:
    return models.GeneratedField(
        db_persist=True,
        expression=models.ExpressionWrapper(
            models.Q((f"{period}_spend__gte", models.F(f"{period}_budget"))),
            output_field=models.BooleanField(),
        ),
        output_field=models.BooleanField(),
    )


def _budget_off() -> models.Index:
    condition = models.Q()
    for period in ("daily", "monthly"):
        held = models.Q(holds__contains=f",{period.upper()}_BUDGET,")
        reached = f"{period}_reached"
        condition |= held & models.Q(**{reached: False})
        condition |= ~held & models.Q(**{reached: True})
    return models.Index(condition=condition, fields=["id"], name="budget_campaign_budget_off")


class Migration(migrations.Migration):
    dependencies = [
        ("budget", "0005_campaign_windows_text"),
    ]

    operations = [
        migrations.RemoveIndex(model_name="campaign", name="budget_campaign_budget_off"),
        migrations.RemoveField(model_name="campaign", name="daily_reached"),
        migrations.RemoveField(model_name="campaign", name="monthly_reached"),
        migrations.AlterField(
            model_name="alert", name="spend", field=models.DecimalField(**COUNTER)
        ),
        *(
            migrations.AlterField(
                model_name=model,
                name=name,
                field=models.DecimalField(default=Decimal("0"), **COUNTER),
            )
            for model in ("brand", "campaign")
            for name in ("daily_spend", "monthly_spend")
        ),
        migrations.AddField(model_name="campaign", name="daily_reached", field=_reached("daily")),
        migrations.AddField(
            model_name="campaign", name="monthly_reached", field=_reached("monthly")
        ),
        migrations.AddIndex(model_name="campaign", index=_budget_off()),
    ]
