"""Only one beat sends the schedule: the beat lease in the database (take, renew, expire,
release, a race for it) on the database the suite runs on, then two real `celery beat`
processes on an every-second entry: one sends every tick once, the other stands by and says
so, and takes over when the first is killed, continuing the schedule without sending a tick
twice."""

from __future__ import annotations

import itertools
import json
import re
import signal
import sys
import threading
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from .test_celery import Broker, Process, Service, wait_until

LEASE_S = 4
TICK = "Lease test tick"
TASK = "lease_test.tick"  # no worker takes it: its messages stay on the queue, to be counted
# A send in the beat's log (LOG_FORMAT=text): "2026-06-12 12:00:00,123 INFO celery.beat:
# Scheduler: Sending due task ...".
SENT = re.compile(
    rf"^\[?(\d{{4}}-\d\d-\d\d \d\d:\d\d:\d\d,\d{{3}})\b.*Scheduler: Sending due task {TICK} ",
    re.MULTILINE,
)


# -- the lease --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_lease_goes_to_the_first_beat_and_only_it_renews_it() -> None:
    from entrypoints.beat import lease

    assert lease.current_beat() is None
    assert lease.take_or_renew("beat-a", 30)
    assert not lease.take_or_renew("beat-b", 30)
    first = lease.current_beat()
    assert lease.take_or_renew("beat-a", 30)  # renewed
    renewed = lease.current_beat()
    assert first is not None and renewed is not None
    assert (renewed.holder, renewed.held) == ("beat-a", True)
    assert renewed.acquired_at == first.acquired_at
    assert renewed.expires_at >= first.expires_at


@pytest.mark.django_db
def test_an_expired_lease_is_taken_over_and_a_released_one_at_once() -> None:
    from entrypoints.beat import lease

    assert lease.take_or_renew("beat-a", 0)  # it expires as soon as it is taken
    deadline = time.monotonic() + 10
    while (holder := lease.current_beat()) is not None and holder.held:  # the clock ticks on
        assert time.monotonic() < deadline
    assert lease.take_or_renew("beat-b", 30)
    holder = lease.current_beat()
    assert holder is not None and (holder.holder, holder.held) == ("beat-b", True)
    assert not lease.take_or_renew("beat-a", 30)

    assert not lease.release("beat-a")  # not its lease to give
    assert lease.release("beat-b")
    holder = lease.current_beat()
    assert holder is not None and (holder.holder, holder.held) == ("beat-b", False)
    assert lease.take_or_renew("beat-a", 30)


@pytest.mark.django_db(transaction=True)
def test_of_beats_racing_for_a_free_lease_exactly_one_takes_it() -> None:
    from django.db import connection

    from entrypoints.beat import lease

    contenders = 6
    start = threading.Barrier(contenders)
    won: list[str] = []

    def contend(name: str) -> None:
        start.wait()
        try:
            if lease.take_or_renew(name, 30):
                won.append(name)
        finally:
            connection.close()

    threads = [threading.Thread(target=contend, args=(f"beat-{n}",)) for n in range(contenders)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    holder = lease.current_beat()
    assert holder is not None
    assert won == [holder.holder]


# -- two beats ----------------------------------------------------------------------------------


def start_beat(service: Service, name: str) -> Process:
    argv = ["-m", "celery", "-A", "entrypoints.celery_app", "beat", "-l", "INFO"]
    argv += ["--max-interval", "1", "-s", str(service.home / f"{name}-schedule")]
    process = Process(
        name,
        [sys.executable, *argv],
        service.env(BEAT_LEASE_SECONDS=str(LEASE_S), LOG_FORMAT="text"),
        service.home / f"{name}.log",
    )
    service.processes.append(process)
    process.wait_for_output("beat: Starting")
    return process


def sends(process: Process) -> list[datetime]:
    """When the beat sent the test's entry, from its log."""
    return [
        datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S,%f") for stamp in SENT.findall(process.output())
    ]


def queued(broker: Broker) -> int:
    """Messages of the test's entry waiting on the embedded broker's queue (one file each)."""
    files = (broker.folder / "queue").glob(f"*.{broker.queue}.msg")
    return sum(1 for f in files if json.loads(f.read_text())["headers"]["task"] == TASK)


@pytest.fixture
def site(tmp_path: Path, transactional_db: None) -> Iterator[Service]:
    """Beats on the test database, sending to a queue of the test's own on the embedded
    broker (no worker takes from it: the messages stay there to be counted)."""
    service = Service(tmp_path, Broker("embedded", tmp_path))
    try:
        yield service
    finally:
        service.stop()


@pytest.mark.slow
def test_a_second_beat_stands_by_and_takes_over_when_the_first_dies_sending_each_tick_once(
    site: Service,
) -> None:
    from django_celery_beat.models import IntervalSchedule, PeriodicTask

    PeriodicTask.objects.all().delete()  # the default schedule, if the migration left it
    every_second = IntervalSchedule.objects.create(every=1, period="seconds")
    PeriodicTask.objects.create(name=TICK, task=TASK, interval=every_second, kwargs="{}")

    first = start_beat(site, "beat-1")
    wait_until(lambda: len(sends(first)) >= 2, "the first beat sends", site)
    second = start_beat(site, "beat-2")
    wait_until(lambda: len(sends(first)) >= 8, "the first beat sends six more ticks", site)
    assert sends(second) == [], "both beats send the schedule"
    assert "holds the beat lease" in first.output()
    assert "stands by and sends nothing" in second.output()

    first.kill()  # no clean stop: the lease has to expire
    killed_at = time.monotonic()
    second.wait_for_output("took over the beat lease", timeout_s=LEASE_S + 60)
    took_over_s = time.monotonic() - killed_at
    wait_until(lambda: len(sends(second)) >= 4, "the second beat sends four ticks", site)
    second.popen.send_signal(signal.SIGTERM)  # a clean stop: it gives the lease up
    second.popen.wait(timeout=60)
    assert "released the beat lease" in second.output()
    from entrypoints.beat import lease

    holder = lease.current_beat()
    assert holder is not None and not holder.held

    by_first, by_second = sends(first), sends(second)
    every = sorted(by_first + by_second)
    gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(every)]
    entry = PeriodicTask.objects.get(name=TICK)
    print(
        f"\nTwo beats: the first sent {len(by_first)} ticks, the second none until it took "
        f"over {took_over_s:.1f} s after the first was killed (lease {LEASE_S} s), then "
        f"{len(by_second)}; {queued(site.broker)} messages queued; shortest gap {min(gaps):.2f} s; "
        f"total_run_count {entry.total_run_count}"
    )
    # Each tick sent once: one message per send (the killed beat may have logged a send it
    # did not get to publish), never two sends of one tick (the entry is due every second:
    # two senders would put two sends within the same second).
    assert len(every) - 1 <= queued(site.broker) <= len(every)
    assert max(by_first) < min(by_second)
    assert min(gaps) >= 0.9, gaps
    # The second beat went on from the run count the first saved (a kill can cost the last
    # save), instead of counting from its own start.
    assert len(every) - 2 <= entry.total_run_count <= len(every)
