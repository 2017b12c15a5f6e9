"""Private instances of PostgreSQL, Redis and RabbitMQ, each on ports of its own, for the
tests that stop, kill, freeze or restart a service. The machine's own services (PostgreSQL
on 5432, Redis on 6379, RabbitMQ on 5672) are never touched.

Each class starts its server from the machine's own binaries (Debian's PostgreSQL cluster
tools, redis-server, rabbitmq-server) and removes every trace of it in `destroy()`. Where a
binary is missing the test is skipped with the reason (an error in CI, see tests/conftest.py).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

START_TIMEOUT_S = 60


def free_port() -> int:
    """A TCP port nothing listens on right now (the kernel's choice)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), 0.5):
            return True
    except OSError:
        return False


def _need(*commands: str) -> None:
    missing = [c for c in commands if shutil.which(c) is None and not Path(c).exists()]
    if missing:
        pytest.skip(f"needs {', '.join(missing)} to start a private server")
    if os.geteuid() != 0:
        pytest.skip("starting a private server of the machine's services needs root")


def _wait(condition: object, what: str, timeout_s: float = START_TIMEOUT_S) -> None:
    assert callable(condition)
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what}: not within {timeout_s} s")
        time.sleep(0.1)


def _signal_all(pids: list[int], signum: int) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signum)


# -- PostgreSQL ---------------------------------------------------------------------------


class PostgresCluster:
    """A cluster of the machine's PostgreSQL version, made with pg_createcluster and trust
    authentication on 127.0.0.1:`port`; dropped by destroy()."""

    def __init__(self) -> None:
        _need("pg_createcluster", "pg_ctlcluster", "pg_dropcluster")
        root = Path("/etc/postgresql")
        versions = sorted(root.iterdir()) if root.is_dir() else []
        if not versions:
            pytest.skip("no PostgreSQL installation under /etc/postgresql")
        self.version = versions[-1].name
        self.name = f"budgettest{os.getpid()}x{uuid.uuid4().hex[:6]}"
        self.port = free_port()
        create = ["pg_createcluster", self.version, self.name, "-p", str(self.port)]
        subprocess.run(
            [*create, "--", "--auth=trust"],
            check=True,
            capture_output=True,
        )
        self.data = Path(f"/var/lib/postgresql/{self.version}/{self.name}")

    def url(self, database: str = "postgres") -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def _ctl(self, *args: str) -> None:
        subprocess.run(
            ["pg_ctlcluster", "--skip-systemctl-redirect", self.version, self.name, *args],
            check=True,
            capture_output=True,
        )

    def start(self) -> None:
        self._ctl("start")
        _wait(self.accepts, f"PostgreSQL on port {self.port} accepts connections")

    def stop(self, mode: str = "fast") -> None:
        """A clean stop: `fast` rolls back open transactions and closes every session."""
        self._ctl("stop", "-m", mode)

    def accepts(self) -> bool:
        done = subprocess.run(
            ["pg_isready", "-h", "127.0.0.1", "-p", str(self.port), "-t", "1"],
            capture_output=True,
        )
        return done.returncode == 0

    def postmaster_pid(self) -> int:
        return int((self.data / "postmaster.pid").read_text().splitlines()[0])

    def pids(self) -> list[int]:
        """The postmaster and every process it started (backends, checkpointer, ...)."""
        postmaster = self.postmaster_pid()
        done = subprocess.run(
            ["ps", "-o", "pid=", "--ppid", str(postmaster)], capture_output=True, text=True
        )
        return [postmaster, *(int(p) for p in done.stdout.split())]

    def kill_postmaster(self) -> None:
        """SIGKILL of the postmaster alone, as a crash would: its backends notice and end,
        and start() recovers the cluster from its write-ahead log."""
        postmaster = self.postmaster_pid()
        os.kill(postmaster, signal.SIGKILL)
        _wait(lambda: not Path(f"/proc/{postmaster}").exists(), "the postmaster is gone")
        # The backends exit once they see their parent gone; a new postmaster refuses to
        # start while any of them holds the shared memory.
        _wait(lambda: not self._orphans(), "the old backends are gone")

    def _orphans(self) -> bool:
        done = subprocess.run(
            ["pgrep", "-f", f"postgres: {self.version}/{self.name}"], capture_output=True
        )
        return done.returncode == 0

    def freeze(self) -> list[int]:
        """SIGSTOP to the postmaster and all its processes: connections stay open and the
        kernel still accepts new ones, but nothing answers. Returns the pids to thaw."""
        pids = self.pids()
        _signal_all(pids, signal.SIGSTOP)
        return pids

    @staticmethod
    def thaw(pids: list[int]) -> None:
        _signal_all(pids, signal.SIGCONT)

    def psql(self, sql: str, database: str = "postgres") -> str:
        done = subprocess.run(
            [*f"psql -h 127.0.0.1 -p {self.port} -U postgres -d".split(), database, "-tAc", sql],
            check=True,
            capture_output=True,
            text=True,
        )
        return done.stdout.strip()

    def create_database(self, name: str) -> str:
        self.psql(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def log(self) -> str:
        path = Path(f"/var/log/postgresql/postgresql-{self.version}-{self.name}.log")
        return path.read_text(errors="replace")[-3000:] if path.exists() else ""

    def destroy(self) -> None:
        with contextlib.suppress(Exception):
            self.thaw(self.pids())
        subprocess.run(["pg_dropcluster", "--stop", self.version, self.name], capture_output=True)


# -- Redis --------------------------------------------------------------------------------


class RedisServer:
    """redis-server on 127.0.0.1:`port`, its data in `folder`. `durable` is the production
    set-up the README gives (append-only file, fsync on every write); otherwise it keeps
    nothing on disk, like the machine's own Redis."""

    def __init__(self, folder: Path, durable: bool = True) -> None:
        _need("redis-server", "redis-cli")
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.durable = durable

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self) -> None:
        persistence = (
            ["--appendonly", "yes", "--appendfsync", "always"]
            if self.durable
            else ["--appendonly", "no"]
        )
        files = ["--dir", str(self.folder), "--pidfile", str(self.folder / "redis.pid")]
        files += ["--logfile", str(self.folder / "redis.log")]
        server = [*f"redis-server --port {self.port} --bind 127.0.0.1 --save".split(), ""]
        subprocess.run(
            [*server, *persistence, *files, "--daemonize", "yes"],
            check=True,
            capture_output=True,
        )
        _wait(self._pong, f"Redis on port {self.port} answers")

    def _pong(self) -> bool:
        done = subprocess.run(
            ["redis-cli", "-p", str(self.port), "ping"], capture_output=True, text=True
        )
        return done.stdout.strip() == "PONG"

    def pid(self) -> int:
        return int((self.folder / "redis.pid").read_text().strip())

    def shutdown(self) -> None:
        """A clean shutdown (what a restart or an upgrade does)."""
        pid = self.pid()
        subprocess.run(["redis-cli", "-p", str(self.port), "shutdown"], capture_output=True)
        _wait(lambda: not Path(f"/proc/{pid}").exists(), "Redis has stopped")

    def kill(self) -> None:
        pid = self.pid()
        os.kill(pid, signal.SIGKILL)
        _wait(lambda: not Path(f"/proc/{pid}").exists(), "Redis is gone")

    def destroy(self) -> None:
        with contextlib.suppress(Exception):
            self.kill()


