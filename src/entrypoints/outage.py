"""A database outage answers 503, and no web request waits for the database for long.

An outage is a database that cannot be reached, drops the connection, does not answer in
time, or (SQLite) stays locked by another writer: Django's `OperationalError` and
`InterfaceError`. Every other database error (`IntegrityError`, `ProgrammingError`, ...) is a
bug and stays a 500. An outage answers 503 with `Retry-After`: under /api/ in the API's one
error shape, naming the database; anywhere else (the admin) with the page 503.html, which is
rendered without touching the database.

`DatabaseOutageMiddleware` turns the errors of views into that answer (`process_exception`),
and also the ones raised outside a view, in another middleware (a session saved as the
answer leaves): Django turns those into a 500 and announces them with
`got_request_exception`, and the middleware, outside the others, swaps that 500 for the 503.
The API catches its own exceptions; its handler calls `api_response`.

Limits, for web requests only (workers, beat, commands and migrations run without them):
- a database connection made during a web request is told DB_REQUEST_TIMEOUT: PostgreSQL's
  `statement_timeout`, so that a live but slow server cancels the statement itself, and
  SQLite's busy timeout, the longest a writer queues for the write lock;
- a watchdog thread cuts the socket of a request's PostgreSQL connection once the request
  has waited for the database DB_REQUEST_TIMEOUT + 1 s in all. A frozen server (its
  processes stopped: the kernel still accepts connections and acknowledges packets, but
  nothing answers) cancels nothing, and psycopg waits on the socket without a limit, so
  only a cut ends that wait. Time inside queries counts, and so does any stretch without a
  query finishing, because a commit, a rollback or Django's connection health check also
  wait for the server without passing through the query hook;
- connecting is bounded by libpq's `connect_timeout` (DB_CONNECT_TIMEOUT, in the settings,
  for every process).
So a request answers within DB_REQUEST_TIMEOUT + 1 s + DB_CONNECT_TIMEOUT, whatever the
database does. Connections that an outage broke are dropped and made again by Django
(CONN_HEALTH_CHECKS), so the first request after the outage succeeds."""

from __future__ import annotations

import contextlib
import logging
import math
import os
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from django.conf import settings
from django.core.signals import got_request_exception
from django.db import DEFAULT_DB_ALIAS, DatabaseError, InterfaceError, OperationalError, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.signals import connection_created
from django.http import HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.template.loader import render_to_string

log = logging.getLogger(__name__)

OUTAGE_ERRORS: tuple[type[Exception], ...] = (OperationalError, InterfaceError)
# Seconds a client is asked to wait before trying again: a restart takes a few.
RETRY_AFTER_S = 5
# The watchdog leaves the server's own statement_timeout a second to act first: a statement
# the server cancels leaves the connection usable, one cut from our side does not.
CUT_GRACE_S = 1.0

# Headers Django's security middlewares set, kept when a 500 is swapped for the 503.
_KEPT_HEADERS = (
    "X-Frame-Options",
    "X-Content-Type-Options",
    "Referrer-Policy",
    "Cross-Origin-Opener-Policy",
    "Strict-Transport-Security",
)
_NOTED = "_database_outage"
_QUERY_CANCELED = "57014"  # PostgreSQL's SQLSTATE for statement_timeout
_BUSY_STATES = {"55P03", "40001", "40P01"}  # lock not available, serialization, deadlock


class DatabaseTimeout(OperationalError):
    """The database did not answer a web request in time, and its connection was cut."""


def is_outage(error: BaseException) -> bool:
    """Whether a database error means the database is unavailable (answer 503) rather
    than a bug (answer 500)."""
    return isinstance(error, OUTAGE_ERRORS)


def reason(error: BaseException) -> str:
    """What went wrong, in words for the client; never the server's address or the SQL."""
    limit = _request_limit()
    watch = _current_watch()
    if isinstance(error, DatabaseTimeout) or (watch is not None and watch.cut):
        return f"did not answer within {limit:g} s"
    sqlstate = getattr(error.__cause__, "sqlstate", None)
    if sqlstate == _QUERY_CANCELED:
        return f"did not answer within {limit:g} s"
    if sqlstate in _BUSY_STATES or "locked" in str(error).lower():
        return "is busy with other writers"
    return "cannot be reached"


