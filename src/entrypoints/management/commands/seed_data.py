"""`manage.py seed_data [--brands N] [--campaigns-per-brand M] [--seed S]`"""

from __future__ import annotations

import itertools
import random
from collections import Counter as Tally
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import attrs
from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from core.entities import Brand, Campaign, Conflict, State
from core.entities.budget import BUDGET_HOLDS
from core.entities.time import day_end, day_start, local_date
from core.use_cases.brands import CreateBrandCommand
from core.use_cases.campaigns import CampaignActionCommand, CreateCampaignCommand
from core.use_cases.record_spend import RecordSpendCommand
from entrypoints.container import Container, get_container
from entrypoints.management.commands._common import ProgressStream

CENT = Decimal("0.01")
HISTORY_DAYS = 7
SPEND_BATCH = 1000


@attrs.frozen
class BrandTemplate:
    name: str
    timezone: str
    currency: str
    scale: Decimal  # budgets are sized for the currency (1 ≈ one US dollar)


BRANDS = (
    BrandTemplate("Hudson Roasters", "America/New_York", "USD", Decimal(1)),
    BrandTemplate("Thames & Finch", "Europe/London", "GBP", Decimal(1)),
    BrandTemplate("Masala Street Kitchens", "Asia/Kolkata", "INR", Decimal(80)),
    BrandTemplate("Bondi Surfwear", "Australia/Sydney", "AUD", Decimal("1.5")),
    BrandTemplate("Line Islands Travel", "Pacific/Kiritimati", "AUD", Decimal("1.5")),
    BrandTemplate("Golden Gate Outfitters", "America/Los_Angeles", "USD", Decimal(1)),
    BrandTemplate("Sakura Beauty", "Asia/Tokyo", "JPY", Decimal(150)),
    BrandTemplate("Spree Cycles", "Europe/Berlin", "EUR", Decimal(1)),
    BrandTemplate("Ipanema Sports", "America/Sao_Paulo", "BRL", Decimal(5)),
    BrandTemplate("Cape Vineyards", "Africa/Johannesburg", "ZAR", Decimal(18)),
)

CAMPAIGNS = (
    "Spring Sale",
    "Brand Awareness",
    "Retargeting",
    "Search - Generic",
    "Video Prospecting",
    "Holiday Push",
    "Newsletter Signups",
    "App Installs",
)

WEEKDAYS = range(1, 6)
EVERY_DAY = range(1, 8)
# Dayparting patterns: (day_of_week, start, end) in the brand's wall-clock time.
SCHEDULES: tuple[tuple[tuple[int, str, str], ...], ...] = (
    tuple((d, "08:00", "20:00") for d in WEEKDAYS),  # business hours
    tuple((d, "18:00", "23:30") for d in EVERY_DAY),  # evenings
    ((5, "22:00", "02:00"), (6, "22:00", "02:00")),  # Friday and Saturday nights
    tuple((d, "11:30", "14:00") for d in WEEKDAYS),  # lunch
)


