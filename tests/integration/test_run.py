"""The one command, `make run`, started in the background with a home (var/) of its own: the
admin login page answers, served by gunicorn with its styles, the demo login it prints works,
/health answers, a task queued with a periodic command's --async completes on its worker,
and Ctrl-C or SIGTERM stops web, worker and beat, leaving nothing running.

`embedded` is a fresh machine: SQLite and the embedded broker in that home, stopped with
Ctrl-C. `configured` runs on the suite's database (SQLite or PostgreSQL) and on Redis, as
production would, and is stopped with SIGTERM."""

from __future__ import annotations

import contextlib
import http.cookiejar
import json
import os
import re
import select
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from .serving import service_env
from .test_celery import REDIS_URL, database_url, redis_answers, spawn_in_group

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT_S = 180  # migrations and demo data on a fresh database
STOP_TIMEOUT_S = 60


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def processes_of(home: Path) -> list[int]:
    """Pids of the processes started with this home (read from /proc where there is one)."""
    marker = f"BUDGET_HOME={home}\0".encode()
    pids = []
    for environ in Path("/proc").glob("[0-9]*/environ"):
        with contextlib.suppress(OSError):
            if marker in environ.read_bytes():
                pids.append(int(environ.parent.name))
    return [pid for pid in pids if pid != os.getpid()]


