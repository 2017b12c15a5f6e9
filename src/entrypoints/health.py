"""`GET /health`: is every part of the service working? No authentication.

Each part is really touched:
- database: a query (`SELECT 1`);
- broker: a connection to it and a passive declare of the task queue (which also reads the
  number of messages waiting), on the embedded broker, Redis or RabbitMQ alike;
- worker: Celery's control ping over the broker; the first worker to answer is enough. A
  ping needs nothing from the worker but its running consumer, which is what takes tasks,
  and no table or file of ours that could say "alive" after the worker stopped taking them;
- periodic_tasks: for each enabled entry of the beat schedule (django-celery-beat), its last
  successful run (django-celery-results) against its schedule: overdue when the run that
  should have followed it is late by more than half a period (at least a minute);
- beat: which beat holds the schedule's lease (entrypoints.beat.lease); down when none does.

The answer is 200 when every part is ok, else 503, with `down` naming the parts that are
down, and each part's state under `parts`. The checks run at once, each in a thread of its
own, and the answer waits at most HEALTH_TIMEOUT seconds: a part that has not answered by
then is down ("no answer"). A check still hanging from an earlier request is not started
again (so a frozen database or broker never piles up threads or connections); the part is
reported down until it returns."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.utils import timezone

Part = dict[str, Any]
Parts = dict[str, Part]

OK, DOWN, UNKNOWN = "ok", "down", "unknown"
# An entry sent this many times by beat without one success on record is overdue.
SENT_WITHOUT_SUCCESS = 3
MIN_GRACE = timedelta(minutes=1)


def health_view(request: HttpRequest) -> JsonResponse:
    """`GET /health`: 200 if every part is ok, 503 naming the parts that are down."""
    if request.method not in ("GET", "HEAD"):
        response = JsonResponse({"detail": "GET only."}, status=405)
        response["Allow"] = "GET, HEAD"
        return response
    parts = check_all(settings.HEALTH_TIMEOUT)
    down = [name for name, part in parts.items() if part["status"] == DOWN]
    not_ok = [name for name, part in parts.items() if part["status"] != OK]
    body = {
        "status": OK if not not_ok else DOWN,
        "down": down,
        "checked_at": timezone.now().isoformat(),
        "parts": parts,
    }
    response = JsonResponse(body, status=503 if not_ok else 200)
    response["Cache-Control"] = "no-store"
    return response


def check_all(timeout_s: float) -> Parts:
    """Every part's state, waiting at most `timeout_s` seconds in all."""
    deadline = time.monotonic() + timeout_s
    waits = [probe.launch(deadline, timeout_s) for probe in _PROBES]
    parts: Parts = {}
    for wait in waits:
        parts.update(wait())
    return parts


class _Probe:
    """A check that reports one or more parts, run in a daemon thread (a hung check never
    holds up the process's exit), at most one at a time in a process. The check writes
    each part into `found` as soon as it knows it, so that on a timeout the parts already
    answered keep their state, the one it was waiting on is down and the rest unknown."""

    def __init__(self, parts: tuple[str, ...], check: Callable[[Parts, float], None]) -> None:
        self.parts = parts
        self._check = check
        self._lock = threading.Lock()
        self._busy_since: float | None = None

    def launch(self, deadline: float, timeout_s: float) -> Callable[[], Parts]:
        """Start the check; return the function that waits for its answer until
        `deadline` (`timeout_s` from now)."""
        with self._lock:
            if self._busy_since is not None:
                waited = time.monotonic() - self._busy_since
                return lambda: self._incomplete(
                    {}, f"no answer to an earlier check for {waited:.0f} s"
                )
            self._busy_since = time.monotonic()
        found: Parts = {}
        done = threading.Event()

        def run() -> None:
            try:
                self._check(found, deadline)
            except Exception as error:  # a check must report, never raise
                found.update(self._incomplete(dict(found), _describe(error)))
            finally:
                with self._lock:
                    self._busy_since = None
                done.set()

        threading.Thread(target=run, name=f"health-{self.parts[0]}", daemon=True).start()

        def wait() -> Parts:
            if done.wait(max(0.0, deadline - time.monotonic())):
                return self._incomplete(dict(found), "the check ended without an answer")
            return self._incomplete(dict(found), f"no answer within {timeout_s:g} s")

        return wait

    def _incomplete(self, found: Parts, reason: str) -> Parts:
        """`found`, with the first missing part down for `reason`, the others unknown."""
        missing = [p for p in self.parts if p not in found]
        for index, name in enumerate(missing):
            if index == 0:
                found[name] = {"status": DOWN, "error": reason}
            else:
                found[name] = {"status": UNKNOWN, "error": f"not checked: {missing[0]} is down"}
        return {name: found[name] for name in self.parts}


def _describe(error: BaseException) -> str:
    text = f"{type(error).__name__}: {error}".strip()
    return text if len(text) <= 300 else text[:297] + "..."


def _elapsed_ms(started: float) -> float:
    return round((time.monotonic() - started) * 1000, 1)


def _remaining(deadline: float) -> float:
    return max(0.1, deadline - time.monotonic())


# -- the database, the schedule and beat ----------------------------------------------------