# -- RabbitMQ -----------------------------------------------------------------------------


RABBIT_BIN = Path("/usr/lib/rabbitmq/bin")


class RabbitNode:
    """A RabbitMQ node of its own (name, AMQP and distribution ports, data, logs and Erlang
    cookie all private), started from the machine's RabbitMQ as the current user."""

    def __init__(self, folder: Path) -> None:
        _need(str(RABBIT_BIN / "rabbitmq-server"), str(RABBIT_BIN / "rabbitmqctl"))
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.node = f"budgettest{self.port}@localhost"
        (folder / "rabbitmq.conf").write_text(f"listeners.tcp.local = 127.0.0.1:{self.port}\n")
        (folder / "enabled_plugins").write_text("[].\n")

    def url(self) -> str:
        return f"amqp://guest:guest@127.0.0.1:{self.port}//"

    def _env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            HOME=str(self.folder),  # the Erlang cookie lives here
            RABBITMQ_NODENAME=self.node,
            RABBITMQ_NODE_PORT=str(self.port),
            RABBITMQ_DIST_PORT=str(free_port()),
            RABBITMQ_MNESIA_BASE=str(self.folder / "mnesia"),
            RABBITMQ_LOG_BASE=str(self.folder / "log"),
            RABBITMQ_CONFIG_FILE=str(self.folder / "rabbitmq"),
            RABBITMQ_ENABLED_PLUGINS_FILE=str(self.folder / "enabled_plugins"),
            RABBITMQ_PID_FILE=str(self.folder / "pid"),
        )
        return env

    def _ctl(self, *args: str, timeout_s: float = START_TIMEOUT_S) -> None:
        subprocess.run(
            [str(RABBIT_BIN / "rabbitmqctl"), "-n", self.node, *args],
            env=self._env(),
            check=True,
            capture_output=True,
            timeout=timeout_s,
        )

    def start(self) -> None:
        subprocess.run(
            [str(RABBIT_BIN / "rabbitmq-server"), "-detached"],
            env=self._env(),
            check=True,
            capture_output=True,
        )
        self._ctl("wait", str(self.folder / "pid"), "--timeout", str(START_TIMEOUT_S))
        _wait(lambda: answers(self.port), f"RabbitMQ on port {self.port} answers")

    def pid(self) -> int:
        return int((self.folder / "pid").read_text().strip())

    def shutdown(self) -> None:
        """A clean stop of the whole node."""
        self._ctl("shutdown")

    def kill(self) -> None:
        pid = self.pid()
        os.kill(pid, signal.SIGKILL)
        _wait(lambda: not Path(f"/proc/{pid}").exists(), "RabbitMQ is gone")

    def destroy(self) -> None:
        with contextlib.suppress(Exception):
            self.kill()


# -- fixtures -----------------------------------------------------------------------------


@pytest.fixture
def private_postgres() -> Iterator[PostgresCluster]:
    cluster = PostgresCluster()
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.destroy()


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path / "redis")
    try:
        server.start()
        yield server
    finally:
        server.destroy()


@pytest.fixture
def private_rabbit(tmp_path: Path) -> Iterator[RabbitNode]:
    node = RabbitNode(tmp_path / "rabbit")
    try:
        node.start()
        yield node
    finally:
        node.destroy()
