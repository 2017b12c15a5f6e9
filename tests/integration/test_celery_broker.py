"""The embedded broker (adapters/filesystem_broker.py) with real processes: several consumers
never get the same message, and a consumer killed before it acks loses nothing."""

from __future__ import annotations

import functools
import json
import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import kombu
import pytest

from adapters.filesystem_broker import Transport

pytestmark = pytest.mark.slow

QUEUE = kombu.Queue("work", exchange=kombu.Exchange("work"), routing_key="work")

# A consumer process: prints "ready", then one line per message it got; acks them (after
# `pause` seconds) unless told not to, and exits after `idle` seconds without a message.
CONSUMER = """
import json, socket, sys, time
import kombu
from adapters.filesystem_broker import Transport

folder, ack, idle, pause = sys.argv[1], sys.argv[2] == "ack", float(sys.argv[3]), float(sys.argv[4])
queue = kombu.Queue("work", exchange=kombu.Exchange("work"), routing_key="work")
conn = kombu.Connection("filesystem://", transport=Transport,
                        transport_options={"data_folder": folder})

def got(body, message):
    print(json.dumps(body), flush=True)
    time.sleep(pause)
    if ack:
        message.ack()

with conn, conn.Consumer([queue], callbacks=[got], accept=["json"]) as consumer:
    consumer.qos(prefetch_count=1)
    print("ready", flush=True)
    while True:
        try:
            conn.drain_events(timeout=idle)
        except socket.timeout:
            break
"""


def connection(folder: Path) -> kombu.Connection:
    return kombu.Connection(
        "filesystem://", transport=Transport, transport_options={"data_folder": str(folder)}
    )


def publish(folder: Path, count: int) -> None:
    with connection(folder) as conn:
        producer = conn.Producer()
        for i in range(count):
            producer.publish({"i": i}, exchange=QUEUE.exchange, routing_key="work", declare=[QUEUE])


Consumer = Callable[..., "subprocess.Popen[str]"]


def start_consumer(
    started: list[subprocess.Popen[str]],
    folder: Path,
    *,
    ack: bool,
    idle: float,
    pause: float = 0.0,
) -> subprocess.Popen[str]:
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            CONSUMER,
            str(folder),
            "ack" if ack else "hold",
            str(idle),
            str(pause),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    started.append(process)
    assert process.stdout is not None
    assert process.stdout.readline().strip() == "ready"
    return process


def received(process: subprocess.Popen[str]) -> list[int]:
    # Not communicate(): with a timeout it reads the pipe past the lines already buffered.
    process.wait(timeout=60)
    assert process.stdout is not None
    out = process.stdout.read()
    return [json.loads(line)["i"] for line in out.splitlines() if line.strip()]


def unacked(folder: Path) -> list[str]:
    return sorted(p.name for p in (folder / "unacked").glob("*/*.msg"))


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return tmp_path / "broker"


@pytest.fixture
def consumer(folder: Path) -> Iterator[Consumer]:
    started: list[subprocess.Popen[str]] = []
    yield functools.partial(start_consumer, started, folder)
    for process in started:
        process.kill()
        process.wait()


def test_concurrent_consumers_each_get_a_different_message(
    folder: Path, consumer: Consumer
) -> None:
    consumers = [consumer(ack=True, idle=2, pause=0.01) for _ in range(3)]
    publish(folder, 150)
    got = [received(c) for c in consumers]

    everything = sorted(i for batch in got for i in batch)
    assert everything == list(range(150))
    assert all(batch for batch in got), "every consumer took part"
    assert unacked(folder) == [] and os.listdir(folder / "queue") == []


def test_a_consumer_killed_before_acking_has_its_message_redelivered(
    folder: Path, consumer: Consumer
) -> None:
    publish(folder, 3)
    doomed = consumer(ack=False, idle=60)
    assert doomed.stdout is not None
    taken = json.loads(doomed.stdout.readline())["i"]
    assert len(unacked(folder)) == 1

    # While it lives, nobody else gets its message.
    survivor = consumer(ack=True, idle=1.5)
    assert sorted(received(survivor)) == sorted({0, 1, 2} - {taken})
    assert len(unacked(folder)) == 1

    doomed.send_signal(signal.SIGKILL)
    doomed.wait(timeout=10)
    successor = consumer(ack=True, idle=1.5)
    assert received(successor) == [taken]
    assert unacked(folder) == [] and os.listdir(folder / "queue") == []


def test_rejected_and_unacked_at_close_messages_go_back_to_the_queue(
    folder: Path, consumer: Consumer
) -> None:
    publish(folder, 2)
    with connection(folder) as conn:
        channel = conn.default_channel
        first = channel.basic_get("work")
        second = channel.basic_get("work")
        assert first is not None and second is not None
        first.reject(requeue=True)
        assert len(unacked(folder)) == 1
    # Closing the connection gives the unacked one back too.
    assert unacked(folder) == []
    assert len(os.listdir(folder / "queue")) == 2

    later = consumer(ack=True, idle=1.5)
    assert sorted(received(later)) == [0, 1]