class MakeRun:
    def __init__(self, home: Path, env: dict[str, str]) -> None:
        self.home = home
        self.port = int(env["PORT"])
        self.env = env
        self.log = home / "make-run.log"
        self.popen = spawn_in_group(["make", "--no-print-directory", "run"], env, self.log)

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def wait_until_serving(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.popen.poll() is not None:
                pytest.fail(f"make run exited with {self.popen.returncode}:\n{self.output()}")
            with (
                contextlib.suppress(OSError),
                urllib.request.urlopen(self.url("/admin/login/"), timeout=5) as answer,
            ):
                if answer.status == 200:
                    return
            time.sleep(0.25)
        pytest.fail(f"the admin login page did not answer in {START_TIMEOUT_S} s:\n{self.output()}")

    def wait_for_output(self, pattern: str, timeout_s: float = 60) -> re.Match[str]:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            match = re.search(pattern, self.output())
            if match:
                return match
            time.sleep(0.2)
        pytest.fail(f"no {pattern!r} in the output in {timeout_s} s:\n{self.output()[-5000:]}")

    def kill_leftovers(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, signal.SIGKILL)
        for pid in processes_of(self.home):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.popen.wait(timeout=10)


def assert_styles_are_served(run: MakeRun) -> None:
    """The admin's stylesheets load from the web process itself."""
    with urllib.request.urlopen(run.url("/admin/login/"), timeout=10) as answer:
        page = answer.read().decode()
    stylesheets = re.findall(r'href="(/static/admin/css/[^"]+\.css)"', page)
    assert stylesheets, page
    for path in stylesheets:
        with urllib.request.urlopen(run.url(path), timeout=10) as answer:
            assert answer.headers["Content-Type"].startswith("text/css"), path


def assert_health_answers(run: MakeRun) -> None:
    """/health reports every part; the database and the broker are up from the start."""
    try:
        answer = urllib.request.urlopen(run.url("/health"), timeout=30)
    except urllib.error.HTTPError as refused:  # 503 while a part is not there yet
        answer = refused
    with answer:
        health = json.loads(answer.read())
    assert set(health["parts"]) == {"database", "broker", "worker", "periodic_tasks", "beat"}
    assert health["parts"]["database"]["status"] == "ok", health
    assert health["parts"]["broker"]["status"] == "ok", health


def log_in(run: MakeRun, username: str, password: str) -> str:
    """Log in to the admin as a browser would; the admin index page."""
    jar = http.cookiejar.CookieJar()
    browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    login = run.url("/admin/login/?next=/admin/")
    page = browser.open(login, timeout=10).read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert token, page
    form = urllib.parse.urlencode(
        {
            "csrfmiddlewaretoken": token.group(1),
            "username": username,
            "password": password,
            "next": "/admin/",
        }
    ).encode()
    request = urllib.request.Request(login, data=form, headers={"Referer": login})
    with browser.open(request, timeout=10) as answer:
        assert answer.url.endswith("/admin/"), "the demo login was refused"
        return str(answer.read().decode())


@pytest.fixture
def run_env(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[dict[str, str]]:
    # Without the settings this test process made for itself (its metrics folder among
    # them: `make run` empties the one it uses).
    env = service_env(tmp_path, PORT=str(free_port()))
    if request.param == "configured":
        if not redis_answers(REDIS_URL):
            pytest.skip(f"no Redis answers at {REDIS_URL} (start one or set TEST_REDIS_URL)")
        env.update(
            DATABASE_URL=database_url(),
            CELERY_BROKER_URL=REDIS_URL,
            CELERY_TASK_DEFAULT_QUEUE=f"test-{uuid.uuid4().hex[:12]}",
        )
    yield env


@pytest.mark.parametrize(
    ("run_env", "stop_with"),
    [
        ("embedded", "ctrl-c"),
        pytest.param(
            "configured",
            "sigterm",
            # The suite's test database, emptied afterwards.
            marks=[pytest.mark.redis, pytest.mark.django_db(transaction=True)],
        ),
    ],
    indirect=["run_env"],
)
def test_make_run_serves_the_admin_runs_tasks_and_stops_cleanly(
    run_env: dict[str, str], tmp_path: Path, stop_with: str
) -> None:
    run = MakeRun(tmp_path, run_env)
    try:
        run.wait_until_serving()

        login = run.wait_for_output(r"user (\S+)\s+password (\S+)")
        username, password = login.group(1), login.group(2)
        assert f"password: {password}" in (tmp_path / "var" / "demo-admin.txt").read_text()
        index = log_in(run, username, password)
        assert "Periodic tasks" in index and "Task results" in index
        assert "Booting worker with pid" in run.output()  # gunicorn, not runserver
        assert_styles_are_served(run)
        assert_health_answers(run)

        queued = subprocess.run(
            [sys.executable, "manage.py", "check_budgets", "--async"],
            cwd=ROOT,
            env={**run_env, "DEBUG": "1"},
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        task_id = queued.stdout.splitlines()[-1]
        run.wait_for_output(rf"budget\.enforce_budgets\[{task_id}\] succeeded")

        if stop_with == "ctrl-c":
            os.killpg(run.popen.pid, signal.SIGINT)  # what the terminal does
        else:
            run.popen.send_signal(signal.SIGTERM)  # to make; it passes it on
        run.popen.wait(timeout=STOP_TIMEOUT_S)

        output = run.output()
        assert "run   | stopped" in output, output[-5000:]
        assert "did not stop" not in output
        assert processes_of(tmp_path) == []
        with pytest.raises(urllib.error.URLError):
            urllib.request.urlopen(run.url("/admin/login/"), timeout=5)
    finally:
        run.kill_leftovers()


# A hang guard, not a speed target.
GUARD_TIMEOUT_S = 60


@pytest.mark.skipif(sys.platform != "linux", reason="the orphan guard uses Linux's prctl")
def test_a_process_started_through_the_orphan_guard_stops_when_its_parent_is_killed() -> None:
    program = "import os, time; print('running', os.getpid(), flush=True); time.sleep(600)"
    parent_code = (
        "import os, subprocess, sys, time\n"
        "guard, python, program = sys.argv[1:]\n"
        "subprocess.Popen([python, guard, str(os.getpid()), python, '-c', program])\n"
        "time.sleep(600)\n"
    )
    guard = str(ROOT / "scripts" / "orphan_guard.py")
    parent = subprocess.Popen(
        [sys.executable, "-c", parent_code, guard, sys.executable, program],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert parent.stdout is not None
    child: int | None = None
    try:
        # The program says it runs, so the guard has become it (same pid), which it does
        # only after asking for the signal.
        started, _, _ = select.select([parent.stdout], [], [], GUARD_TIMEOUT_S)
        assert started, "the guard never started its program"
        said, pid = parent.stdout.readline().split()
        assert said == "running"
        # A handle on this very process, which a pid is not once the process is gone (the
        # number can be reused); it becomes readable when the process ends, zombie or reaped.
        child = os.pidfd_open(int(pid))
        parent.kill()
        parent.wait(timeout=GUARD_TIMEOUT_S)
        ended, _, _ = select.select([child], [], [], GUARD_TIMEOUT_S)
        assert ended, "the child outlived its killed parent"
    finally:
        parent.kill()
        parent.wait(timeout=GUARD_TIMEOUT_S)
        parent.stdout.close()
        if child is not None:
            with contextlib.suppress(ProcessLookupError):
                signal.pidfd_send_signal(child, signal.SIGKILL)
            os.close(child)
