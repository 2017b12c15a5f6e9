"""Reading `timestamp with time zone` on PostgreSQL: the ISO fast path gives the same
instants as Django's own loader, whatever the session's time zone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

WRITTEN = [
    datetime(2026, 11, 26, 14, 0, tzinfo=UTC),
    datetime(2026, 3, 29, 0, 59, 59, 999999, tzinfo=UTC),
    datetime(2000, 1, 1, 0, 0, 0, 1, tzinfo=UTC),
    datetime(2999, 12, 31, 23, 59, 59, tzinfo=UTC),
]


def _read_back(session_zone: str) -> list[datetime]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL TIME ZONE '{session_zone}'")
        cursor.execute("SELECT unnest(%s::timestamptz[])", [WRITTEN])
        return [row[0] for row in cursor.fetchall()]


def test_the_fast_loader_is_installed_on_each_connection() -> None:
    from django.db import connection
    from psycopg import adapters
    from psycopg.pq import Format

    connection.ensure_connection()
    oid = adapters.types["timestamptz"].oid
    loader = connection.connection.adapters.get_loader(oid, Format.TEXT)
    assert getattr(loader, "fast", False)


@pytest.mark.parametrize("zone", ["UTC", "Asia/Kolkata", "America/St_Johns"])
def test_instants_read_back_exactly_in_utc(zone: str) -> None:
    read = _read_back(zone)
    assert read == WRITTEN
    assert all(value.utcoffset() == timedelta(0) for value in read)


def test_what_iso_parsing_cannot_read_goes_to_djangos_loader() -> None:
    from django.db import connection
    from django.db.utils import DataError

    with connection.cursor() as cursor:
        cursor.execute("SELECT 'infinity'::timestamptz")
        with pytest.raises(DataError, match="infinity"):
            cursor.fetchone()
