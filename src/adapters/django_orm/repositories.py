"""The core's repository ports on the Django ORM. Each repository works on one database
alias inside the unit of work's transaction.

Locks: on PostgreSQL `lock`, `lock_brand`, `due`, `due_for_reset`, `budget_candidates` and
`pending` use SELECT ... FOR UPDATE, always in id order, so two transactions never wait on
each other in a circle. SQLite ignores FOR UPDATE; there every unit of work is an immediate
transaction, which holds the database's write lock from its first statement."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Sequence
from datetime import datetime
from decimal import Decimal
from typing import TypeVar

from django.db import IntegrityError, connections, transaction
from django.db.models import BigIntegerField, F, Q, QuerySet, Sum
from django.db.models.functions import Cast, Round

from adapters.django_orm import mappers, models
from adapters.django_orm.models import MONEY_PLACES
from core.entities import (
    Alert,
    AuditEntry,
    Brand,
    BrandId,
    Campaign,
    CampaignId,
    Conflict,
    FieldError,
    LedgerEntry,
    Money,
    Window,
)
from core.entities.budget import BUDGET_HOLDS
from core.ports import Sweep

T = TypeVar("T")

_BULK = 500
_MICROS = 10**MONEY_PLACES


def _integrity_as_conflict(
    using: str, write: Callable[[], T], conflict: Callable[[], Conflict | None]
) -> T:
    """Run `write` in a savepoint; turn a unique-constraint violation that `conflict()`
    explains into that Conflict (a concurrent writer won the race after our check)."""
    try:
        with transaction.atomic(using=using):
            return write()
    except IntegrityError:
        error = conflict()
        if error is None:
            raise
        raise error from None


class DjangoBrandRepository:
    def __init__(self, using: str) -> None:
        self._using = using
        # Names as read in this unit of work: saving a brand under the name it was read
        # with cannot clash (its own row holds that name), which spares the spend path a
        # query and a savepoint.
        self._read_names: dict[int, str] = {}

    def _read(self, row: models.Brand) -> Brand:
        self._read_names[row.pk] = row.name
        return mappers.brand_to_domain(row)

    def _rows(self) -> QuerySet[models.Brand]:
        return models.Brand.objects.using(self._using)

    def _name_conflict(self, brand: Brand) -> Conflict | None:
        taken = self._rows().filter(name=brand.name).exclude(pk=brand.id).exists()
        if not taken:
            return None
        return Conflict(FieldError("name", f"a brand named '{brand.name}' already exists"))

    def _check_name(self, brand: Brand) -> None:
        if (error := self._name_conflict(brand)) is not None:
            raise error

    def add(self, brand: Brand) -> Brand:
        self._check_name(brand)
        row = _integrity_as_conflict(
            self._using,
            lambda: self._rows().create(**mappers.brand_fields(brand)),
            lambda: self._name_conflict(brand),
        )
        return self._read(row)

    def get(self, brand_id: BrandId) -> Brand | None:
        row = self._rows().filter(pk=brand_id).first()
        return None if row is None else self._read(row)

    def get_many(self, brand_ids: Collection[BrandId]) -> dict[BrandId, Brand]:
        rows = self._rows().filter(pk__in=list(brand_ids)).order_by("pk")
        return {BrandId(r.pk): self._read(r) for r in rows}

    def lock(self, brand_ids: Collection[BrandId]) -> dict[BrandId, Brand]:
        if not brand_ids:
            return {}
        rows = self._rows().select_for_update().filter(pk__in=list(brand_ids)).order_by("pk")
        return {BrandId(r.pk): self._read(r) for r in rows}

    def save(self, brand: Brand) -> None:
        fields = mappers.brand_fields(brand)
        if self._read_names.get(brand.id) == brand.name:
            updated = self._rows().filter(pk=brand.id).update(**fields)
        else:
            self._check_name(brand)
            updated = _integrity_as_conflict(
                self._using,
                lambda: self._rows().filter(pk=brand.id).update(**fields),
                lambda: self._name_conflict(brand),
            )
        if not updated:
            raise KeyError(f"brand {brand.id} was never added")
        self._read_names[brand.id] = brand.name

    def due_for_reset(self, now: datetime, limit: int) -> list[Brand]:
        due = Q(reset_due_at__lte=now)
        ids = list(
            self._rows()
            .filter(due)
            .order_by("reset_due_at", "pk")
            .values_list("pk", flat=True)[:limit]
        )
        if not ids:
            return []
        # Locked in id order; a brand another transaction already rolled is skipped.
        rows = self._rows().select_for_update().filter(due, pk__in=ids).order_by("pk")
        return [self._read(r) for r in rows]


_DUE_COLUMN = {
    Sweep.RESET: "reset_due_at",
    Sweep.SCHEDULE: "schedule_due_at",
    Sweep.FLIGHT: "flight_due_at",
}


def _budget_suspects() -> Q:
    """Campaigns whose budget holds may be out of line: any budget hold on, or a counter at
    or over its budget, or the brand's counter at or over the brand's budget. A stale
    counter counts as zero in the core, so testing the stored spend may pick too many rows,
    never too few (budgets are positive)."""
    q = Q()
    for hold in sorted(BUDGET_HOLDS):
        q |= models.with_hold(hold.value)
    q |= Q(daily_spend__gte=F("daily_budget")) | Q(monthly_spend__gte=F("monthly_budget"))
    q |= Q(brand__daily_budget__isnull=False, brand__daily_spend__gte=F("brand__daily_budget"))
    q |= Q(
        brand__monthly_budget__isnull=False,
        brand__monthly_spend__gte=F("brand__monthly_budget"),
    )
    return q


class DjangoCampaignRepository:
    def __init__(self, using: str) -> None:
        self._using = using
        # As for brands: saving under the name read in this unit of work cannot clash.
        self._read_names: dict[int, str] = {}

    def _rows(self) -> QuerySet[models.Campaign]:
        return models.Campaign.objects.using(self._using)

    def _with_windows(self, rows: Iterable[models.Campaign]) -> list[Campaign]:
        rows = list(rows)
        windows: dict[int, list[models.Window]] = {r.pk: [] for r in rows}
        if rows:
            for w in models.Window.objects.using(self._using).filter(campaign_id__in=list(windows)):
                windows[w.campaign_id].append(w)
        self._read_names.update((r.pk, r.name) for r in rows)
        return [mappers.campaign_to_domain(r, windows[r.pk]) for r in rows]

    def _locked(self, rows: QuerySet[models.Campaign]) -> list[Campaign]:
        # Only the campaign rows are locked, never a joined brand (brands are locked first,
        # by BrandRepository.lock, when a use case needs them).
        return self._with_windows(rows.select_for_update(of=("self",)).order_by("pk"))

    def _name_conflict(self, campaign: Campaign) -> Conflict | None:
        taken = (
            self._rows()
            .filter(brand_id=campaign.brand_id, name=campaign.name)
            .exclude(pk=campaign.id)
            .exists()
        )
        if not taken:
            return None
        return Conflict(
            FieldError(
                "name", f"brand {campaign.brand_id} already has a campaign named '{campaign.name}'"
            )
        )

    def _check_name(self, campaign: Campaign) -> None:
        if (error := self._name_conflict(campaign)) is not None:
            raise error

    def add(self, campaign: Campaign) -> Campaign:
        self._check_name(campaign)

        def write() -> models.Campaign:
            row = mappers.campaign_row(campaign)
            row.pk = None
            row.save(using=self._using, force_insert=True)
            return row

        row = _integrity_as_conflict(self._using, write, lambda: self._name_conflict(campaign))
        self.replace_windows(CampaignId(row.pk), campaign.windows)
        stored = self.get(CampaignId(row.pk))
        assert stored is not None
        return stored

    def get(self, campaign_id: CampaignId) -> Campaign | None:
        found = self._with_windows(self._rows().filter(pk=campaign_id))
        return found[0] if found else None

    def brand_of(self, campaign_ids: Collection[CampaignId]) -> dict[CampaignId, BrandId]:
        pairs = self._rows().filter(pk__in=list(campaign_ids)).values_list("pk", "brand_id")
        return {CampaignId(pk): BrandId(brand_id) for pk, brand_id in pairs}

    def lock(self, campaign_ids: Collection[CampaignId]) -> dict[CampaignId, Campaign]:
        if not campaign_ids:
            return {}
        found = self._locked(self._rows().filter(pk__in=list(campaign_ids)))
        return {c.id: c for c in found}

    def lock_brand(self, brand_id: BrandId) -> list[Campaign]:
        return self._locked(self._rows().filter(brand_id=brand_id))

    def save(self, campaign: Campaign) -> None:
        fields = mappers.campaign_fields(campaign)
        if self._read_names.get(campaign.id) == campaign.name:
            updated = self._rows().filter(pk=campaign.id).update(**fields)
        else:
            self._check_name(campaign)
            updated = _integrity_as_conflict(
                self._using,
                lambda: self._rows().filter(pk=campaign.id).update(**fields),
                lambda: self._name_conflict(campaign),
            )
        if not updated:
            raise KeyError(f"campaign {campaign.id} was never added")
        self._read_names[campaign.id] = campaign.name

    def save_many(self, campaigns: Sequence[Campaign]) -> None:
        if not campaigns:
            return
        rows = [mappers.campaign_row(c) for c in campaigns]
        self._rows().bulk_update(rows, mappers.CAMPAIGN_COLUMNS, batch_size=_BULK)

    def replace_windows(self, campaign_id: CampaignId, windows: Iterable[Window]) -> None:
        table = models.Window.objects.using(self._using)
        table.filter(campaign_id=campaign_id).delete()
        table.bulk_create(mappers.window_rows(campaign_id, windows))

    def due(self, sweep: Sweep, now: datetime, limit: int) -> list[CampaignId]:
        column = _DUE_COLUMN[sweep]
        rows = (
            self._rows()
            .filter(**{f"{column}__lte": now})
            .order_by(column, "pk")
            .values_list("pk", flat=True)[:limit]
        )
        return [CampaignId(pk) for pk in rows]

    def budget_candidates(self, after: CampaignId, limit: int) -> list[CampaignId]:
        rows = (
            self._rows()
            .filter(_budget_suspects(), pk__gt=after)
            .order_by("pk")
            .values_list("pk", flat=True)[:limit]
        )
        return [CampaignId(pk) for pk in rows]

    def page(self, after: CampaignId, limit: int) -> list[Campaign]:
        return self._with_windows(self._rows().filter(pk__gt=after).order_by("pk")[:limit])


class DjangoSpendLedger:
    def __init__(self, using: str) -> None:
        self._using = using

    def _rows(self) -> QuerySet[models.SpendEntry]:
        return models.SpendEntry.objects.using(self._using)

    def find(self, campaign_id: CampaignId, keys: Collection[str]) -> dict[str, LedgerEntry]:
        if not keys:
            return {}
        rows = self._rows().filter(campaign_id=campaign_id, key__in=list(keys))
        return {r.key: mappers.ledger_to_domain(r) for r in rows}

    def _duplicate(self, entries: Sequence[LedgerEntry]) -> Conflict | None:
        wanted: dict[CampaignId, set[str]] = {}
        for entry in entries:
            wanted.setdefault(entry.campaign_id, set()).add(entry.key)
        for campaign_id, keys in sorted(wanted.items()):
            found = self.find(campaign_id, keys)
            if found:
                key = min(found)
                return Conflict(FieldError("key", f"'{key}' is already in the ledger"))
        seen: set[tuple[CampaignId, str]] = set()
        for entry in entries:
            slot = (entry.campaign_id, entry.key)
            if slot in seen:
                return Conflict(FieldError("key", f"'{entry.key}' is already in the ledger"))
            seen.add(slot)
        return None

    def append(self, entries: Sequence[LedgerEntry]) -> None:
        if not entries:
            return
        if (error := self._duplicate(entries)) is not None:
            raise error
        rows = [mappers.ledger_row(e) for e in entries]
        _integrity_as_conflict(
            self._using,
            lambda: self._rows().bulk_create(rows, batch_size=_BULK),
            lambda: self._duplicate(entries),
        )

    def _sum(self, rows: QuerySet[models.SpendEntry]) -> Money:
        if connections[self._using].vendor != "sqlite":
            total: Decimal | None = rows.aggregate(total=Sum("amount"))["total"]
            return Money.zero() if total is None else Money.of(total)
        # SQLite keeps decimals as floating point and adds them up as such, which drifts
        # in the sixth place over a few thousand entries. A stored amount (SQLite keeps 15
        # significant digits, e.g. 999999999.999999) rounds back to its exact number of
        # micros, and integers add up exactly.
        micros = Cast(Round(F("amount") * _MICROS), BigIntegerField())
        whole: int | None = rows.aggregate(total=Sum(micros))["total"]
        return Money.zero() if whole is None else Money.of(Decimal(whole).scaleb(-MONEY_PLACES))

    def total(self, campaign_id: CampaignId, start: datetime, end: datetime) -> Money:
        return self._sum(
            self._rows().filter(
                campaign_id=campaign_id, occurred_at__gte=start, occurred_at__lt=end
            )
        )

    def brand_total(self, brand_id: BrandId, start: datetime, end: datetime) -> Money:
        return self._sum(
            self._rows().filter(
                campaign__brand_id=brand_id, occurred_at__gte=start, occurred_at__lt=end
            )
        )


class DjangoAuditLog:
    def __init__(self, using: str) -> None:
        self._using = using

    def append(self, entries: Sequence[AuditEntry]) -> None:
        if entries:
            models.StatusChange.objects.using(self._using).bulk_create(
                [mappers.audit_row(e) for e in entries], batch_size=_BULK
            )

    def for_campaign(self, campaign_id: CampaignId) -> list[AuditEntry]:
        rows = models.StatusChange.objects.using(self._using).filter(campaign_id=campaign_id)
        return [mappers.audit_to_domain(r) for r in rows.order_by("pk")]


class DjangoAlertOutbox:
    def __init__(self, using: str) -> None:
        self._using = using

    def _rows(self) -> QuerySet[models.Alert]:
        return models.Alert.objects.using(self._using)

    def add_new(self, alerts: Sequence[Alert]) -> list[Alert]:
        new: list[Alert] = []
        for alert in alerts:
            if self._rows().filter(**mappers.alert_key_fields(alert.key)).exists():
                continue
            row = mappers.alert_row(alert)
            try:
                # A concurrent transaction may have queued the same alert since the check.
                with transaction.atomic(using=self._using):
                    row.save(using=self._using, force_insert=True)
            except IntegrityError:
                continue
            new.append(mappers.alert_to_domain(row))
        return new

    def pending(self, limit: int) -> list[Alert]:
        rows = (
            self._rows()
            .select_for_update()
            .filter(delivered_at__isnull=True)
            .order_by("raised_at", "pk")[:limit]
        )
        return [mappers.alert_to_domain(r) for r in rows]

    def mark_delivered(self, alert_ids: Collection[int], at: datetime) -> None:
        if alert_ids:
            self._rows().filter(pk__in=list(alert_ids)).update(delivered_at=at)
