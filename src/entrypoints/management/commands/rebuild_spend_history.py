"""`manage.py rebuild_spend_history [--brand-id N]`"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DEFAULT_DB_ALIAS

from adapters.django_orm import models
from adapters.django_orm.history import rebuild_history


class Command(BaseCommand):
    help = (
        "Recompute the spend history (each campaign's and brand's spend per brand-local day) "
        "from the spend ledger, for every brand or for one. Replaces the brand's rows, so "
        "running it again writes the same rows. Each row's budget is the current daily "
        "budget of its campaign or brand."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--brand-id", type=int, default=None, help="Rebuild only this brand's history."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        brand_id: int | None = options["brand_id"]
        if brand_id is not None and not models.Brand.objects.filter(pk=brand_id).exists():
            raise CommandError(f"--brand-id: no brand has id {brand_id}")
        verbose = int(options["verbosity"]) >= 2
        brands = campaign_days = brand_days = 0
        chosen = None if brand_id is None else [brand_id]
        for rebuilt in rebuild_history(apps, DEFAULT_DB_ALIAS, chosen):
            brands += 1
            campaign_days += rebuilt.campaign_days
            brand_days += rebuilt.brand_days
            if verbose or brand_id is not None:
                self.stdout.write(
                    f"brand {rebuilt.brand_id} ({rebuilt.brand_name}): "
                    f"{rebuilt.campaign_days} campaign days, {rebuilt.brand_days} brand days, "
                    f"spend {rebuilt.spend}"
                )
        self.stdout.write(
            f"Rebuilt the spend history of {brands} brands: "
            f"{campaign_days} campaign days, {brand_days} brand days"
        )
