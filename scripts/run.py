"""`make run`: the whole service on this machine, in one terminal.

Prepares the database (migrations, which also create the beat schedule; demo data and a
demo admin login, each once), collects the static files and empties the metrics folder,
then runs the web server (gunicorn), a Celery worker and Celery beat as child processes,
their output prefixed with their name. Ctrl-C (SIGINT) or SIGTERM stops all three: they
get SIGTERM and up to SHUTDOWN_TIMEOUT seconds to finish what they are doing (the worker
completes its running tasks), then SIGKILL; a second Ctrl-C kills at once. If any of the
three exits on its own, the others are stopped too.

Environment (all optional; also read from a `.env` file in the checkout, the real
environment winning):
  BUDGET_HOME          where var/ lives (database, broker, demo login); default: the checkout
  DATABASE_URL         e.g. postgres://user@host:5432/db; default SQLite in var/db.sqlite3
  CELERY_BROKER_URL    e.g. redis://127.0.0.1:6379/0; default the embedded broker in var/broker
  HOST, PORT           where the web server listens; default 127.0.0.1:8000
  DEBUG                default 1 (a development service)
  LOG_FORMAT           default text here (json is the default elsewhere when DEBUG is off)
  WEB_SERVER           gunicorn (default), or runserver: Django's development server, one
                       thread per request, which then closes its database connection after
                       each request
  WEB_CONCURRENCY, WEB_THREADS  gunicorn's worker processes and threads (see
                       src/entrypoints/gunicorn_conf.py); default 2 and 4
  CELERY_CONCURRENCY   worker processes; default 2
  SHUTDOWN_TIMEOUT     seconds to wait for a clean stop; default 30
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import IO
from urllib.parse import urlsplit, urlunsplit

from dotenv import load_dotenv

ROOT = Path(__file__).resolve().parent.parent
DEMO_USER = "admin"
COLOURS = {"web": "\033[36m", "worker": "\033[35m", "beat": "\033[33m", "run": "\033[32m"}
RESET = "\033[0m"

_print_lock = threading.Lock()
_colour = sys.stdout.isatty() and not os.environ.get("NO_COLOR")


def say(name: str, line: str) -> None:
    prefix = f"{name:<6}|"
    if _colour:
        prefix = f"{COLOURS.get(name, '')}{prefix}{RESET}"
    with _print_lock:
        print(f"{prefix} {line}", flush=True)


def masked(url: str) -> str:
    parts = urlsplit(url)
    if parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
        return urlunsplit(parts._replace(netloc=netloc))
    return url


# -- preparing the database ---------------------------------------------------------------


def prepare() -> tuple[str, str]:
    """Migrate, load the demo data and create the demo login, each only when missing;
    return the demo login."""
    import django
    from django.core.management import call_command
    from django.db import connections

    django.setup()
    say("run", "applying migrations (this also creates the beat schedule)")
    call_command("migrate", interactive=False, verbosity=0)

    from adapters.django_orm.models import Brand

    if Brand.objects.exists():
        say("run", "demo data: the database already has brands, none added")
    else:
        say("run", "loading demo data (manage.py seed_data), once")
        call_command("seed_data")
    login = demo_login()
    connections.close_all()
    say("run", "collecting static files (manage.py collectstatic)")
    call_command("collectstatic", interactive=False, verbosity=0)
    empty_metrics_folder()
    return login


def empty_metrics_folder() -> None:
    """Start the metrics from zero: the files of an earlier run's processes would otherwise
    count in /metrics as if those processes still ran."""
    from django.conf import settings

    for path in Path(settings.PROMETHEUS_MULTIPROC_DIR).glob("*.db"):
        path.unlink(missing_ok=True)


def demo_login() -> tuple[str, str]:
    """The demo superuser and its password, kept in var/demo-admin.txt. Created on the first
    run; later runs read the file back (and recreate the user from it if the database was
    reset)."""
    from django.conf import settings
    from django.contrib.auth import get_user_model

    path = Path(settings.VAR_DIR) / "demo-admin.txt"
    password = ""
    if path.exists():
        for line in path.read_text().splitlines():
            key, _, value = line.partition(":")
            if key.strip() == "password":
                password = value.strip()
    users = get_user_model()
    if users.objects.filter(username=DEMO_USER).exists():
        if not password:
            return DEMO_USER, "(set by you: the user existed before this script made one)"
        return DEMO_USER, password
    password = password or secrets.token_urlsafe(12)
    users.objects.create_superuser(DEMO_USER, email="", password=password)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"username: {DEMO_USER}\npassword: {password}\n")
    path.chmod(0o600)
    return DEMO_USER, password


# -- the three processes ------------------------------------------------------------------


# On Linux each child is started through the orphan guard: it gets SIGTERM when this script
# dies, however it dies, so nothing outlives `make run`.
ORPHAN_GUARD = ROOT / "scripts" / "orphan_guard.py"


class Child:
    def __init__(self, name: str, argv: list[str], env: dict[str, str]) -> None:
        self.name = name
        if sys.platform == "linux":
            argv = [sys.executable, str(ORPHAN_GUARD), str(os.getpid()), *argv]
        # Its own process group: the terminal's Ctrl-C reaches only this script, which
        # stops the children one by one.
        self.process = subprocess.Popen(
            argv,
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            bufsize=1,
            start_new_session=True,
        )
        assert self.process.stdout is not None
        self.reader = threading.Thread(target=self._relay, args=(self.process.stdout,))
        self.reader.daemon = True
        self.reader.start()

    def _relay(self, stream: IO[str]) -> None:
        for line in stream:
            say(self.name, line.rstrip("\n"))

    def stop(self) -> None:
        """Ask it to stop. Only the process itself is told: a Celery worker stops its pool
        itself, and pool processes signalled directly can leave its shutdown hanging."""
        if self.running():
            self.process.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        """It and whatever is left of its process group."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)

    def running(self) -> bool:
        return self.process.poll() is None


