"""Log lines for people and for log collectors.

`LOG_FORMAT=text` writes one readable line per record; `LOG_FORMAT=json` one JSON object per
line (time, level, logger, message, process, and the record's own fields). Every process
(web, worker, beat, commands) logs through the same configuration, `logging_config()`, which
the settings install as LOGGING and gunicorn as its own.

What is logged once per unit of work:
- an HTTP request: `RequestLogMiddleware`, logger `budget.request` (method, path, status,
  duration_ms, bytes, remote_addr, and the API token's user);
- a Celery task: `connect_celery()`, logger `budget.task` (task, task_id, state,
  duration_ms, retries, and the counts the task returned), in JSON only: in text, Celery's
  own "received" and "succeeded in" lines say the same for a person;
- a sweep: `entrypoints.metrics.observe_sweep`, logger `budget.sweep`."""

from __future__ import annotations

import json
import logging
import logging.config
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from django.http import HttpRequest, HttpResponseBase

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
FORMATS = ("text", "json")

# The attributes every LogRecord has; anything else on a record came from `extra=`.
_RECORD_ATTRIBUTES = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """One JSON object per record, on one line: `time` (UTC, milliseconds), `level`,
    `logger`, `message`, `process`, then the fields passed with `extra=`, and `exception`
    (the formatted traceback) when there is one. Values JSON cannot hold are written as
    their str()."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC)
            .isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "process": record.process,
        }
        for key, value in vars(record).items():
            if key not in _RECORD_ATTRIBUTES and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


def logging_config(log_format: str, level: str) -> dict[str, Any]:
    """The `logging.config.dictConfig` configuration of every process: one handler on
    stderr, in `log_format` ("text" or "json"), at `level` for the root logger."""
    if log_format not in FORMATS:
        raise ValueError(f"LOG_FORMAT must be one of {', '.join(FORMATS)}, not {log_format!r}")
    formatter: dict[str, Any] = {"format": TEXT_FORMAT}
    if log_format == "json":
        formatter = {"()": "entrypoints.logs.JsonFormatter"}
    quiet_in_json = "WARNING" if log_format == "json" else "INFO"
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"default": formatter},
        "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "default"}},
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            # Django's own console handler (DEBUG only) would print its records twice.
            "django": {"handlers": [], "level": "INFO", "propagate": True},
            # gunicorn's own messages go through the root handler. Its access log goes
            # nowhere: RequestLogMiddleware writes the request line, with more in it.
            "gunicorn.error": {"handlers": [], "propagate": True},
            "gunicorn.access": {"handlers": [], "propagate": False},
            # A second line per 4xx answer; the request line already has the status. Server
            # errors (with their traceback) still come through.
            "django.request": {"level": "ERROR"},
            # Celery's "received" and "succeeded in" lines: in JSON the `budget.task` line
            # replaces them, so that a task is one line.
            "celery.app.trace": {"level": quiet_in_json},
            "celery.worker.strategy": {"level": quiet_in_json},
        },
    }


# -- requests -----------------------------------------------------------------------------

request_log = logging.getLogger("budget.request")


class RequestLogMiddleware:
    """Logs one line per request once its answer is ready: the outermost middleware, so
    that it sees every answer, static files and error pages included."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        started = time.perf_counter()
        response = self.get_response(request)
        duration_ms = round((time.perf_counter() - started) * 1000, 2)
        length = response.get("Content-Length")
        size = int(length) if length is not None else None
        if size is None and not response.streaming:
            size = len(response.content)  # type: ignore[attr-defined]
        fields = {
            "method": request.method,
            "path": request.path,
            "status": response.status_code,
            "duration_ms": duration_ms,
            "bytes": size,
            "remote_addr": request.META.get("REMOTE_ADDR"),
            "user": _username(request),
        }
        request_log.info(
            "%s %s %s %.1f ms",
            request.method,
            request.get_full_path(),
            response.status_code,
            duration_ms,
            extra=fields,
        )
        return response


def _username(request: HttpRequest) -> str | None:
    # The API's bearer token sets request.auth. (request.user is not asked: for a request
    # whose view never did, that would load the session from the database just to log.)
    who = getattr(request, "auth", None)
    if who is not None and getattr(who, "is_authenticated", False):
        return str(who.get_username())
    return None


# -- Celery ---------------------------------------------------------------------------------

task_log = logging.getLogger("budget.task")
_started: dict[str, float] = {}


def connect_celery() -> None:
    """Make the Celery worker and beat log through the settings' LOGGING (Celery otherwise
    replaces the root logger's handlers with its own format), and, in JSON, write one line
    per finished task. Safe to call more than once."""
    from celery import signals

    signals.setup_logging.connect(_use_django_logging, weak=False, dispatch_uid="budget-logs")
    signals.task_prerun.connect(_task_started, weak=False, dispatch_uid="budget-task-start")
    signals.task_postrun.connect(_task_finished, weak=False, dispatch_uid="budget-task-end")


def _use_django_logging(loglevel: int | str | None = None, **kwargs: Any) -> None:
    from django.conf import settings

    logging.config.dictConfig(settings.LOGGING)
    if loglevel:  # `celery worker -l INFO` wins over LOG_LEVEL, as it does without us
        logging.getLogger().setLevel(loglevel)


def _task_started(task_id: str | None = None, **kwargs: Any) -> None:
    if task_id is not None:
        _started[task_id] = time.perf_counter()


def _task_finished(
    task_id: str | None = None,
    task: Any = None,
    retval: Any = None,
    state: str | None = None,
    **kwargs: Any,
) -> None:
    started = _started.pop(task_id, None) if task_id is not None else None
    from django.conf import settings

    if settings.LOG_FORMAT != "json":
        return
    took = None if started is None else (time.perf_counter() - started) * 1000
    fields: dict[str, Any] = {
        "task": getattr(task, "name", None),
        "task_id": task_id,
        "state": state,
        "duration_ms": None if took is None else round(took, 2),
        "retries": getattr(getattr(task, "request", None), "retries", None),
    }
    if isinstance(retval, dict):
        fields.update({k: v for k, v in retval.items() if isinstance(v, int) and k not in fields})
    level = logging.INFO if state == "SUCCESS" else logging.WARNING
    if state == "FAILURE":
        level = logging.ERROR
    task_log.log(level, "task %s[%s] %s", fields["task"], task_id, state, extra=fields)
