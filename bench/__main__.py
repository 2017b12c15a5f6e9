"""`python -m bench --campaigns N --db sqlite|postgres [--json] [--runs R]`

Builds N campaigns by bulk loading, then measures each sweep idle and with 1 % due (each in
a fresh process, for its peak RSS), and RecordSpend throughput in batches of 1,000 events
through the use case, POST /api/v1/spend on a real HTTP server, and the Celery task on a
real worker."""

from __future__ import annotations

import argparse
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from itertools import pairwise
from typing import Any

from bench.setup import VAR, configure
from bench.sweep import SWEEPS

BATCH = 1000
# Batches run before measuring each path: caches, pooled connections and prepared
# statements (psycopg prepares a statement on its fifth run) settle first.
WARM_UP = 5
SHORT = {
    "enforce_budgets": "enforce",
    "reset_period": "reset",
    "apply_dayparting": "dayparting",
    "check_flight": "flight",
}


def _events(n: int, tag: str) -> list[dict[str, Any]]:
    ids = random.sample(range(1, n + 1), min(BATCH, n))
    while len(ids) < BATCH:
        ids.append(random.randint(1, n))
    return [{"campaign_id": c, "amount": "0.01", "key": f"{tag}-{i}"} for i, c in enumerate(ids)]


def _rate(times: list[float]) -> tuple[float, float]:
    """(events/s at the median batch time, at the slowest)."""
    return BATCH / statistics.median(times), BATCH / max(times)


def ingest_usecase(n: int, runs: int) -> list[float]:
    from core.use_cases.record_spend import RecordSpendCommand
    from entrypoints.container import get_container

    record = get_container().record_spend()
    for w in range(WARM_UP):
        record(RecordSpendCommand(events=_events(n, f"warm-uc-{w}-{time.time_ns()}")))
    times = []
    for r in range(runs):
        events = _events(n, f"uc-{r}-{time.time_ns()}")
        started = time.perf_counter()
        result = record(RecordSpendCommand(events=events))
        times.append(time.perf_counter() - started)
        assert result.recorded == BATCH, result.summary()
    return times


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def ingest_api(db: str, n: int, runs: int) -> list[float]:
    from django.contrib.auth import get_user_model

    from entrypoints.api.tokens import issue_token

    users = get_user_model()._default_manager
    if not users.filter(username="bench").exists():
        users.create_superuser("bench", "bench@example.com", "bench")  # type: ignore[attr-defined]
    token = issue_token("bench")
    port = _free_port()
    server = subprocess.Popen([sys.executable, "-m", "bench.serve", db, str(port)])
    try:
        url = f"http://127.0.0.1:{port}/api/v1/spend"
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)

        def post(events: list[dict[str, Any]]) -> None:
            body = json.dumps({"events": events}).encode()
            request = urllib.request.Request(
                url,
                body,
                {"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
            )
            with urllib.request.urlopen(request, timeout=120) as response:
                answer = json.load(response)
            assert all(r["outcome"] == "recorded" for r in answer["results"]), answer

        for _ in range(WARM_UP):
            post(_events(n, f"warm-api-{time.time_ns()}"))
        times = []
        for r in range(runs):
            events = _events(n, f"api-{r}-{time.time_ns()}")
            started = time.perf_counter()
            post(events)
            times.append(time.perf_counter() - started)
        return times
    finally:
        server.terminate()
        server.wait(10)


def ingest_celery(n: int, runs: int) -> tuple[list[float], float]:
    """The worker's time per batch, and the end-to-end rate.

    `runs` batches are queued at once. The first batch's time runs from the moment the
    worker starts it to the moment its result is stored; each later batch's, from the
    previous batch's result to its own, so it includes taking the message from the
    broker. Both instants come from the result backend. The end-to-end rate also counts
    the broker's delay in handing over the first message and this process's polling for
    the results."""
    from django_celery_results.models import TaskResult

    from entrypoints.tasks import record_spend

    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "entrypoints.celery_app",
            "worker",
            "-P",
            "solo",
            "-Q",
            os.environ["CELERY_TASK_DEFAULT_QUEUE"],
            "--without-mingle",
            "--without-gossip",
            "--without-heartbeat",
            "-l",
            "warning",
        ],
        stdout=subprocess.DEVNULL,  # its banner would spoil --json
    )
    try:
        for _ in range(WARM_UP):
            warm = _events(n, f"warm-c-{time.time_ns()}")
            record_spend.apply_async(kwargs={"events": warm}).get(timeout=300)
        batches = [_events(n, f"c-{r}-{time.time_ns()}") for r in range(runs)]
        started = time.perf_counter()
        pending = [record_spend.apply_async(kwargs={"events": b}) for b in batches]
        for result in pending:
            result.get(timeout=300, interval=0.05)
        end_to_end = BATCH * runs / (time.perf_counter() - started)
        rows = TaskResult.objects.filter(task_id__in=[r.id for r in pending])
        stored = sorted(rows.values_list("date_done", "date_started"))
        times = [(stored[0][0] - stored[0][1]).total_seconds()]
        times += [(done - before).total_seconds() for (before, _), (done, _) in pairwise(stored)]
        return times, end_to_end
    finally:
        worker.terminate()
        worker.wait(30)