def api_response(request: HttpRequest, error: Exception) -> HttpResponse:
    """The API's answer to an outage: 503, Retry-After, and the one error shape with the
    database named as the failing part."""
    because = _note(request, error)
    response = JsonResponse(
        {
            "detail": f"The database is unavailable; try again in {RETRY_AFTER_S} seconds.",
            "errors": [{"field": "database", "message": f"the database {because}"}],
        },
        status=503,
    )
    return _unavailable(response)


def page_response(request: HttpRequest, error: Exception) -> HttpResponse:
    """The answer to an outage anywhere but the API (the admin): 503, Retry-After, and a
    plain page in the admin's style, rendered without the database (no request context,
    so no user or session is looked up)."""
    because = _note(request, error)
    page = render_to_string(
        "503.html",
        {
            "reason": f"The database {because}.",
            "retry_after": RETRY_AFTER_S,
            "site_header": "Ad budget control",
        },
    )
    return _unavailable(HttpResponse(page, status=503))


def outage_response(request: HttpRequest, error: Exception) -> HttpResponse:
    """`api_response` under /api/, `page_response` anywhere else."""
    if request.path.startswith("/api/"):
        return api_response(request, error)
    return page_response(request, error)


class DatabaseOutageMiddleware:
    """Answers 503 to a database outage anywhere in the request, and puts the request's
    database waits under the limits described in this module. Near the top of MIDDLEWARE,
    outside the session, authentication and message middlewares."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        with _limits():
            response = self.get_response(request)
            noted = getattr(request, _NOTED, None)
            if response.status_code == 500 and isinstance(noted, Exception):
                replaced = outage_response(request, noted)
                for header in _KEPT_HEADERS:
                    if header in response:
                        replaced[header] = response[header]
                return replaced
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if is_outage(exception):
            return outage_response(request, exception)
        return None


def _note_outage(sender: Any, request: HttpRequest | None = None, **kwargs: Any) -> None:
    """Marks a request whose unhandled exception was an outage; the middleware then answers
    503 instead of the 500 Django made of it."""
    error = sys.exc_info()[1]
    if request is not None and error is not None and is_outage(error):
        setattr(request, _NOTED, error)


got_request_exception.connect(_note_outage, dispatch_uid="entrypoints.outage.note")


def _note(request: HttpRequest, error: Exception) -> str:
    because = reason(error)
    log.warning(
        "Database unavailable, answering 503 to %s %s: %s: %s",
        request.method,
        request.path,
        type(error).__name__,
        str(error).strip().splitlines()[0] if str(error).strip() else "",
    )
    return because


def _unavailable(response: HttpResponse) -> HttpResponse:
    response["Retry-After"] = str(RETRY_AFTER_S)
    response["Cache-Control"] = "no-store"
    return response


def _request_limit() -> float:
    return float(settings.DB_REQUEST_TIMEOUT)


# -- limits -------------------------------------------------------------------------------


class _Socket:
    """The socket of the PostgreSQL connection a thread last queried through: its file
    descriptor and the inode that proves, at cut time, that the descriptor still names
    that socket (a closed descriptor's number is soon reused)."""

    __slots__ = ("fd", "inode", "raw")

    def __init__(self) -> None:
        self.raw: object = None
        self.fd = -1
        self.inode = -1


class _Watch:
    """One web request's waiting for the database; also the execute wrapper that counts
    it, query by query. The request has waited too long when the time since its last query
    finished (or since it began) exceeds what is left of its allowance."""

    __slots__ = ("allowance", "cut", "last", "lock", "socket", "spent")

    def __init__(self, allowance: float, sock: _Socket) -> None:
        self.lock = threading.Lock()
        self.allowance = allowance
        self.spent = 0.0
        self.last = time.monotonic()
        self.socket = sock
        self.cut = False

    def due(self) -> float:
        return self.last + self.allowance - self.spent

    def __call__(
        self,
        execute: Callable[..., Any],
        sql: Any,
        params: Any,
        many: bool,
        context: dict[str, Any],
    ) -> Any:
        raw = context["connection"].connection
        if raw is not self.socket.raw:
            self._remember(raw)
        started = time.monotonic()
        try:
            return execute(sql, params, many, context)
        except DatabaseError as error:
            if self.cut:
                raise DatabaseTimeout(
                    f"the database did not answer within {self.allowance:g} s"
                ) from error
            raise
        finally:
            finished = time.monotonic()
            with self.lock:
                self.spent += finished - started
                self.last = finished

    def _remember(self, raw: Any) -> None:
        try:
            fd = int(raw.fileno())
            inode = os.fstat(fd).st_ino
        except Exception:  # a closed or broken connection: nothing to cut
            fd, inode = -1, -1
        with self.lock:
            self.socket.raw, self.socket.fd, self.socket.inode = raw, fd, inode

    def cut_if_due(self, now: float) -> float | None:
        """Cut the connection if the request has waited too long; return when to look
        again, or None once it is cut."""
        with self.lock:
            due = self.due()
            if due > now:
                return due
            self.cut = True
            _shut_down(self.socket.fd, self.socket.inode)
        log.warning(
            "A web request waited %.1f s for the database; its connection was cut",
            self.allowance,
        )
        return None


def _shut_down(fd: int, inode: int) -> None:
    """Shut the socket down for both directions: a thread blocked reading it wakes with
    an end of file at once. Works on a duplicate of the descriptor, checked to be the same
    socket, so a number the connection closed and another one reused is never touched."""
    if fd < 0:
        return
    try:
        duplicate = os.dup(fd)
    except OSError:
        return
    try:
        if os.fstat(duplicate).st_ino == inode:
            sock = socket.socket(fileno=duplicate)
            duplicate = -1  # closed with the socket object from here on
            with sock:
                sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    finally:
        if duplicate >= 0:
            os.close(duplicate)


class _Watchdog:
    """One thread per process, started with the first request, that sleeps until the
    earliest moment a watched request could have waited too long."""

    def __init__(self) -> None:
        self._condition = threading.Condition(threading.Lock())
        self._watches: set[_Watch] = set()
        self._wake_at = math.inf
        self._thread: threading.Thread | None = None

    def watch(self, watch: _Watch) -> None:
        with self._condition:
            self._watches.add(watch)
            # A forked process inherits the object but not the thread.
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._run, name="database-watchdog", daemon=True
                )
                self._thread.start()
            if watch.due() < self._wake_at:
                self._condition.notify()

    def forget(self, watch: _Watch) -> None:
        with self._condition:
            self._watches.discard(watch)

    def _run(self) -> None:
        with self._condition:
            while True:
                now = time.monotonic()
                wake_at = math.inf
                for watch in list(self._watches):
                    due = watch.cut_if_due(now)
                    if due is None:
                        self._watches.discard(watch)
                    else:
                        wake_at = min(wake_at, due)
                self._wake_at = wake_at
                self._condition.wait(None if wake_at == math.inf else wake_at - now)


