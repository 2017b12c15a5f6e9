"""The embedded broker (adapters/filesystem_broker.py) with real processes: several consumers
never get the same message, and a consumer killed before it acks loses nothing.

Nothing here waits for a length of time: "every message was handled" is the broker's own
folders holding no message any more, and a consumer tells what it got once it is told to
stop. The deadlines only turn a hang into a failure that says what never happened."""

from __future__ import annotations

import contextlib
import functools
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import kombu
import pytest

from adapters.filesystem_broker import Transport

pytestmark = pytest.mark.slow

QUEUE = kombu.Queue("work", exchange=kombu.Exchange("work"), routing_key="work")
# Hang guards, not speed targets.
LINE_TIMEOUT_S = 60
DONE_TIMEOUT_S = 120
STOP_TIMEOUT_S = 60

# A consumer process, prefetching one message at a time. It prints "ready", then a line per
# message: "acked I" once it has acked message I ("ack" mode), or "took I" for a message it
# never acks ("hold" mode). In "ack-after-go" mode it prints "holding I" for its first
# message and acks it only when a "go" line comes in, taking nothing else meanwhile. It
# stops when its input ends.
CONSUMER = """
import socket, sys, threading
import kombu
from adapters.filesystem_broker import Transport

folder, mode = sys.argv[1], sys.argv[2]
queue = kombu.Queue("work", exchange=kombu.Exchange("work"), routing_key="work")
conn = kombu.Connection("filesystem://", transport=Transport,
                        transport_options={"data_folder": folder})
go, stop = threading.Event(), threading.Event()

def read_input():
    for line in sys.stdin:
        if line.strip() == "go":
            go.set()
    stop.set()

threading.Thread(target=read_input, daemon=True).start()
first = True

def got(body, message):
    global first
    if mode == "hold":
        print("took", body["i"], flush=True)
        return
    if mode == "ack-after-go" and first:
        print("holding", body["i"], flush=True)
        go.wait()
    first = False
    message.ack()
    print("acked", body["i"], flush=True)

with conn, conn.Consumer([queue], callbacks=[got], accept=["json"]) as consumer:
    consumer.qos(prefetch_count=1)
    print("ready", flush=True)
    while not stop.is_set():
        try:
            conn.drain_events(timeout=0.1)
        except socket.timeout:
            pass
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
    started: list[subprocess.Popen[str]], folder: Path, *, mode: str
) -> subprocess.Popen[str]:
    process = subprocess.Popen(
        [sys.executable, "-c", CONSUMER, str(folder), mode],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    started.append(process)
    assert next_line(process, "saying it is ready") == "ready"
    return process


def next_line(process: subprocess.Popen[str], what: str) -> str:
    """The consumer's next line; it is killed if none comes for LINE_TIMEOUT_S, which ends
    its output and fails the test instead of hanging it."""
    assert process.stdout is not None
    guard = threading.Timer(LINE_TIMEOUT_S, process.kill)
    guard.start()
    try:
        line = process.stdout.readline()
    finally:
        guard.cancel()
    assert line, f"the consumer ended before {what} (killed if after {LINE_TIMEOUT_S} s)"
    return line.strip()


def message_of(line: str, verb: str) -> int:
    said, _, number = line.partition(" ")
    assert said == verb, line
    return int(number)


def stopped(process: subprocess.Popen[str]) -> list[int]:
    """Tell a consumer to stop (its input ends) and return the messages it acked, in order."""
    assert process.stdin is not None and process.stdout is not None
    process.stdin.close()
    try:
        process.wait(timeout=STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        pytest.fail(f"a consumer did not stop within {STOP_TIMEOUT_S} s of being told to")
    # Not communicate(): with a timeout it reads the pipe past the lines already buffered.
    return [message_of(line, "acked") for line in process.stdout.read().splitlines()]


def unacked(folder: Path) -> list[str]:
    """The messages held unacked by consumers. As the broker does, a folder whose name
    starts with a dot (one being set up) is skipped, and a folder removed while looking
    (a dead consumer's, once recovered) holds nothing."""
    names: list[str] = []
    for owner in os.scandir(folder / "unacked"):
        if owner.name.startswith(".") or not owner.is_dir():
            continue
        with contextlib.suppress(FileNotFoundError):
            names += [n for n in os.listdir(owner.path) if n.endswith(".msg")]
    return sorted(names)


def queued(folder: Path) -> list[str]:
    return os.listdir(folder / "queue")


def wait_until(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + DONE_TIMEOUT_S
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"{what}: not within {DONE_TIMEOUT_S} s")
        time.sleep(0.05)


def all_acked(folder: Path, held: int = 0) -> Callable[[], bool]:
    """Nothing left in the queue, and at most `held` messages unacked (fewer only if one
    was wrongly handed out again, which the test's next assertion then shows)."""
    return lambda: queued(folder) == [] and len(unacked(folder)) <= held


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
        for pipe in (process.stdin, process.stdout):
            if pipe is not None:
                pipe.close()


def test_concurrent_consumers_each_get_a_different_message(
    folder: Path, consumer: Consumer
) -> None:
    consumers = [consumer(mode="ack-after-go") for _ in range(3)]
    publish(folder, 150)
    # Each holds its first message unacked until all three have one: all of them take part.
    for process in consumers:
        message_of(next_line(process, "taking a message"), "holding")
    for process in consumers:
        assert process.stdin is not None
        process.stdin.write("go\n")
        process.stdin.flush()
    wait_until(all_acked(folder), "all 150 messages acked")
    got = [stopped(process) for process in consumers]

    everything = sorted(i for batch in got for i in batch)
    assert everything == list(range(150))
    assert all(batch for batch in got), "every consumer took part"
    assert unacked(folder) == [] and queued(folder) == []


def test_a_consumer_killed_before_acking_has_its_message_redelivered(
    folder: Path, consumer: Consumer
) -> None:
    publish(folder, 3)
    doomed = consumer(mode="hold")
    taken = message_of(next_line(doomed, "taking a message"), "took")
    assert len(unacked(folder)) == 1

    # While it lives, nobody else gets its message: the survivor looked for messages of dead
    # consumers before it took its first one (a consumer's first look always does).
    survivor = consumer(mode="ack")
    wait_until(all_acked(folder, held=1), "the two other messages acked")
    assert sorted(stopped(survivor)) == sorted({0, 1, 2} - {taken})
    assert len(unacked(folder)) == 1

    doomed.send_signal(signal.SIGKILL)
    doomed.wait(timeout=STOP_TIMEOUT_S)
    successor = consumer(mode="ack")
    wait_until(all_acked(folder), "the killed consumer's message redelivered and acked")
    assert stopped(successor) == [taken]
    assert unacked(folder) == [] and queued(folder) == []


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
    assert len(queued(folder)) == 2

    later = consumer(mode="ack")
    wait_until(all_acked(folder), "both messages acked")
    assert sorted(stopped(later)) == [0, 1]