def child_env(name: str) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONUNBUFFERED"] = "1"
    env["DJANGO_SETTINGS_MODULE"] = "entrypoints.settings"
    # PostgreSQL's pg_stat_activity then shows which part holds a connection.
    env.setdefault("PGAPPNAME", f"budget-{name}")
    return env


WEB_SERVERS = ("gunicorn", "runserver")


def web_command(server: str, host: str, port: str) -> tuple[list[str], dict[str, str]]:
    """The web process's command line and the environment it needs on top of the rest."""
    python = sys.executable
    if server == "runserver":
        # (The settings close its connections after each request: see DB_CONN_MAX_AGE.)
        argv = [python, "manage.py", "runserver", f"{host}:{port}", "--noreload", "--insecure"]
        return argv, {}
    argv = [python, "-m", "gunicorn", "-c", "python:entrypoints.gunicorn_conf"]
    return argv, {"HOST": host, "PORT": port}


def start_children(host: str, port: str, server: str) -> list[Child]:
    python = sys.executable
    concurrency = os.environ.get("CELERY_CONCURRENCY", "2")
    celery = [python, "-m", "celery", "-A", "entrypoints.celery_app"]
    web_argv, web_env = web_command(server, host, port)
    return [
        Child("web", web_argv, {**child_env("web"), **web_env}),
        Child(
            "worker",
            [*celery, "worker", "-l", "INFO", "-n", "worker@%h", "--concurrency", concurrency],
            child_env("worker"),
        ),
        Child("beat", [*celery, "beat", "-l", "INFO"], child_env("beat")),
    ]


class Supervisor:
    """Stops the children on the first SIGINT/SIGTERM (or when one of them exits), kills
    them on the second."""

    def __init__(self) -> None:
        self.children: list[Child] = []
        self.stop = threading.Event()
        self.signals = 0
        signal.signal(signal.SIGINT, self.on_signal)
        signal.signal(signal.SIGTERM, self.on_signal)

    def on_signal(self, signum: int, frame: object) -> None:
        self.signals += 1
        if self.signals > 1:
            say("run", "second signal: killing everything now")
            for child in self.children:
                child.kill()
        self.stop.set()

    def run(self, timeout_s: float) -> int:
        """Wait for a signal or a child's exit, then stop them all; the exit status."""
        status = 0
        while not self.stop.is_set():
            for child in self.children:
                if not child.running():
                    say("run", f"{child.name} exited with status {child.process.returncode}")
                    status = 1
                    self.stop.set()
            self.stop.wait(0.5)

        say("run", "stopping web, worker and beat")
        for child in self.children:
            child.stop()
        deadline = time.monotonic() + timeout_s
        for child in self.children:
            try:
                child.process.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                say("run", f"{child.name} did not stop in {timeout_s:.0f} s: killing it")
                child.kill()
                child.process.wait()
            child.kill()  # whatever of its group outlived it
            child.reader.join(timeout=2)
        say("run", "stopped")
        return status


def metrics_access() -> str:
    """How /metrics may be read, as the settings have it."""
    from django.conf import settings

    if settings.METRICS_TOKEN:
        return "Authorization: Bearer $METRICS_TOKEN"
    if settings.METRICS_PUBLIC:
        return "open to anyone: METRICS_PUBLIC is on"
    return "off: set METRICS_TOKEN, or METRICS_PUBLIC=1"


def main() -> int:
    os.chdir(ROOT)
    load_dotenv(ROOT / ".env", override=False)
    os.environ.setdefault("BUDGET_HOME", str(ROOT))
    os.environ.setdefault("DEBUG", "1")
    os.environ.setdefault("LOG_FORMAT", "text")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "entrypoints.settings")
    host = os.environ.get("HOST", "127.0.0.1")
    port = os.environ.get("PORT", "8000")
    server = os.environ.get("WEB_SERVER", "").strip() or "gunicorn"
    if server not in WEB_SERVERS:
        say("run", f"WEB_SERVER must be one of {', '.join(WEB_SERVERS)}, not {server!r}")
        return 2

    try:
        user, password = prepare()
    except KeyboardInterrupt:
        return 130

    from django.conf import settings

    database = os.environ.get("DATABASE_URL") or f"SQLite {settings.DATABASES['default']['NAME']}"
    broker = os.environ.get("CELERY_BROKER_URL") or f"embedded, in {settings.VAR_DIR / 'broker'}"
    base = f"http://{host}:{port}"
    for line in (
        f"admin     {base}/admin/   user {user}   password {password}",
        f"          (the login is kept in {settings.VAR_DIR / 'demo-admin.txt'})",
        f"API       {base}/api/v1/docs",
        f"health    {base}/health",
        f"metrics   {base}/metrics   ({metrics_access()})",
        f"web       {server}",
        f"database  {masked(database)}",
        f"broker    {masked(broker)}",
        "Ctrl-C stops web, worker and beat.",
    ):
        say("run", line)

    supervisor = Supervisor()
    if not supervisor.stop.is_set():
        supervisor.children.extend(start_children(host, port, server))
    return supervisor.run(float(os.environ.get("SHUTDOWN_TIMEOUT", "30")))


if __name__ == "__main__":
    sys.exit(main())
