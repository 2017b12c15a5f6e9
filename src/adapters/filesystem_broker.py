"""A kombu transport that keeps its queues in a local folder, for running the whole system
on one machine with nothing to install (the embedded default when no CELERY_BROKER_URL is
set). Any number of processes on that machine may publish and consume.

kombu's own filesystem transport is the base, with two gaps closed:

- A message it hands to a consumer lives only in that process's memory until acked, so a
  worker killed with SIGKILL loses it. Here a consumer claims a message by renaming its file
  into the consumer's *owner folder*; the ack deletes the file. Each consuming process holds
  a POSIX lock on a file in its owner folder; the kernel drops that lock when the process
  dies, however it dies. Consumers look for owner folders whose lock they can take, and
  rename the messages found there back into the queue: redelivery after a crash, seconds
  later, with no visibility timeout to tune.
- A message file is written in a scratch folder and renamed into the queue, so a consumer
  never reads a half-written message.

Layout under the `data_folder` transport option:
    queue/     ready messages, `<ms>_<uuid>.<queue>.msg`, oldest first by name
    unacked/   one owner folder per consuming process, holding its unacked messages
    control/   exchange bindings (kombu's format)
    tmp/       messages being written
    bad/       files that could not be parsed, kept for a human to look at
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable
from pathlib import Path
from queue import Empty
from time import monotonic
from typing import Any

from kombu.transport import filesystem, virtual
from kombu.utils.json import dumps, loads

log = logging.getLogger(__name__)

LOCK_NAME = "owner.lock"


class _Owner:
    """This process's claim on the messages it consumes: a folder, and a POSIX lock on a
    file inside it held for the life of the process. POSIX (fcntl) locks are per process
    and are not inherited by forked children, so a pool child never keeps a dead parent's
    messages locked away."""

    def __init__(self, root: Path) -> None:
        self.pid = os.getpid()
        self.name = f"{socket.gethostname()}-{self.pid}-{uuid.uuid4().hex[:8]}"
        # Built under a hidden name and renamed once locked, so no other process ever sees
        # the folder without its lock held.
        hidden = root / f".{self.name}"
        hidden.mkdir(parents=True)
        self._fd = os.open(hidden / LOCK_NAME, os.O_CREAT | os.O_RDWR, 0o600)
        fcntl.lockf(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        self.folder = root / self.name
        hidden.rename(self.folder)


_owners: dict[Path, _Owner] = {}
_states: dict[Path, virtual.BrokerState] = {}
_owners_lock = threading.Lock()


def _owner_for(root: Path) -> _Owner:
    with _owners_lock:
        owner = _owners.get(root)
        if owner is None or owner.pid != os.getpid():
            owner = _owners[root] = _Owner(root)
        return owner


class QoS(virtual.QoS):
    """Acks and rejects also settle the message's file."""

    channel: Channel

    def ack(self, delivery_tag: str) -> None:
        super().ack(delivery_tag)
        self.channel.settle(delivery_tag)

    def reject(self, delivery_tag: str, requeue: bool = False) -> None:
        super().reject(delivery_tag, requeue=requeue)
        self.channel.settle(delivery_tag)


