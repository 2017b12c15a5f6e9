"""Statements over many rows or values at once, written for each database.

On PostgreSQL a batch travels as one array parameter per column (unnest, = ANY): the
statement's text, and its cost to parse and plan, stay the same however large the batch.
Django's own bulk methods and `__in` lists take one parameter per value (and bulk_update a
CASE branch per column and row), which for a thousand rows costs more than the work. On
SQLite a prepared statement is executed once per row, or values are listed per chunk."""

from __future__ import annotations

import sqlite3
from collections.abc import Collection, Iterator, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, TypeVar, cast

from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import BooleanField, DecimalField, F, Field, Lookup, Model, QuerySet
from django.db.models.expressions import RawSQL
from django.db.models.sql.compiler import SQLCompiler

M = TypeVar("M", bound=Model)

# Rows per multi-row statement on the hot paths (sweeps and spend batches).
CHUNK = 1000


def sqlite_value(value: Any) -> Any:
    """A value as Django stores it in SQLite: naive UTC datetimes, ISO dates, decimals as
    text (what get_db_prep_save gives, without its per-value overhead)."""
    if isinstance(value, datetime):
        return str(value.astimezone(UTC).replace(tzinfo=None))
    if isinstance(value, date | Decimal):
        return str(value)
    return value


def _fields(model: type[Model], names: Sequence[str]) -> list[Field[Any, Any]]:
    meta = model._meta
    return [cast("Field[Any, Any]", meta.get_field(n)) for n in names]


def _pg_array(connection: Any, field: Field[Any, Any], values: list[Any]) -> tuple[str, Any]:
    """One column's values as a PostgreSQL array parameter: its placeholder and its value.
    Binary (`%b`), which psycopg builds faster than text, except for decimals: psycopg
    converts each Decimal to binary numeric in Python, six times slower than writing the
    array literal with str()."""
    db_type = field.db_type(connection)
    if isinstance(field, DecimalField):
        literal = ",".join("NULL" if v is None else str(v) for v in values)
        return f"%s::{db_type}[]", "{" + literal + "}"
    return f"%b::{db_type}[]", values


def update_rows(using: str, model: type[Model], rows: Sequence[tuple[int, dict[str, Any]]]) -> int:
    """Write each (pk, column values) row; every row sets the same columns. One statement
    per chunk: on PostgreSQL UPDATE ... FROM unnest(one array per column); elsewhere one
    prepared statement executed for every row. Returns the rows found.
    (Settings bind parameters server-side on PostgreSQL, so each array is one parameter;
    `_pg_array` picks the format that psycopg builds fastest.)"""
    rows = list({pk_value: (pk_value, row) for pk_value, row in rows}.values())
    if not rows:
        return 0
    connection = connections[using]
    quote = connection.ops.quote_name
    names = list(rows[0][1])
    fields = _fields(model, names)
    table = quote(model._meta.db_table)
    columns = [quote(f.column) for f in fields]
    found = 0
    if connection.vendor == "postgresql":
        assignments = ", ".join(f"{c} = v.c{i}" for i, c in enumerate(columns))
        aliases = ", ".join(f"c{i}" for i in range(len(columns)))
        with connection.cursor() as cursor:
            for start in range(0, len(rows), CHUNK):
                chunk = rows[start : start + CHUNK]
                ids = [pk_value for pk_value, _ in chunk]
                arrays = [
                    _pg_array(connection, f, [r[n] for _, r in chunk])
                    for n, f in zip(names, fields, strict=True)
                ]
                # The second id array lets the planner find the rows through the primary
                # key; joined on v.id alone it hashes a scan of the whole table.
                sql = (
                    f"UPDATE {table} SET {assignments} "
                    f"FROM unnest(%b::bigint[], {', '.join(a for a, _ in arrays)}) "
                    f"AS v(id, {aliases}) "
                    f"WHERE {table}.id = v.id AND {table}.id = ANY(%b::bigint[])"
                )
                cursor.execute(sql, [ids, *(value for _, value in arrays), ids])
                found += cursor.rowcount
        return found
    assignments = ", ".join(f"{c} = %s" for c in columns)
    sql = f"UPDATE {table} SET {assignments} WHERE id = %s"
    params_many = [[*(sqlite_value(row[n]) for n in names), pk_value] for pk_value, row in rows]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params_many)
        found = int(cursor.rowcount)
    return found


