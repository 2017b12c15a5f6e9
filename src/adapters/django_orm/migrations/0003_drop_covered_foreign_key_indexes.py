"""Drop the single-column foreign-key indexes that a unique or composite index already
covers (its leading column is the same). Only the indexes go: the foreign keys stay as
they are, so no table is rebuilt or re-checked."""

from django.db import migrations, models
from django.db.models.deletion import CASCADE, PROTECT

# (table, column, index Django gave the column)
COVERED = (
    ("budget_campaign", "brand_id", "budget_campaign_brand_id_6b04e581"),
    ("budget_spendentry", "campaign_id", "budget_spendentry_campaign_id_4e75beb1"),
    ("budget_statuschange", "campaign_id", "budget_statuschange_campaign_id_e430ec86"),
    ("budget_window", "campaign_id", "budget_window_campaign_id_d432a93c"),
)

# (model, field, target, related name, on delete), as the models now declare them
FIELDS = (
    ("campaign", "brand", "budget.brand", "campaigns", PROTECT),
    ("spendentry", "campaign", "budget.campaign", "ledger_entries", PROTECT),
    ("statuschange", "campaign", "budget.campaign", "status_changes", PROTECT),
    ("window", "campaign", "budget.campaign", "windows", CASCADE),
)


class Migration(migrations.Migration):
    dependencies = [
        ("budget", "0002_budget_candidate_indexes"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    f'DROP INDEX IF EXISTS "{index}"',
                    f'CREATE INDEX "{index}" ON "{table}" ("{column}")',
                )
                for table, column, index in COVERED
            ],
            state_operations=[
                migrations.AlterField(
                    model_name=model,
                    name=name,
                    field=models.ForeignKey(
                        db_index=False, on_delete=on_delete, related_name=related, to=to
                    ),
                )
                for model, name, to, related, on_delete in FIELDS
            ],
        ),
    ]
