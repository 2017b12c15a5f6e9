"""`python -m bench.console --db sqlite|postgres [--ledger-rows N] [--days D] [--runs R] [--json]`

What an operator's pages cost on the data `python -m bench` loaded (run it first): the
dashboard of every brand and of one brand of 1,000 campaigns, the pacing report of that
brand, and a 90-day daily series of one campaign, each timed in this process from request
to response through Django's full stack (middleware, auth, view, template or JSON), so the
figure is the server's time without the network.

Unless `--skip-history` is given, it first adds N ledger rows (default 10,000,000) spread
over the last D days (default 60) across every campaign, then fills the daily roll-up from
the ledger with `manage.py rebuild_spend_history` (the command an operator runs), and
reports how long both took."""

from __future__ import annotations

import argparse
import json
import statistics
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.setup import configure

BRAND = 500  # brand 500 holds campaigns 499,001 to 500,000 at a million campaigns
STEP = 104_729  # a prime: `i * STEP mod campaigns` visits every campaign in a scattered order


def add_history(rows: int, days: int) -> float:
    """Insert `rows` ledger entries over the last `days` days; seconds taken."""
    from django.db import connection

    from adapters.django_orm import models

    table = models.SpendEntry._meta.db_table
    campaigns = models.Campaign.objects.count()
    seconds = days * 86_400
    now = datetime.now(UTC)
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table} WHERE key LIKE 'history-%%'")
        if connection.vendor == "postgresql":
            cursor.execute(
                f"INSERT INTO {table} (campaign_id, key, amount, occurred_at, recorded_at,"
                " description, actor)"
                f" SELECT 1 + (i * {STEP}) %% %s, 'history-' || i, (1 + i %% 997) / 100.0,"
                f" %s - ((i * 7919) %% {seconds}) * interval '1 second', %s, '', 'bench'"
                " FROM generate_series(1::bigint, %s::bigint) AS i",
                [campaigns, now, now, rows],
            )
        else:
            chunk = 100_000
            for first in range(1, rows + 1, chunk):
                values = [
                    (
                        1 + (i * STEP) % campaigns,
                        f"history-{i}",
                        (1 + i % 997) / 100,
                        (now - timedelta(seconds=(i * 7919) % seconds)).isoformat(),
                        now.isoformat(),
                        "",
                        "bench",
                    )
                    for i in range(first, min(first + chunk, rows + 1))
                ]
                cursor.executemany(
                    f"INSERT INTO {table} (campaign_id, key, amount, occurred_at, recorded_at,"
                    " description, actor) VALUES (%s, %s, %s, %s, %s, %s, %s)",
                    values,
                )
        cursor.execute(f"ANALYZE {table}")
    return time.perf_counter() - started


def rebuild_history() -> float:
    from django.core.management import call_command

    started = time.perf_counter()
    call_command("rebuild_spend_history", verbosity=0)
    return time.perf_counter() - started


def _timed(get: Any, url: str, runs: int, **headers: str) -> list[float]:
    for _ in range(2):  # warm: templates compiled, statements prepared
        response = get(url, **headers)
        assert response.status_code == 200, (url, response.status_code, response.content[:500])
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        response = get(url, **headers)
        times.append(time.perf_counter() - started)
        assert response.status_code == 200, (url, response.status_code)
    return times


def pages(runs: int) -> dict[str, Any]:
    from django.contrib.auth import get_user_model
    from django.test import Client

    from adapters.django_orm import models
    from entrypoints.api.tokens import issue_token

    users = get_user_model()._default_manager
    user = users.filter(username="bench").first()
    if user is None:
        user = users.create_superuser("bench", "bench@example.com", "bench")  # type: ignore[attr-defined]
    token = issue_token("bench")
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    brand = models.Brand.objects.get(id=BRAND)
    campaign = models.Campaign.objects.filter(brand=brand).order_by("id").first()
    assert campaign is not None
    today = datetime.now(UTC).date()
    start = today - timedelta(days=89)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    figures: dict[str, Any] = {
        "brand_campaigns": models.Campaign.objects.filter(brand=brand).count(),
        "ledger_rows": models.SpendEntry.objects.count(),
    }
    measured = {
        "dashboard_all_brands": _timed(client.get, "/admin/", runs),
        "dashboard_brand": _timed(client.get, f"/admin/?brand={BRAND}", runs),
        "pacing_report": _timed(
            client.get, f"/api/v1/reports/pacing?brand_id={BRAND}", runs, **auth
        ),
        "series_90_days": _timed(
            client.get,
            f"/api/v1/campaigns/{campaign.id}/spend?from={start}&to={today}",
            runs,
            **auth,
        ),
    }
    for name, times in measured.items():
        figures[f"{name}_ms"] = 1000 * statistics.median(times)
        figures[f"{name}_max_ms"] = 1000 * max(times)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.console")
    parser.add_argument("--db", choices=("sqlite", "postgres"), required=True)
    parser.add_argument("--ledger-rows", type=int, default=10_000_000)
    parser.add_argument("--days", type=int, default=60)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--skip-history", action="store_true", help="reuse the loaded ledger")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    configure(args.db)
    figures: dict[str, Any] = {"db": args.db, "runs": args.runs}
    if not args.skip_history:
        figures["ledger_insert_s"] = add_history(args.ledger_rows, args.days)
        figures["rebuild_history_s"] = rebuild_history()
    figures.update(pages(args.runs))
    if args.json:
        print(json.dumps(figures, indent=2))
        return
    rows, brand = figures["ledger_rows"], figures["brand_campaigns"]
    print(f"{rows:,} ledger rows on {args.db}; brand of {brand:,} campaigns")
    print("| page | median | max |\n| --- | ---: | ---: |")
    for name in ("dashboard_all_brands", "dashboard_brand", "pacing_report", "series_90_days"):
        median, slowest = figures[name + "_ms"], figures[name + "_max_ms"]
        print(f"| {name.replace('_', ' ')} | {median:.1f} ms | {slowest:.1f} ms |")
    for name in ("ledger_insert_s", "rebuild_history_s"):
        if name in figures:
            print(f"{name}: {figures[name]:.1f} s")


if __name__ == "__main__":
    main()