def insert_rows(
    using: str, model: type[Model], rows: Sequence[dict[str, Any]], unique: Sequence[str] = ()
) -> list[tuple[Any, ...]]:
    """Insert rows (all with the same columns) in one statement per chunk: INSERT ...
    SELECT FROM unnest(one array per column) on PostgreSQL, a prepared statement executed
    for every row elsewhere.

    With `unique` (PostgreSQL only), the columns of a unique constraint: a row that would
    break it is skipped (ON CONFLICT DO NOTHING), and the `unique` values of the rows
    inserted are returned."""
    if not rows:
        return []
    connection = connections[using]
    quote = connection.ops.quote_name
    names = list(rows[0])
    fields = _fields(model, names)
    table = quote(model._meta.db_table)
    columns = ", ".join(quote(f.column) for f in fields)
    if connection.vendor == "postgresql":
        conflict = ""
        if unique:
            key = ", ".join(quote(f.column) for f in _fields(model, unique))
            conflict = f" ON CONFLICT ({key}) DO NOTHING RETURNING {key}"
        inserted: list[tuple[Any, ...]] = []
        with connection.cursor() as cursor:
            for start in range(0, len(rows), CHUNK):
                chunk = rows[start : start + CHUNK]
                arrays = [
                    _pg_array(connection, f, [r[n] for r in chunk])
                    for n, f in zip(names, fields, strict=True)
                ]
                sql = (
                    f"INSERT INTO {table} ({columns}) "
                    f"SELECT * FROM unnest({', '.join(a for a, _ in arrays)}){conflict}"
                )
                cursor.execute(sql, [value for _, value in arrays])
                if unique:
                    inserted += cursor.fetchall()
        return inserted
    if unique:
        raise NotImplementedError("skipping conflicting rows needs PostgreSQL")
    placeholders = ", ".join(["%s"] * len(names))
    sql = f"INSERT INTO {table} ({columns}) VALUES ({placeholders})"
    with connection.cursor() as cursor:
        cursor.executemany(sql, [[sqlite_value(row[n]) for n in names] for row in rows])
    return []


def _sqlite_parameter_limit(connection: BaseDatabaseWrapper) -> int:
    """How many parameters one SQLite statement may bind: as the library was built (32,766
    by default since SQLite 3.32), rather than the 999 of old builds Django assumes."""
    connection.ensure_connection()
    getlimit = getattr(connection.connection, "getlimit", None)
    if getlimit is None:  # Python before 3.11
        return int(connection.features.max_query_params or 999)
    return int(getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER))


def _on_conflict(
    connection: BaseDatabaseWrapper,
    model: type[Model],
    names: Sequence[str],
    unique: Sequence[str],
    add: Sequence[str],
) -> str:
    """The ON CONFLICT clause of `upsert_rows`: on the `unique` columns, adding the `add`
    columns to the stored row's and overwriting the others."""
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    key = [f.column for f in _fields(model, unique)]
    added = {f.column for f in _fields(model, add)}
    assignments = []
    for field in _fields(model, names):
        if field.column in key:
            continue
        column = quote(field.column)
        value = f"excluded.{column}"
        if field.column in added:
            value = f"{table}.{column} + {value}"
            if connection.vendor != "postgresql" and isinstance(field, DecimalField):
                # SQLite adds decimals as floating point: rounding each sum to the
                # column's places keeps it exact (as exact as SQLite keeps any decimal).
                value = f"ROUND({value}, {field.decimal_places})"
        assignments.append(f"{column} = {value}")
    on = ", ".join(quote(column) for column in key)
    return f"ON CONFLICT ({on}) DO UPDATE SET {', '.join(assignments)}"