def _check_database(found: Parts, deadline: float) -> None:
    from django.db import connection, connections

    try:
        started = time.monotonic()
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
                cursor.fetchone()
        except Exception as error:
            found["database"] = {"status": DOWN, "error": _describe(error)}
            for part in ("periodic_tasks", "beat"):
                found[part] = {"status": UNKNOWN, "error": "not checked: database is down"}
            return
        found["database"] = {"status": OK, "vendor": connection.vendor, "ms": _elapsed_ms(started)}
        found["periodic_tasks"] = periodic_tasks(timezone.now())
        found["beat"] = _beat()
    finally:
        # This thread's own connection: closed, so that checks never add up connections.
        connections.close_all()


def periodic_tasks(now: datetime) -> Part:
    """Each enabled, recurring entry of the beat schedule with its last successful run and
    the run due next; down when any is overdue."""
    from django_celery_beat.models import PeriodicTask
    from django_celery_results.models import TaskResult

    entries = (
        PeriodicTask.objects.filter(enabled=True, one_off=False, clocked__isnull=True)
        .select_related("interval", "crontab", "solar")
        .order_by("name")
    )
    tasks = []
    for entry in entries:
        last_success = (
            TaskResult.objects.filter(task_name=entry.task, status="SUCCESS")
            .order_by("-date_done")
            .values_list("date_done", flat=True)
            .first()
        )
        state = _entry_state(entry, last_success, now)
        tasks.append({"name": entry.name, "task": entry.task, **state})
    overdue = [t["name"] for t in tasks if t["state"] == "overdue"]
    part: Part = {"status": DOWN if overdue else OK, "tasks": tasks}
    if overdue:
        part["error"] = "overdue: " + ", ".join(overdue)
    return part


def _entry_state(entry: Any, last_success: datetime | None, now: datetime) -> dict[str, Any]:
    if last_success is None:
        sent = int(entry.total_run_count or 0)
        if sent >= SENT_WITHOUT_SUCCESS:
            return {"state": "overdue", "last_success": None, "sent": sent}
        return {"state": "waiting for its first run", "last_success": None, "sent": sent}
    # The run that should follow the last success, by the entry's own schedule.
    next_due = now + entry.schedule.remaining_estimate(last_success)
    grace = max(MIN_GRACE, (next_due - last_success) / 2)
    return {
        "state": "overdue" if now > next_due + grace else OK,
        "last_success": last_success.isoformat(),
        "next_due": next_due.isoformat(),
    }


def _beat() -> Part:
    from entrypoints.beat.lease import current_beat

    beat = current_beat()
    if beat is None:
        return {"status": DOWN, "error": "no beat has ever held the schedule's lease"}
    part: Part = {
        "holder": beat.holder,
        "since": beat.acquired_at.isoformat(),
        "expires_at": beat.expires_at.isoformat(),
    }
    if not beat.held:
        return {"status": DOWN, "error": "no beat holds the schedule's lease", **part}
    return {"status": OK, **part}


# -- the broker and the workers -------------------------------------------------------------


def _check_broker(found: Parts, deadline: float) -> None:
    from entrypoints.celery_app import app

    timeout = _remaining(deadline)
    queue = app.conf.task_default_queue
    transport = str(app.conf.broker_url).partition("://")[0] or "filesystem"
    started = time.monotonic()
    connection = app.connection_for_write(
        connect_timeout=timeout, transport_options=_socket_timeouts(transport, timeout)
    )
    try:
        try:
            connection.ensure_connection(max_retries=1, interval_start=0, timeout=int(timeout) + 1)
            messages = _messages_waiting(connection, queue)
        except Exception as error:
            found["broker"] = {"status": DOWN, "transport": transport, "error": _describe(error)}
            found["worker"] = {"status": UNKNOWN, "error": "not checked: broker is down"}
            return
        found["broker"] = {
            "status": OK,
            "transport": transport,
            "queue": queue,
            "messages": messages,
            "ms": _elapsed_ms(started),
        }
        started = time.monotonic()
        # Ends at the first answer; leaves time to report before the deadline.
        wait_s = max(0.1, deadline - time.monotonic() - 0.25)
        replies = app.control.ping(timeout=wait_s, limit=1, connection=connection) or []
        answered = sorted(name for reply in replies for name in reply)
        if answered:
            found["worker"] = {"status": OK, "answered": answered, "ms": _elapsed_ms(started)}
        else:
            found["worker"] = {
                "status": DOWN,
                "error": f"no worker answered a ping within {wait_s:.1f} s",
            }
    finally:
        connection.release()


def _socket_timeouts(transport: str, timeout: float) -> dict[str, float]:
    """Bounds on every wait for the broker's answer (a frozen broker accepts connections
    and never answers), per transport: a little past the check's deadline, so that the check
    thread ends soon after the answer has said "no answer"."""
    timeout += 1
    if transport.startswith("redis"):
        return {"socket_timeout": timeout, "socket_connect_timeout": timeout}
    if transport in ("amqp", "amqps", "pyamqp"):
        return {"read_timeout": timeout, "write_timeout": timeout}
    return {}


def _messages_waiting(connection: Any, queue: str) -> int | None:
    """Messages waiting in the task queue; None when no worker or client has declared the
    queue yet (which is no fault)."""
    channel = connection.channel()
    try:
        try:
            return int(channel.queue_declare(queue=queue, passive=True).message_count)
        except connection.channel_errors:
            return None
    finally:
        with contextlib.suppress(Exception):
            channel.close()


_PROBES = (
    _Probe(("database", "periodic_tasks", "beat"), _check_database),
    _Probe(("broker", "worker"), _check_broker),
)
