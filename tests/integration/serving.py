"""The web process as `make run` starts it (gunicorn with entrypoints.gunicorn_conf), for the
serving, health and metrics tests: started in its own process group through the orphan
guard, on a free port, and asked over real HTTP."""

from __future__ import annotations

import contextlib
import http.client
import importlib.util
import json
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from .services import free_port
from .test_celery import Process

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT_S = 90


def service_env(home: Path, **extra: str) -> dict[str, str]:
    """This process's environment without the settings a test chooses itself."""
    dropped = {
        "DEBUG",
        "SECRET_KEY",
        "BUDGET_ALLOW_INSECURE_KEY",
        "DATABASE_URL",
        "PROMETHEUS_MULTIPROC_DIR",
        "LOG_FORMAT",
        "PGAPPNAME",
        "WEB_SERVER",
        "WEB_CONCURRENCY",
        "WEB_THREADS",
        "METRICS_TOKEN",
        "METRICS_PUBLIC",
    }
    env = {k: v for k, v in os.environ.items() if k not in dropped and not k.startswith("CELERY_")}
    env.update(BUDGET_HOME=str(home), NO_COLOR="1", PYTHONUNBUFFERED="1", **extra)
    return env


def run_script() -> ModuleType:
    """scripts/run.py, `make run`'s supervisor, imported as a module."""
    spec = importlib.util.spec_from_file_location("budget_run_script", ROOT / "scripts" / "run.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class Answer:
    def __init__(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.status = status
        self.headers = headers
        self.body = body

    def json(self) -> Any:
        return json.loads(self.body)

    def text(self) -> str:
        return self.body.decode()


def request(
    port: int,
    method: str,
    path: str,
    body: Any = None,
    headers: dict[str, str] | None = None,
    timeout_s: float = 60,
) -> Answer:
    """One HTTP request on a fresh connection; any status is an answer (no exception)."""
    sent = dict(headers or {})
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        sent.setdefault("Content-Type", "application/json")
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout_s)
    try:
        connection.request(method, path, body=data, headers=sent)
        response = connection.getresponse()
        return Answer(
            response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
        )
    finally:
        connection.close()


class WebServer:
    """gunicorn started with the command line `make run` uses, and `env` (which must name
    the database, broker and home)."""

    def __init__(self, env: dict[str, str], log: Path, server: str = "gunicorn") -> None:
        self.port = free_port()
        argv, extra = run_script().web_command(server, "127.0.0.1", str(self.port))
        self.process = Process("web", argv, {**env, **extra}, log)

    def output(self) -> str:
        return self.process.output()

    def wait_until_serving(self, path: str = "/api/") -> None:
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.popen.poll() is not None:
                pytest.fail(f"the web server exited:\n{self.process.tail()}")
            with contextlib.suppress(OSError):
                if request(self.port, "GET", path, timeout_s=10).status < 500:
                    return
            time.sleep(0.2)
        pytest.fail(f"the web server did not answer in {START_TIMEOUT_S} s:\n{self.process.tail()}")

    def get(self, path: str, **headers: str) -> Answer:
        return request(self.port, "GET", path, headers=headers)

    def stop(self) -> None:
        self.process.kill()


@contextlib.contextmanager
def web_server(env: dict[str, str], log: Path, server: str = "gunicorn") -> Iterator[WebServer]:
    web = WebServer(env, log, server)
    try:
        web.wait_until_serving()
        yield web
    finally:
        web.stop()


@contextlib.contextmanager
def silent_server() -> Iterator[int]:
    """A port where the kernel accepts TCP connections and nothing ever answers (what a
    frozen server looks like from outside). Closed, with every connection, at the end."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    try:
        yield int(listener.getsockname()[1])
    finally:
        listener.close()


def wait_for(condition: Callable[[], Any], what: str, timeout_s: float = 60) -> Any:
    """The first true value of `condition()`, polled until `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"{what}: not within {timeout_s} s")
        time.sleep(0.2)


def in_threads(count: int, work: Callable[[int], None]) -> None:
    """Run work(0) ... work(count - 1) at once, one thread each; re-raise the first error."""
    errors: list[BaseException] = []

    def run(index: int) -> None:
        try:
            work(index)
        except BaseException as error:  # reported in the test's thread
            errors.append(error)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]


def json_lines(text: str) -> list[dict[str, Any]]:
    """The lines of a log that are JSON objects."""
    found = []
    for line in text.splitlines():
        if line.startswith("{"):
            with contextlib.suppress(ValueError):
                found.append(json.loads(line))
    return found
