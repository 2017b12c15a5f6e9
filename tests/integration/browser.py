"""What the browser tests stand on: the service as `make run` serves it (scripts/run.py, web
server, worker and beat) in a home of its own, on a fresh database, and Debian's Chromium.

The service runs on SQLite in its home, or, when the suite runs on PostgreSQL, on a scratch
database created on the suite's PostgreSQL server and dropped afterwards. The tests set
their data up as an ad platform would, over the HTTP API with a token the service issues,
and check what the admin did the same way."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from psycopg import sql

from .test_celery import spawn_in_group
from .test_run import ROOT, STOP_TIMEOUT_S, MakeRun, free_port

CHROMIUM = Path("/usr/bin/chromium")
# This machine's network is closed, and Chromium must not try to reach anything.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
NO_CHROMIUM = f"no Chromium at {CHROMIUM} (apt-get install chromium)"


def on_postgres() -> bool:
    return os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))


@contextlib.contextmanager
def scratch_database(server_url: str) -> Iterator[str]:
    """A new, empty PostgreSQL database on the server of `server_url`; its URL. Dropped
    afterwards, with whatever sessions are still connected to it."""
    name = f"browser_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(server_url, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield urlunsplit(urlsplit(server_url)._replace(path=f"/{name}"))
    finally:
        with psycopg.connect(server_url, autocommit=True) as admin:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


class ServedService(MakeRun):
    """scripts/run.py, what `make run` runs, started in the background with `home` as its
    BUDGET_HOME: the web server (whichever `make run` uses), a worker and beat."""

    def __init__(self, home: Path, env: dict[str, str]) -> None:
        self.home = home
        self.port = int(env["PORT"])
        self.env = env
        self.log = home / "run.log"
        self.popen = spawn_in_group([sys.executable, "scripts/run.py"], env, self.log)
        self._token = ""

    @classmethod
    @contextlib.contextmanager
    def started(cls, home: Path, database_url: str | None) -> Iterator[ServedService]:
        """The service serving on a free port (its database migrated, the demo data and the
        demo login created), stopped with SIGTERM afterwards, as Ctrl-C would."""
        env = {
            k: v
            for k, v in os.environ.items()
            if k not in {"DEBUG", "SECRET_KEY", "BUDGET_ALLOW_INSECURE_KEY", "DATABASE_URL"}
            and not k.startswith("CELERY_")
        }
        env.update(BUDGET_HOME=str(home), PORT=str(free_port()), NO_COLOR="1")
        if database_url:
            env["DATABASE_URL"] = database_url
        service = cls(home, env)
        try:
            service.wait_until_serving()
            yield service
            service.popen.send_signal(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                service.popen.wait(timeout=STOP_TIMEOUT_S)
        finally:
            service.kill_leftovers()

    def check_running(self) -> None:
        """Fail, with the end of its output, if the service has stopped (it stops as a whole
        when its web server, worker or beat exits)."""
        if self.popen.poll() is not None:
            pytest.fail(
                f"the service exited with {self.popen.returncode}:\n{self.output()[-5000:]}"
            )

    def demo_login(self) -> tuple[str, str]:
        """The demo superuser's username and password, as var/demo-admin.txt keeps them."""
        fields = {}
        for line in (self.home / "var" / "demo-admin.txt").read_text().splitlines():
            key, _, value = line.partition(":")
            fields[key.strip()] = value.strip()
        return fields["username"], fields["password"]

    def manage(self, *args: str) -> str:
        """A management command run against the service's database; its output."""
        done = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env={**self.env, "DEBUG": "1"},
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, f"manage.py {' '.join(args)}:\n{done.stdout}{done.stderr}"
        return done.stdout

    def issue_token(self, name: str) -> str:
        """A new API token of the demo superuser."""
        username, _ = self.demo_login()
        return self.manage("create_api_token", username, "--name", name).splitlines()[-1]

    def api(self, method: str, path: str, body: Any = None, token: str | None = None) -> Any:
        """Call the HTTP API (as the demo superuser unless `token` is given); the JSON answer.
        Raises urllib.error.HTTPError for an error status."""
        if token is None:
            self._token = self._token or self.issue_token("browser tests")
            token = self._token
        request = urllib.request.Request(
            self.url(f"/api/v1{path}"),
            method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=30) as answer:
            return json.loads(answer.read())

    def api_status(self, path: str, token: str) -> int:
        """The status a GET of `path` answers with `token`."""
        try:
            self.api("GET", path, token=token)
        except urllib.error.HTTPError as error:
            return error.code
        return 200