def upsert_rows(
    using: str,
    model: type[Model],
    rows: Sequence[dict[str, Any]],
    unique: Sequence[str],
    add: Sequence[str] = (),
) -> None:
    """Insert rows (all with the same columns, distinct in their `unique` ones) in one
    multi-row statement per chunk; a row whose `unique` columns (field names of a unique
    constraint) match a stored row updates that row instead: each `add` column is added to
    the stored value, every other column is overwritten. INSERT ... ON CONFLICT ... DO
    UPDATE on both databases: from unnest(one array per column) on PostgreSQL, from a
    VALUES list elsewhere.

    Rows are written in the order given: writers that give them in one order (such as the
    unique columns' order) take the rows' locks in that order and never wait in a circle."""
    if not rows:
        return
    connection = connections[using]
    quote = connection.ops.quote_name
    names = list(rows[0])
    fields = _fields(model, names)
    table = quote(model._meta.db_table)
    columns = ", ".join(quote(f.column) for f in fields)
    conflict = _on_conflict(connection, model, names, unique, add)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            for start in range(0, len(rows), CHUNK):
                chunk = rows[start : start + CHUNK]
                arrays = [
                    _pg_array(connection, f, [r[n] for r in chunk])
                    for n, f in zip(names, fields, strict=True)
                ]
                cursor.execute(
                    f"INSERT INTO {table} ({columns}) "
                    f"SELECT * FROM unnest({', '.join(a for a, _ in arrays)}) {conflict}",
                    [value for _, value in arrays],
                )
            return
        per_statement = max(1, _sqlite_parameter_limit(connection) // len(names))
        row_marks = f"({', '.join(['%s'] * len(names))})"
        for start in range(0, len(rows), per_statement):
            chunk = rows[start : start + per_statement]
            cursor.execute(
                f"INSERT INTO {table} ({columns}) "
                f"VALUES {', '.join([row_marks] * len(chunk))} {conflict}",
                [sqlite_value(r[n]) for r in chunk for n in names],
            )


class AnyOf(Lookup):  # type: ignore[type-arg]
    """`lhs = ANY(%s)` with a list of values: one PostgreSQL array parameter."""

    # The list goes to the driver as it is (it adapts a list to an array), not through
    # the field's get_prep_value, which takes a single value.
    prepare_rhs = False

    def as_sql(self, compiler: SQLCompiler, connection: BaseDatabaseWrapper) -> tuple[str, Any]:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} = ANY({rhs})", [*lhs_params, *rhs_params]


def with_ids(rows: QuerySet[M], ids: Collection[int]) -> QuerySet[M]:
    """`rows` whose id is among `ids`. On PostgreSQL one array parameter (id = ANY(...))
    instead of an IN list of a thousand parameters, which Django compiles one by one."""
    if connections[rows.db].vendor != "postgresql":
        return rows.filter(pk__in=list(ids))
    return rows.filter(AnyOf(F("pk"), list(ids)))


def with_pairs(
    rows: QuerySet[M], columns: tuple[str, str], pairs: Sequence[tuple[Any, Any]]
) -> Iterator[QuerySet[M]]:
    """`rows` whose two `columns` (field names) hold one of `pairs`, as querysets to run
    one after the other: on PostgreSQL one, with two array parameters however many pairs;
    elsewhere one per CHUNK pairs, with a row-value IN list. Either way the planner may
    probe a unique index on the two columns once per pair."""
    connection = connections[rows.db]
    quote = connection.ops.quote_name
    fields = _fields(rows.model, columns)
    table = quote(rows.model._meta.db_table)
    pair = ", ".join(f"{table}.{quote(f.column)}" for f in fields)
    if connection.vendor == "postgresql":
        # Arrays of the columns' types without their lengths: a cast to varchar(n) would
        # cut a longer value short, and the cut value could match another row.
        types = [str(f.db_type(connection)).split("(")[0] for f in fields]
        arrays = ", ".join(f"%s::{t}[]" for t in types)
        where = f"({pair}) IN (SELECT * FROM unnest({arrays}))"
        params: list[Any] = [[a for a, _ in pairs], [b for _, b in pairs]]
        yield rows.filter(RawSQL(where, params, output_field=BooleanField()))
        return
    for start in range(0, len(pairs), CHUNK):
        chunk = pairs[start : start + CHUNK]
        where = f"({pair}) IN ({', '.join(['(%s, %s)'] * len(chunk))})"
        params = [value for values in chunk for value in values]
        yield rows.filter(RawSQL(where, params, output_field=BooleanField()))