def sweeps(db: str, runs: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    peak = 0.0
    for sweep in SWEEPS:
        for mode in ("idle", "due"):
            done = subprocess.run(
                [sys.executable, "-m", "bench.sweep", db, sweep, mode, str(runs)],
                check=True,
                capture_output=True,
                text=True,
            )
            figures = json.loads(done.stdout.strip().splitlines()[-1])
            name = f"sweep_{SHORT[sweep]}_{mode}"
            out[f"{name}_s"] = statistics.median(figures["times"])
            out[f"{name}_max_s"] = max(figures["times"])
            out[f"{name}_checked"] = max(figures["checked"])
            out[f"{name}_peak_rss_mb"] = figures["rss_mb"]
            peak = max(peak, figures["rss_mb"])
    out["peak_rss_mb"] = peak
    return out


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--campaigns", type=int, required=True)
    parser.add_argument("--db", choices=("sqlite", "postgres"), required=True)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--skip-build", action="store_true", help="reuse the loaded data")
    args = parser.parse_args()
    if args.db == "sqlite" and not args.skip_build:
        for suffix in ("", "-wal", "-shm"):
            path = VAR / f"bench.sqlite3{suffix}"
            path.unlink(missing_ok=True)
    configure(args.db)
    from bench.load import build

    figures: dict[str, Any] = {"db": args.db, "campaigns": args.campaigns, "runs": args.runs}
    if not args.skip_build:
        started = time.perf_counter()
        figures.update(build(args.campaigns))
        figures["build_s"] = time.perf_counter() - started
    figures.update(sweeps(args.db, args.runs))
    uc = ingest_usecase(args.campaigns, args.runs)
    figures["ingest_usecase_events_per_s"], figures["ingest_usecase_min_events_per_s"] = _rate(uc)
    api = ingest_api(args.db, args.campaigns, args.runs)
    figures["ingest_api_events_per_s"], figures["ingest_api_min_events_per_s"] = _rate(api)
    celery, end_to_end = ingest_celery(args.campaigns, args.runs)
    figures["ingest_celery_events_per_s"], figures["ingest_celery_min_events_per_s"] = _rate(celery)
    figures["ingest_celery_end_to_end_events_per_s"] = end_to_end
    if args.json:
        print(json.dumps(figures, indent=2))
    else:
        print(table(figures))


def table(f: dict[str, Any]) -> str:
    lines = [
        f"{f['campaigns']:,} campaigns on {f['db']} ({f['runs']} runs; median / max)",
        "",
        "| figure | median | max | peak RSS |",
        "| --- | ---: | ---: | ---: |",
    ]
    for sweep in SWEEPS:
        for mode in ("idle", "due"):
            name = f"sweep_{SHORT[sweep]}_{mode}"
            label = f"{SHORT[sweep]} sweep, {'nothing due' if mode == 'idle' else '1 % due'}"
            lines.append(
                f"| {label} ({f[name + '_checked']:,} checked) | {f[name + '_s'] * 1000:.1f} ms"
                f" | {f[name + '_max_s'] * 1000:.1f} ms | {f[name + '_peak_rss_mb']:.0f} MB |"
            )
    for path in ("usecase", "api", "celery"):
        lines.append(
            f"| RecordSpend via {path}, batches of {BATCH:,} | "
            f"{f[f'ingest_{path}_events_per_s']:,.0f} ev/s | "
            f"{f[f'ingest_{path}_min_events_per_s']:,.0f} ev/s (slowest) | |"
        )
    lines.append(
        f"| RecordSpend via celery, end to end (first pick-up and polling included) | "
        f"{f['ingest_celery_end_to_end_events_per_s']:,.0f} ev/s | | |"
    )
    if "build_s" in f:
        lines.append(f"\nbuilt in {f['build_s']:.1f} s")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