class Command(BaseCommand):
    help = (
        "Fill the database with realistic demo data through the use cases: brands in several "
        "time zones (New York, London, Kolkata, Sydney, Kiritimati, ...) and currencies, "
        "campaigns with varied budgets and flight dates, dayparting windows on some, most of "
        "them launched (a few left as drafts or paused), and the last days of spend recorded "
        "with their real past times. Names carry a number, so running it again adds more "
        "data instead of failing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--brands", type=int, default=10, metavar="N", help="Default 10.")
        parser.add_argument(
            "--campaigns-per-brand", type=int, default=5, metavar="M", help="Default 5."
        )
        parser.add_argument(
            "--seed",
            type=int,
            default=None,
            metavar="S",
            help="Random seed, for the same budgets, dates and spend on every run.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        brands: int = options["brands"]
        per_brand: int = options["campaigns_per_brand"]
        if brands < 0:
            raise CommandError("--brands: must be zero or more")
        if per_brand < 0:
            raise CommandError("--campaigns-per-brand: must be zero or more")
        container = get_container()
        seeder = Seeder(container, random.Random(options["seed"]), container.clock().now())
        for index in tqdm(
            range(brands),
            unit="brand",
            desc="seed_data",
            file=ProgressStream(self.stderr),
            disable=None,
        ):
            seeder.brand(BRANDS[index % len(BRANDS)], per_brand)
        t = seeder.tally
        zones = ", ".join(sorted(seeder.zones))
        self.stdout.write(
            f"Seeded {t['brands']} brands ({zones or 'none'}), {t['campaigns']} campaigns "
            f"({t['launched']} launched, {t['paused']} of them paused by the operator, "
            f"{t['windows']} with dayparting windows), {t['spend']} spend events over the "
            f"last {HISTORY_DAYS} days (campaigns held by spend: {t['held']})."
        )
        if t["name_taken"]:
            self.stdout.write(f"Skipped {t['name_taken']} brand name(s) already in use.")


class Seeder:
    def __init__(self, container: Container, rng: random.Random, now: datetime) -> None:
        self.c = container
        self.rng = rng
        self.now = now
        self.number = 0
        self.tally: Tally[str] = Tally()
        self.zones: set[str] = set()

    def brand(self, template: BrandTemplate, per_brand: int) -> None:
        brand = self._create_brand(template)
        self.zones.add(brand.timezone)
        events: list[dict[str, object]] = []
        campaigns: list[Campaign] = []
        for index in range(per_brand):
            campaign = self._campaign(brand, template, index, per_brand)
            campaigns.append(campaign)
            events.extend(self._history(brand, campaign))
        for start in range(0, len(events), SPEND_BATCH):
            result = self.c.record_spend()(
                RecordSpendCommand(events=events[start : start + SPEND_BATCH])
            )
            self.tally["spend"] += result.recorded
        self.tally["held"] += self._held_by_spend(campaigns)

    def _held_by_spend(self, campaigns: list[Campaign]) -> int:
        """How many of the campaigns carry a budget hold once all the spend is in. Counted
        from the campaigns as saved, not from the spend's reports of campaigns it stopped:
        a campaign already stopped (outside its windows, paused by the operator, not yet
        launched) is held by the spend without being stopped by it, and a brand's budget
        holds campaigns that spent nothing in the batch that reached it."""
        with self.c.uow() as uow:
            found = [uow.campaigns.get(c.id) for c in campaigns]
        return sum(1 for c in found if c is not None and not c.holds.isdisjoint(BUDGET_HOLDS))

    def _create_brand(self, template: BrandTemplate) -> Brand:
        capped = self.rng.random() < 0.25  # some brands cap their total spend too
        while True:
            # Numbered so a second run adds brands instead of failing on taken names.
            self.number += 1
            try:
                brand = self.c.create_brand()(
                    CreateBrandCommand(
                        name=f"{template.name} {self.number}",
                        timezone=template.timezone,
                        currency=template.currency,
                        daily_budget=_money(3000 * template.scale) if capped else None,
                        monthly_budget=_money(60000 * template.scale) if capped else None,
                    )
                )
            except Conflict as error:
                if error.field != "name":
                    raise
                self.tally["name_taken"] += 1
                continue
            self.tally["brands"] += 1
            return brand

    def _campaign(
        self, brand: Brand, template: BrandTemplate, index: int, per_brand: int
    ) -> Campaign:
        rng = self.rng
        name = CAMPAIGNS[index % len(CAMPAIGNS)]
        if per_brand > len(CAMPAIGNS):
            name = f"{name} {index // len(CAMPAIGNS) + 1}"
        daily = rng.choice((50, 100, 250, 500, 1000)) * template.scale
        monthly = daily * rng.choice((20, 25, 30))
        start, end = self._flight(local_date(self.now, brand.timezone))
        windows: list[dict[str, object]] = []
        if rng.random() < 0.35:
            schedule = rng.choice(SCHEDULES)
            windows = [{"day_of_week": d, "start_time": s, "end_time": e} for d, s, e in schedule]
            self.tally["windows"] += 1
        campaign = self.c.create_campaign()(
            CreateCampaignCommand(
                brand_id=brand.id,
                name=name,
                daily_budget=_money(daily),
                monthly_budget=_money(monthly),
                start_date=start,
                end_date=end,
                windows=windows,
            )
        )
        self.tally["campaigns"] += 1
        if rng.random() < 0.85:
            campaign = self.c.launch_campaign()(CampaignActionCommand(campaign.id))
            self.tally["launched"] += 1
            if rng.random() < 0.07:
                campaign = self.c.pause_campaign()(CampaignActionCommand(campaign.id))
                self.tally["paused"] += 1
        return campaign

    def _flight(self, today: date) -> tuple[date, date | None]:
        rng = self.rng
        roll = rng.random()
        if roll < 0.5:  # running, open-ended
            return today - timedelta(days=rng.randint(3, 60)), None
        if roll < 0.8:  # running, ends soon
            return today - timedelta(days=rng.randint(3, 30)), today + timedelta(
                days=rng.randint(1, 45)
            )
        if roll < 0.92:  # starts in a few days
            start = today + timedelta(days=rng.randint(1, 10))
            return start, start + timedelta(days=rng.randint(7, 30))
        end = today - timedelta(days=rng.randint(1, 5))  # ended
        return end - timedelta(days=rng.randint(7, 30)), end

    def _history(self, brand: Brand, campaign: Campaign) -> Iterator[dict[str, object]]:
        """Spend over the last days of the campaign's flight, at real past instants. Most
        days use part of the daily budget; some campaigns use all of today's."""
        if campaign.state is State.DRAFT:
            return
        rng = self.rng
        tz = brand.timezone
        today = local_date(self.now, tz)
        exhaust_today = rng.random() < 0.1
        budget = campaign.daily_budget.amount
        for back in range(HISTORY_DAYS - 1, -1, -1):
            day = today - timedelta(days=back)
            if day < campaign.start_date or (campaign.end_date and day > campaign.end_date):
                continue
            begin = day_start(day, tz)
            finish = min(day_end(day, tz), self.now)
            if finish <= begin:
                continue
            share = Decimal(1) if back == 0 and exhaust_today else _share(rng)
            for n, amount in enumerate(_split(budget * share, rng.randint(1, 4), rng)):
                offset = rng.random() * (finish - begin).total_seconds()
                at = begin + timedelta(seconds=int(offset))
                yield {
                    "campaign_id": campaign.id,
                    "amount": str(amount),
                    "key": f"seed-{campaign.id}-{day.isoformat()}-{n}",
                    "occurred_at": at.isoformat(),
                    "description": f"{rng.choice(PLATFORMS)} report {at:%Y-%m-%d %H:%M}",
                }


PLATFORMS = ("Google Ads", "Meta Ads", "TikTok Ads", "Microsoft Ads", "LinkedIn Ads")


def _share(rng: random.Random) -> Decimal:
    return Decimal(rng.randint(25, 95)) / 100


def _split(total: Decimal, parts: int, rng: random.Random) -> list[Decimal]:
    """`total` (to the cent) in `parts` positive amounts that add up to it exactly."""
    total = total.quantize(CENT)
    cents = int(total / CENT)
    if cents < parts:
        return [total] if cents else []
    cuts = sorted(rng.sample(range(1, cents), parts - 1)) if parts > 1 else []
    edges = [0, *cuts, cents]
    return [Decimal(b - a) * CENT for a, b in itertools.pairwise(edges)]


def _money(amount: Decimal) -> str:
    return str(amount.quantize(CENT))
