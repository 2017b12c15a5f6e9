"""The core's repository ports on the Django ORM. Each repository works on one database
alias inside the unit of work's transaction.

Locks: on PostgreSQL `lock`, `lock_brand`, `due`, `due_for_reset`, `budget_candidates` and
`pending` use SELECT ... FOR UPDATE, always in id order, so two transactions never wait on
each other in a circle. SQLite ignores FOR UPDATE; there every unit of work is an immediate
transaction, which holds the database's write lock from its first statement."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any, TypeVar

from django.db import IntegrityError, connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import (
    BigIntegerField,
    BooleanField,
    Expression,
    F,
    Model,
    Q,
    QuerySet,
    Sum,
)
from django.db.models.functions import Cast, Mod, Round
from django.db.models.sql.compiler import SQLCompiler

from adapters.django_orm import bulk_sql, mappers, models
from adapters.django_orm.models import MONEY_PLACES
from core.entities import (
    EVERY,
    Alert,
    AuditEntry,
    Brand,
    BrandId,
    Campaign,
    CampaignId,
    Conflict,
    DaySpend,
    FieldError,
    LedgerEntry,
    Money,
    Shard,
    Sweep,
    Window,
)
from core.entities.time import days_between

T = TypeVar("T")

_MICROS = 10**MONEY_PLACES
# Windows per statement of SpendLedger.totals on SQLite (four parameters each; its oldest
# supported versions take at most 999). PostgreSQL takes them all as three arrays.
TOTALS_CHUNK = 200


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


class _Stored:
    """Each row's columns as last read or written in one unit of work, so that a bulk save
    writes only the columns that changed (a spend batch moves counters and little else),
    one statement per set of changed columns."""

    def __init__(self, using: str, model: type[Model]) -> None:
        self._using, self._model = using, model
        self._rows: dict[int, dict[str, Any]] = {}

    def read(self, rows: Iterable[dict[str, Any]]) -> None:
        self._rows.update((r["id"], r) for r in rows)

    def written(self, pk_value: int, fields: dict[str, Any]) -> None:
        self._rows[pk_value] = {"id": pk_value, **fields}

    def save_changed(self, rows: Iterable[tuple[int, dict[str, Any]]]) -> None:
        shapes: dict[tuple[str, ...], list[tuple[int, dict[str, Any]]]] = defaultdict(list)
        for pk_value, fields in rows:
            stored = self._rows.get(pk_value)
            if stored is None:
                changed = fields
                self.written(pk_value, fields)
            else:
                changed = {k: v for k, v in fields.items() if stored[k] != v}
                stored.update(changed)
            if changed:
                shapes[tuple(changed)].append((pk_value, changed))
        for shape in shapes.values():
            if bulk_sql.update_rows(self._using, self._model, shape) != len(shape):
                raise KeyError(f"a {self._model._meta.model_name} saved in bulk was never added")


class DjangoBrandRepository:
    def __init__(self, using: str) -> None:
        self._using = using
        # Names as read in this unit of work: saving a brand under the name it was read
        # with cannot clash (its own row holds that name), which spares the spend path a
        # query and a savepoint.
        self._read_names: dict[int, str] = {}
        self._stored = _Stored(using, models.Brand)

    def _read(self, rows: QuerySet[models.Brand]) -> dict[BrandId, Brand]:
        found = list(rows.values(*mappers.BRAND_READ_COLUMNS))
        self._read_names.update((r["id"], r["name"]) for r in found)
        self._stored.read(found)
        return {BrandId(r["id"]): mappers.brand_from_values(r) for r in found}

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
        self._read_names[row.pk] = row.name
        return mappers.brand_to_domain(row)

    def get(self, brand_id: BrandId) -> Brand | None:
        return self._read(self._rows().filter(pk=brand_id)).get(brand_id)

    def get_many(self, brand_ids: Collection[BrandId]) -> dict[BrandId, Brand]:
        return self._read(self._rows().filter(pk__in=list(brand_ids)).order_by("pk"))

    def lock(self, brand_ids: Collection[BrandId]) -> dict[BrandId, Brand]:
        if not brand_ids:
            return {}
        rows = self._rows().select_for_update().filter(pk__in=list(brand_ids)).order_by("pk")
        return self._read(rows)

    def lock_of_campaigns(self, campaign_ids: Collection[CampaignId]) -> dict[BrandId, Brand]:
        if not campaign_ids:
            return {}
        campaigns = models.Campaign.objects.using(self._using)
        owners = bulk_sql.with_ids(campaigns, campaign_ids).values("brand_id")
        return self._read(self._rows().select_for_update().filter(pk__in=owners).order_by("pk"))

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
        self._stored.written(brand.id, fields)

    def save_many(self, brands: Sequence[Brand]) -> None:
        renamed = [b for b in brands if self._read_names.get(b.id) != b.name]
        for brand in renamed:
            self.save(brand)
        same = [b for b in brands if self._read_names.get(b.id) == b.name]
        self._stored.save_changed((int(b.id), mappers.brand_fields(b)) for b in same)

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
        return list(self._read(rows).values())


class _LiteralCondition(Expression):
    """`condition` with its values written into the statement as literals, as Django
    writes a partial index's condition, instead of bound as parameters: a planner uses a
    partial index only where it can see that the query implies the index's condition,
    which SQLite cannot with the values bound (nor PostgreSQL, in a generic plan)."""

    output_field = BooleanField()

    def __init__(self, condition: Q) -> None:
        super().__init__()
        self.condition: Any = condition

    def get_source_expressions(self) -> list[Any]:
        return [self.condition]

    def set_source_expressions(self, exprs: Sequence[Any]) -> None:
        (self.condition,) = exprs

    def as_sql(
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra: Any
    ) -> tuple[str, list[Any]]:
        sql, params = compiler.compile(self.condition)
        # Quoted by the schema editor, which quotes the index's condition.
        quote = connection.schema_editor().quote_value
        return str(sql % tuple(quote(p) for p in params)).replace("%", "%%"), []


_DUE_COLUMN = {
    Sweep.RESET: "reset_due_at",
    Sweep.SCHEDULE: "schedule_due_at",
    Sweep.FLIGHT: "flight_due_at",
}


def _brand_exhausted(period: str) -> Q:
    """Brands whose stored `period` ("daily", "monthly") counter is at or over the brand's
    budget. A stale brand counter counts as zero in the core, so this may pick too many,
    never too few (budgets are positive)."""
    return Q(**{f"{period}_budget__isnull": False, f"{period}_spend__gte": F(f"{period}_budget")})


class DjangoCampaignRepository:
    def __init__(self, using: str) -> None:
        self._using = using
        # As for brands: saving under the name read in this unit of work cannot clash.
        self._read_names: dict[int, str] = {}
        self._stored = _Stored(using, models.Campaign)

    def _rows(self) -> QuerySet[models.Campaign]:
        return models.Campaign.objects.using(self._using)

    def _with_windows(self, rows: QuerySet[models.Campaign]) -> list[Campaign]:
        # Plain values, not model instances: a sweep chunk or a spend batch reads a
        # thousand rows, and building models costs more than the query. Windows come from
        # the row's own copy (few distinct schedules, so their parsing is cached).
        found = list(rows.values(*mappers.CAMPAIGN_READ_COLUMNS))
        self._read_names.update((r["id"], r["name"]) for r in found)
        self._stored.read(found)
        return [mappers.campaign_from_values(r) for r in found]

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

    def lock(self, campaign_ids: Collection[CampaignId]) -> dict[CampaignId, Campaign]:
        if not campaign_ids:
            return {}
        found = self._locked(bulk_sql.with_ids(self._rows(), campaign_ids))
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
        self._stored.written(campaign.id, fields)

    def save_many(self, campaigns: Sequence[Campaign]) -> None:
        renamed = [c for c in campaigns if self._read_names.get(c.id) != c.name]
        for campaign in renamed:
            self.save(campaign)
        same = [c for c in campaigns if self._read_names.get(c.id) == c.name]
        self._stored.save_changed((int(c.id), mappers.campaign_fields(c)) for c in same)

    def replace_windows(self, campaign_id: CampaignId, windows: Iterable[Window]) -> None:
        windows = list(windows)
        table = models.Window.objects.using(self._using)
        table.filter(campaign_id=campaign_id).delete()
        table.bulk_create(mappers.window_rows(campaign_id, windows))
        text = mappers.windows_to_text(windows)
        self._rows().filter(pk=campaign_id).update(windows_text=text)

    def _of(self, shard: Shard) -> QuerySet[models.Campaign]:
        if shard.count == 1:
            return self._rows()
        return self._rows().alias(shard=Mod("brand_id", shard.count)).filter(shard=shard.index)

    def due(
        self, sweep: Sweep, now: datetime, limit: int, shard: Shard = EVERY
    ) -> list[CampaignId]:
        column = _DUE_COLUMN[sweep]
        rows = (
            self._of(shard)
            .filter(**{f"{column}__lte": now})
            .order_by(column, "pk")
            .values_list("pk", flat=True)[:limit]
        )
        return [CampaignId(pk) for pk in rows]

    def budget_candidates(
        self, after: CampaignId, limit: int, shard: Shard = EVERY
    ) -> list[CampaignId]:
        # Three indexed look-ups, so the cost follows the campaigns out of line: two partial
        # indexes (own holds vs counters; brand holds), and the campaigns of brands over
        # their budget. The core decides.
        def branch(q: Q | Expression) -> set[int]:
            selected = self._of(shard).filter(q, pk__gt=after).order_by("pk")
            return set(selected.values_list("pk", flat=True)[:limit])

        # The partial indexes' own conditions, with their values as literals.
        ids = branch(_LiteralCondition(models.campaign_budget_out_of_line()))
        ids |= branch(_LiteralCondition(models.brand_budget_held()))
        # The brands over budget first (a small table), then their campaigns through the
        # brand index: joining from the campaigns' side walks every campaign.
        brands = models.Brand.objects.using(self._using)
        for period in ("daily", "monthly"):
            exhausted = list(brands.filter(_brand_exhausted(period)).values_list("pk", flat=True))
            if exhausted:
                hold = f"BRAND_{period.upper()}_BUDGET"
                ids |= branch(Q(brand_id__in=exhausted) & ~models.with_hold(hold))
        return [CampaignId(pk) for pk in sorted(ids)[:limit]]

    def page(self, after: CampaignId, limit: int) -> list[Campaign]:
        return self._with_windows(self._rows().filter(pk__gt=after).order_by("pk")[:limit])


_LEDGER_COLUMNS = (
    "campaign_id",
    "key",
    "amount",
    "occurred_at",
    "recorded_at",
    "description",
    "actor",
)


def _from_parts(units: int | None, micros: int | None) -> Money:
    """A SQLite sum added up as whole units and micros (None: nothing to add)."""
    if units is None or micros is None:
        return Money.zero()
    return Money.of(Decimal(units) + Decimal(micros).scaleb(-MONEY_PLACES))


class DjangoSpendLedger:
    def __init__(self, using: str) -> None:
        self._using = using

    def _rows(self) -> QuerySet[models.SpendEntry]:
        return models.SpendEntry.objects.using(self._using)

    def find_many(
        self, slots: Collection[tuple[CampaignId, str]]
    ) -> dict[tuple[CampaignId, str], LedgerEntry]:
        wanted = sorted(set(slots))
        if not wanted:
            return {}
        found: dict[tuple[CampaignId, str], LedgerEntry] = {}
        for rows in bulk_sql.with_pairs(self._rows(), ("campaign_id", "key"), wanted):
            for row in rows.order_by().values(*_LEDGER_COLUMNS):
                entry = mappers.ledger_from_values(row)
                found[(entry.campaign_id, entry.key)] = entry
        return found

    def add_new(self, entries: Sequence[LedgerEntry]) -> set[tuple[CampaignId, str]]:
        if not entries:
            return set()
        if connections[self._using].vendor == "postgresql":
            # The unique index decides in the insert itself: a slot that another transaction
            # has taken but not yet committed waits for it, and is skipped if it commits.
            rows = [mappers.ledger_fields(e) for e in entries]
            added = bulk_sql.insert_rows(self._using, models.SpendEntry, rows, ("campaign", "key"))
            return {(CampaignId(campaign_id), key) for campaign_id, key in added}
        # SQLite: a unit of work holds the database's write lock from its first statement,
        # so no other writer can take a slot between this look-up and the insert.
        taken = self.find_many([(e.campaign_id, e.key) for e in entries])
        fresh = [e for e in entries if (e.campaign_id, e.key) not in taken]
        fields = [mappers.ledger_fields(e) for e in fresh]
        bulk_sql.insert_rows(self._using, models.SpendEntry, fields)
        return {(e.campaign_id, e.key) for e in fresh}

    def _sum(self, rows: QuerySet[models.SpendEntry]) -> Money:
        if connections[self._using].vendor != "sqlite":
            total: Decimal | None = rows.aggregate(total=Sum("amount"))["total"]
            return Money.zero() if total is None else Money.of(total)
        # SQLite keeps decimals as floating point and adds them up as such, which drifts
        # in the sixth place over a few thousand entries. Integers add up exactly, so each
        # stored amount is split into its whole units and its micros (SQLite keeps 15
        # significant digits, e.g. 999999999.999999, and both parts round back exactly).
        # Split, rather than all in micros: a sum of amounts near the maximum, counted in
        # micros, would pass SQLite's 64-bit integers.
        units = Cast(F("amount"), BigIntegerField())
        micros = Cast(Round((F("amount") - units) * _MICROS), BigIntegerField())
        sums = rows.aggregate(units=Sum(units), micros=Sum(micros))
        return _from_parts(sums["units"], sums["micros"])

    def totals(self, windows: Sequence[tuple[CampaignId, datetime, datetime]]) -> list[Money]:
        # The windows joined to the ledger through its (campaign, occurred_at) index, one
        # sum per window: one statement on PostgreSQL, one per TOTALS_CHUNK on SQLite.
        if not windows:
            return []
        if connections[self._using].vendor == "postgresql":
            return self._totals_postgres(windows)
        return [
            total
            for first in range(0, len(windows), TOTALS_CHUNK)
            for total in self._totals_sqlite(windows[first : first + TOTALS_CHUNK])
        ]

    def _windows_joined(self) -> str:
        table = connections[self._using].ops.quote_name(models.SpendEntry._meta.db_table)
        return (
            f"LEFT JOIN {table} s ON s.campaign_id = w.campaign_id"
            " AND s.occurred_at >= w.start AND s.occurred_at < w.stop GROUP BY w.n ORDER BY w.n"
        )

    def _totals_postgres(
        self, windows: Sequence[tuple[CampaignId, datetime, datetime]]
    ) -> list[Money]:
        with connections[self._using].cursor() as cursor:
            cursor.execute(
                "SELECT COALESCE(SUM(s.amount), 0) FROM unnest(%s::bigint[],"
                " %s::timestamptz[], %s::timestamptz[]) WITH ORDINALITY"
                f" AS w(campaign_id, start, stop, n) {self._windows_joined()}",
                [list(column) for column in zip(*windows, strict=True)],
            )
            return [Money.of(total) for (total,) in cursor.fetchall()]

    def _totals_sqlite(
        self, windows: Sequence[tuple[CampaignId, datetime, datetime]]
    ) -> list[Money]:
        # Whole units and micros added up apart, as in _sum.
        values = ", ".join(["(%s, %s, %s, %s)"] * len(windows))
        params = [
            value
            for n, (campaign_id, start, end) in enumerate(windows)
            for value in (n, campaign_id, bulk_sql.sqlite_value(start), bulk_sql.sqlite_value(end))
        ]
        with connections[self._using].cursor() as cursor:
            cursor.execute(
                f"WITH w(n, campaign_id, start, stop) AS (VALUES {values})"
                " SELECT SUM(CAST(s.amount AS INTEGER)), SUM(CAST(ROUND((s.amount"
                f" - CAST(s.amount AS INTEGER)) * {_MICROS}) AS INTEGER))"
                f" FROM w {self._windows_joined()}",
                params,
            )
            return [_from_parts(units, micros) for units, micros in cursor.fetchall()]

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
        rows = [mappers.audit_fields(e) for e in entries]
        bulk_sql.insert_rows(self._using, models.StatusChange, rows)


class DjangoAlertOutbox:
    def __init__(self, using: str) -> None:
        self._using = using

    def _rows(self) -> QuerySet[models.Alert]:
        return models.Alert.objects.using(self._using)

    def add_new(self, alerts: Sequence[Alert]) -> list[Alert]:
        if not alerts:
            return []
        seen = Q()
        for alert in alerts:
            seen |= Q(**mappers.alert_key_fields(alert.key))
        known = {mappers.alert_to_domain(r).key for r in self._rows().filter(seen).order_by()}
        fresh = list({a.key: a for a in alerts if a.key not in known}.values())
        if not fresh:
            return []
        rows = [mappers.alert_row(a) for a in fresh]
        if connections[self._using].features.can_return_rows_from_bulk_insert:
            try:
                with transaction.atomic(using=self._using):
                    self._rows().bulk_create(rows, batch_size=bulk_sql.CHUNK)
                return [mappers.alert_to_domain(r) for r in rows]
            except IntegrityError:
                pass  # a concurrent transaction queued one of them: go one by one
        return self._add_one_by_one(fresh)

    def _add_one_by_one(self, alerts: Sequence[Alert]) -> list[Alert]:
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


# Ranges of history up to this many days are read by listing their days.
LISTED_DAYS = 400


class DjangoSpendHistory:
    """The spend history in the campaign-day and brand-day tables: one upsert per table
    adds a batch's spend to its rows."""

    def __init__(self, using: str) -> None:
        self._using = using

    def add(self, campaign_days: Sequence[DaySpend], brand_days: Sequence[DaySpend]) -> None:
        for model, owner, rows, unique in (
            (models.CampaignDay, "campaign", campaign_days, ("day", "campaign")),
            (models.BrandDay, "brand", brand_days, ("brand", "day")),
        ):
            bulk_sql.upsert_rows(
                self._using,
                model,
                [mappers.day_fields(owner, row) for row in rows],
                unique=unique,
                add=("spend",),
            )

    def campaign_days(self, campaign_id: CampaignId, start: date, end: date) -> list[DaySpend]:
        rows = models.CampaignDay.objects.using(self._using).filter(campaign_id=campaign_id)
        return self._between(rows, campaign_id, start, end)

    def brand_days(self, brand_id: BrandId, start: date, end: date) -> list[DaySpend]:
        rows = models.BrandDay.objects.using(self._using).filter(brand_id=brand_id)
        return self._between(rows, brand_id, start, end)

    @staticmethod
    def _between(
        rows: QuerySet[models.CampaignDay] | QuerySet[models.BrandDay],
        subject_id: int,
        start: date,
        end: date,
    ) -> list[DaySpend]:
        if (end - start).days < LISTED_DAYS:
            # One probe of the unique index per day: the campaigns' index leads with the day.
            rows = rows.filter(day__in=days_between(start, end))
        else:  # a range no series asks for: a scan, but a correct answer
            rows = rows.filter(day__gte=start, day__lte=end)
        found = rows.order_by("day")
        return [mappers.day_from_values(subject_id, r) for r in found.values(*mappers.DAY_COLUMNS)]