_watchdog = _Watchdog()
_local = threading.local()


def _current_watch() -> _Watch | None:
    watch: _Watch | None = getattr(_local, "watch", None)
    return watch


@contextlib.contextmanager
def _limits() -> Iterator[None]:
    limit = _request_limit()
    _local.limit = limit
    connection = connections[DEFAULT_DB_ALIAS]
    try:
        if connection.vendor != "postgresql":
            yield
            return
        sock = getattr(_local, "socket", None)
        if sock is None:
            sock = _local.socket = _Socket()
        watch = _local.watch = _Watch(limit + CUT_GRACE_S, sock)
        with connection.execute_wrapper(watch):
            _watchdog.watch(watch)
            try:
                yield
            finally:
                _watchdog.forget(watch)
    finally:
        _local.limit = None
        _local.watch = None


def _limit_web_connection(sender: Any, connection: BaseDatabaseWrapper, **kwargs: Any) -> None:
    """A connection made during a web request gets the request limit on the server side
    (nothing else does: a worker's batch or a migration may take longer)."""
    limit: float | None = getattr(_local, "limit", None)
    if limit is None:
        return
    milliseconds = max(1, round(limit * 1000))
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"SET statement_timeout = {milliseconds:d}")
        elif connection.vendor == "sqlite":
            cursor.execute(f"PRAGMA busy_timeout = {milliseconds:d}")


connection_created.connect(_limit_web_connection, dispatch_uid="entrypoints.outage.limit")
