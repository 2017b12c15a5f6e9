"""Request bodies sent in chunks (`Transfer-Encoding: chunked`, no `Content-Length`) through
real servers on the test database: gunicorn, which says its input ends with the body, has
the body read to its end (and refused with 413 past the upload limit); the standard
library's server, which cannot say so, answers 411 at once. Either way a refused request
writes nothing."""

# make_user is a fixture imported from test_api, so a test's parameter redefines its name.
# ruff: noqa: F811

from __future__ import annotations

import http.client
import json
import os
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pytest
from django.conf import settings
from django.db import connection

from tests.integration.test_api import counts, make_user  # noqa: F401 (a fixture)
from tests.integration.test_celery import Process, Service, database_url
from tests.integration.test_run import free_port

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

READY_TIMEOUT_S = 60


class Served:
    """gunicorn serving the service on the test database, as the README runs it."""

    def __init__(self, home: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = dict(os.environ)
        env.update(
            BUDGET_HOME=str(home),
            DATABASE_URL=database_url(),
            DEBUG="1",
            BUDGET_ALLOW_INSECURE_KEY="1",
            DJANGO_SETTINGS_MODULE="entrypoints.settings",
            PYTHONUNBUFFERED="1",
        )
        argv = [sys.executable, "-m", "gunicorn", "entrypoints.wsgi:application"]
        argv += ["-b", f"127.0.0.1:{self.port}", "-w", "1"]
        # No cap on the request line: past gunicorn's (4094 bytes) gunicorn itself answers an
        # HTML 414 before the service sees the request, and these tests are about the
        # service's answers (the fuzz generates long query strings).
        argv += ["--limit-request-line", "0"]
        self.process = Process("gunicorn", argv, env, home / "gunicorn.log")
        deadline = time.monotonic() + READY_TIMEOUT_S
        while not self._answers():
            if self.process.popen.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"gunicorn did not start:\n{self.process.tail()}")
            time.sleep(0.2)

    def _answers(self) -> bool:
        try:
            return send(self.port, "GET", "/api/v1/openapi.json")[0] == 200
        except OSError:
            return False

    def stop(self) -> None:
        self.process.kill()
        # The test database is emptied (and on PostgreSQL dropped) after the test: wait until
        # the server's session is gone.
        if connection.vendor == "postgresql":
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and Service._other_sessions():
                time.sleep(0.1)


@pytest.fixture
def served(tmp_path: Path, transactional_db: None) -> Iterator[Served]:
    server = Served(tmp_path)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def token(make_user: Callable[..., Any]) -> str:
    from entrypoints.api.tokens import issue_token

    make_user("ops")
    return issue_token("ops")


def send(
    port: int,
    method: str,
    path: str,
    body: bytes | Iterable[bytes] | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, Any] | None]:
    """One request; an iterable body goes in chunks, one per item. The status and the JSON
    answer (None if it is not JSON)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        data = response.read()
        is_json = response.getheader("Content-Type", "").startswith("application/json")
        return response.status, json.loads(data) if is_json else None
    finally:
        conn.close()


def pieces(data: bytes, size: int) -> Iterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


def json_headers(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}


# -- gunicorn ------------------------------------------------------------------------------


def test_gunicorn_reads_a_chunked_body_to_its_end(served: Served, token: str) -> None:
    headers = json_headers(token)
    brand = json.dumps({"name": "Chunked", "timezone": "Europe/Paris"}).encode()
    status, created = send(served.port, "POST", "/api/v1/brands", pieces(brand, 7), headers)
    assert status == 201, created
    assert created is not None and created["name"] == "Chunked"
    campaign = {
        "brand_id": created["id"],
        "name": "Streamed",
        "daily_budget": "100",
        "monthly_budget": "1000",
        "start_date": "2020-01-01",
    }
    body = json.dumps(campaign).encode()
    status, made = send(served.port, "POST", "/api/v1/campaigns", pieces(body, 16), headers)
    assert status == 201, made
    assert made is not None
    events = [{"campaign_id": made["id"], "amount": "1.25", "key": f"evt-{i}"} for i in range(200)]
    body = json.dumps({"events": events}).encode()

    status, answer = send(served.port, "POST", "/api/v1/spend", pieces(body, 1000), headers)

    assert status == 200, answer
    assert answer is not None and answer["recorded"] == 200
    from adapters.django_orm.models import SpendEntry

    keys = sorted(SpendEntry.objects.filter(campaign_id=made["id"]).values_list("key", flat=True))
    assert keys == sorted(e["key"] for e in events)


def test_gunicorn_refuses_a_chunked_body_over_the_upload_limit_with_413(
    served: Served, token: str
) -> None:
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    assert limit is not None
    name = "x" * (limit + 1000 - len('{"name": ""}'))
    body = json.dumps({"name": name}).encode()
    before = counts()

    status, answer = send(
        served.port, "POST", "/api/v1/brands", pieces(body, 64 * 1024), json_headers(token)
    )

    assert status == 413, answer
    assert answer is not None and [e["field"] for e in answer["errors"]] == ["body"]
    assert counts() == before


# -- the standard library's server ---------------------------------------------------------


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def wsgiref_port(transactional_db: None) -> Iterator[int]:
    from django.core.wsgi import get_wsgi_application

    server: WSGIServer = make_server("127.0.0.1", 0, get_wsgi_application(), handler_class=_Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_port
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def test_the_standard_librarys_server_answers_a_chunked_body_with_411(
    wsgiref_port: int, token: str
) -> None:
    before = counts()
    conn = http.client.HTTPConnection("127.0.0.1", wsgiref_port, timeout=60)
    try:
        # Headers only: the server refuses before it would read any of the body.
        conn.putrequest("POST", "/api/v1/brands")
        for name, value in json_headers(token).items():
            conn.putheader(name, value)
        conn.putheader("Transfer-Encoding", "chunked")
        conn.endheaders()
        response = conn.getresponse()
        status, answer = response.status, json.loads(response.read())
    finally:
        conn.close()

    assert status == 411, answer
    assert [e["field"] for e in answer["errors"]] == ["Content-Length"]
    assert counts() == before