class Channel(filesystem.Channel):
    QoS = QoS

    def __init__(self, connection: Any, **kwargs: Any) -> None:
        super().__init__(connection, **kwargs)
        root = Path(self.transport_options.get("data_folder", "broker")).resolve()
        self.queue_folder = root / "queue"
        self.unacked_folder = root / "unacked"
        self.tmp_folder = root / "tmp"
        self.bad_folder = root / "bad"
        self._control_folder = root / "control"
        for folder in (
            self.queue_folder,
            self.unacked_folder,
            self.tmp_folder,
            self.bad_folder,
            self._control_folder,
        ):
            folder.mkdir(parents=True, exist_ok=True)
        # kombu's filesystem channel reads these; the queue is one folder both ways.
        self.data_folder_in = self.data_folder_out = str(self.queue_folder)
        self._recover_every = float(self.transport_options.get("recover_interval", 1.0))
        self._recovered_at: float | None = None
        self._claimed: dict[str, Path] = {}
        self._claimed_lock = threading.Lock()

    @property
    def control_folder(self) -> Path:
        return self._control_folder

    # -- publishing ----------------------------------------------------------------------

    # (the stubs of kombu's two base classes name the payload differently)
    def _put(self, queue: str, payload: Any, **kwargs: Any) -> None:  # type: ignore[override]
        # Zero-padded milliseconds so that names sort in time order; the clock is the
        # machine's monotonic clock, shared by every process on it.
        name = f"{round(monotonic() * 1000):015d}_{uuid.uuid4()}.{queue}.msg"
        scratch = self.tmp_folder / name
        scratch.write_bytes(dumps(payload).encode())
        os.rename(scratch, self.queue_folder / name)

    # -- consuming -----------------------------------------------------------------------

    def _get(self, queue: str, timeout: float | None = None) -> Any:
        self._recover_if_due()
        wanted = f"{queue}.msg"
        owner = _owner_for(self.unacked_folder)
        for name in sorted(os.listdir(self.queue_folder)):
            if name.partition(".")[2] != wanted:
                continue
            claimed = owner.folder / name
            try:
                os.rename(self.queue_folder / name, claimed)
            except FileNotFoundError:
                continue  # another consumer claimed it first
            try:
                payload: dict[str, Any] = loads(claimed.read_bytes().decode())
                tag = str(payload["properties"]["delivery_tag"])
            except (ValueError, KeyError, TypeError):
                log.exception("unreadable message %s moved to %s", name, self.bad_folder)
                os.rename(claimed, self.bad_folder / name)
                continue
            with self._claimed_lock:
                self._claimed[tag] = claimed
            return payload
        raise Empty()

    def basic_consume(
        self,
        queue: str,
        no_ack: bool,
        callback: Callable[..., Any] | None,
        consumer_tag: str | None,
        **kwargs: Any,
    ) -> str:
        if no_ack and callback is not None:
            # Nobody will ack these (broadcasts, replies): settle on receipt.
            deliver = callback

            def settle_then_deliver(message: Any) -> Any:
                self.settle(message.delivery_tag)
                return deliver(message)

            callback = settle_then_deliver
        return super().basic_consume(queue, no_ack, callback, consumer_tag, **kwargs)

    def basic_get(self, queue: str, no_ack: bool = False, **kwargs: Any) -> Any:
        message = super().basic_get(queue, no_ack, **kwargs)
        if message is not None and no_ack and message.delivery_tag is not None:
            self.settle(message.delivery_tag)
        return message

    def settle(self, delivery_tag: str) -> None:
        """Forget a claimed message for good (acked, rejected, or requeued as a new file)."""
        with self._claimed_lock:
            claimed = self._claimed.pop(delivery_tag, None)
        if claimed is not None:
            with contextlib.suppress(FileNotFoundError):
                claimed.unlink()

    def _restore(self, message: Any) -> None:
        super()._restore(message)  # writes it back to its queue(s) as a new file
        self.settle(message.delivery_tag)

    # -- crash recovery ------------------------------------------------------------------

    def _recover_if_due(self) -> None:
        now = monotonic()
        if self._recovered_at is None or now - self._recovered_at >= self._recover_every:
            self._recovered_at = now
            self.recover_orphans()

    def recover_orphans(self) -> int:
        """Put back into the queue the messages of every consumer that died without acking
        them; returns how many."""
        mine = _owner_for(self.unacked_folder).name
        restored = 0
        for entry in os.scandir(self.unacked_folder):
            if entry.name.startswith(".") or entry.name == mine or not entry.is_dir():
                continue
            restored += self._recover_owner(Path(entry.path))
        if restored:
            log.warning("redelivering %d message(s) left unacked by dead consumers", restored)
        return restored

    def _recover_owner(self, folder: Path) -> int:
        try:
            fd = os.open(folder / LOCK_NAME, os.O_RDWR)
        except FileNotFoundError:
            return 0  # being cleaned up by another consumer
        try:
            try:
                fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                return 0  # the owner is alive
            restored = 0
            with contextlib.suppress(FileNotFoundError):
                for name in os.listdir(folder):
                    if name.endswith(".msg"):
                        with contextlib.suppress(FileNotFoundError):
                            os.rename(folder / name, self.queue_folder / name)
                            restored += 1
            with contextlib.suppress(FileNotFoundError):
                (folder / LOCK_NAME).unlink()
            with contextlib.suppress(OSError):
                folder.rmdir()
            return restored
        finally:
            os.close(fd)


class Transport(filesystem.Transport):
    """`broker_url = "filesystem://"` with `broker_transport` naming this class and
    `broker_transport_options = {"data_folder": ...}`."""

    Channel = Channel
    polling_interval = 0.2

    def __init__(self, client: Any, **kwargs: Any) -> None:
        super().__init__(client, **kwargs)
        # The declarations this process made, per folder: kombu keeps one set for the whole
        # process, and would skip writing a binding to a second folder it already made in
        # the first.
        folder = Path(client.transport_options.get("data_folder", "broker")).resolve()
        self.state = _states.setdefault(folder, virtual.BrokerState())

    @property
    def default_connection_params(self) -> dict[str, Any]:
        return {"port": self.default_port}  # no host to connect to, nor to warn about
