"""Spend history: a campaign's and a brand's spend per brand-local day, with the daily
budget of that day (the rows are filled from the ledger by 0008). Alerts gain their kind
(budget, or pacing over or under) and the expected spend of a pacing alert; the kind joins
the key an alert is sent once for."""

from typing import Any

from django.db import migrations, models
from django.db.models.deletion import CASCADE

MONEY = {"max_digits": 18, "decimal_places": 6}
COUNTER = {"max_digits": 24, "decimal_places": 6}
KINDS = [("budget", "budget"), ("pace_over", "pace over"), ("pace_under", "pace under")]
# Room left in each page of the history tables on PostgreSQL, so that adding to a day's row
# writes its new version beside the old one and no index changes (a HOT update): a brand's
# row of today takes every batch of its campaigns' spend, a campaign's row many.
FILLFACTOR = {"budget_campaignday": 70, "budget_brandday": 50}


def leave_room(apps: object, schema_editor: Any) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return  # SQLite has no fill factor
    for table, percent in FILLFACTOR.items():
        schema_editor.execute(f"ALTER TABLE {table} SET (fillfactor = {percent})")


class Migration(migrations.Migration):
    dependencies = [
        ("budget", "0006_counters_hold_sums"),
    ]

    operations = [
        migrations.CreateModel(
            name="CampaignDay",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "campaign",
                    models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        on_delete=CASCADE,
                        related_name="days",
                        to="budget.campaign",
                    ),
                ),
                ("day", models.DateField()),
                ("spend", models.DecimalField(**COUNTER)),
                ("budget", models.DecimalField(**MONEY)),
            ],
            options={"verbose_name": "campaign day", "ordering": ["campaign", "day"]},
        ),
        migrations.AddConstraint(
            model_name="campaignday",
            constraint=models.UniqueConstraint(
                fields=("day", "campaign"), name="budget_campaign_day_once"
            ),
        ),
        migrations.CreateModel(
            name="BrandDay",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "brand",
                    models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        on_delete=CASCADE,
                        related_name="days",
                        to="budget.brand",
                    ),
                ),
                ("day", models.DateField()),
                ("spend", models.DecimalField(**COUNTER)),
                ("budget", models.DecimalField(blank=True, null=True, **MONEY)),
            ],
            options={"verbose_name": "brand day", "ordering": ["brand", "day"]},
        ),
        migrations.AddConstraint(
            model_name="brandday",
            constraint=models.UniqueConstraint(
                fields=("brand", "day"), name="budget_brand_day_once"
            ),
        ),
        migrations.RunPython(leave_room, migrations.RunPython.noop),
        migrations.RemoveConstraint(model_name="alert", name="budget_alert_once"),
        migrations.AddField(
            model_name="alert",
            name="kind",
            field=models.CharField(
                choices=KINDS, default="budget", db_default="budget", max_length=16
            ),
        ),
        migrations.AddField(
            model_name="alert",
            name="expected",
            field=models.DecimalField(blank=True, null=True, **COUNTER),
        ),
        migrations.AddConstraint(
            model_name="alert",
            constraint=models.UniqueConstraint(
                fields=("subject", "subject_id", "kind", "period_kind", "period", "threshold"),
                name="budget_alert_once",
            ),
        ),
    ]
