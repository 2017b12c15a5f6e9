"""A database outage answers 503, never 500, through Django's test client on the database the
suite runs on: the API with its JSON error naming the database, the admin and any other page
with the error page, also when the error comes from outside a view; genuine database bugs
stay 500; the request limits hold (SQLite's busy timeout, PostgreSQL's statement timeout and
the watchdog that cuts a connection the server does not answer on), and apply to web
requests only. The same under a real restart and freeze, against a served process:
test_faults_http.py."""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import IntegrityError, OperationalError, ProgrammingError, connection
from django.http import HttpRequest, HttpResponse
from django.test import Client, override_settings
from django.urls import path

from .services import free_port
from .test_celery import make_campaign, use_cases

pytestmark = pytest.mark.django_db(transaction=True)


def _touch_session(request: HttpRequest) -> HttpResponse:
    request.session["seen"] = True  # saved by the session middleware, after the view
    return HttpResponse("ok")


# For the tests of errors raised outside a view (ROOT_URLCONF is set to this module).
urlpatterns = [
    path("page/touch-session", _touch_session),
    path("api/touch-session", _touch_session),
]


@pytest.fixture
def operator() -> User:
    return User.objects.create(username="olivia", is_staff=True, is_superuser=True)


@pytest.fixture
def token(operator: User) -> str:
    from entrypoints.api.tokens import issue_token

    return issue_token(operator.username)


@contextlib.contextmanager
def unreachable_database() -> Iterator[None]:
    """The database made unreachable for what follows in this thread: PostgreSQL on a port
    where nothing listens, SQLite in a folder that does not exist."""
    settings = connection.settings_dict
    saved = dict(settings)
    connection.close()
    if connection.vendor == "postgresql":
        settings.update(HOST="127.0.0.1", PORT=str(free_port()))
    else:
        settings["NAME"] = "/nonexistent-folder/db.sqlite3"
    try:
        yield
    finally:
        connection.close()
        settings.clear()
        settings.update(saved)


@contextlib.contextmanager
def failing_queries(error: Exception, when: Callable[[str], bool] = lambda sql: True):
    """Every query (for which `when(sql)` holds) raises `error`, as the driver would."""

    def fail(execute: Callable[..., Any], sql: str, *args: Any) -> Any:
        if when(sql):
            raise error
        return execute(sql, *args)

    with connection.execute_wrapper(fail):
        yield


def assert_api_outage(response: Any) -> None:
    assert response.status_code == 503, response.content
    assert response["Retry-After"] == "5"
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"detail", "errors"}
    assert "database" in body["detail"]
    assert [e["field"] for e in body["errors"]] == ["database"]


def assert_outage_page(response: Any) -> None:
    assert response.status_code == 503, response.content
    assert response["Retry-After"] == "5"
    assert response["Content-Type"].startswith("text/html")
    page = response.content.decode()
    assert "Service unavailable" in page
    assert "The database" in page
    assert "admin/css/base.css" in page


# -- what an outage answers -----------------------------------------------------------------


def test_an_api_request_while_the_database_is_unreachable_answers_503_naming_the_database(
    token: str,
) -> None:
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    with unreachable_database():
        response = client.get("/api/v1/campaigns?brand_id=1")
    assert_api_outage(response)
    assert response.json()["errors"][0]["message"] == "the database cannot be reached"

    assert client.get("/api/v1/campaigns?brand_id=1").status_code == 200  # back by itself


def test_a_spend_batch_while_the_database_is_unreachable_answers_503_and_records_nothing(
    token: str,
) -> None:
    from adapters.django_orm.models import SpendEntry

    campaign_id = make_campaign(use_cases())
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    body = {"events": [{"campaign_id": campaign_id, "amount": "1.5", "key": "k-1"}]}
    # Past the token check, the database goes away as the batch is written.
    with failing_queries(
        OperationalError("server closed the connection unexpectedly"),
        when=lambda sql: "INSERT" in sql,
    ):
        response = client.post("/api/v1/spend", body, content_type="application/json")
    assert_api_outage(response)
    assert SpendEntry.objects.count() == 0

    response = client.post("/api/v1/spend", body, content_type="application/json")
    assert response.status_code == 200
    assert [r["outcome"] for r in response.json()["results"]] == ["recorded"]


@pytest.mark.parametrize("bug", [IntegrityError("duplicate key"), ProgrammingError("bad SQL")])
def test_a_genuine_database_bug_in_the_api_still_answers_500(token: str, bug: Exception) -> None:
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    with failing_queries(bug, when=lambda sql: "campaign" in sql.lower()):
        response = client.get("/api/v1/campaigns?brand_id=1")
    assert response.status_code == 500
    assert response.json()["detail"] == "Internal error."


def test_the_admin_while_the_database_is_unreachable_shows_the_error_page_with_503(
    operator: User,
) -> None:
    client = Client()
    client.force_login(operator)
    with unreachable_database():
        response = client.get("/admin/")
    assert_outage_page(response)
    assert "The database cannot be reached." in response.content.decode()

    assert client.get("/admin/").status_code == 200  # back by itself


@pytest.mark.parametrize("debug", [False, True], ids=["production", "debug"])
@pytest.mark.parametrize("where", ["page", "api"])
def test_an_outage_outside_any_view_answers_503_too(where: str, debug: bool) -> None:
    """The session is saved by its middleware after the view has answered: a database error
    there never reaches the view's error handling, in production or with DEBUG on."""
    client = Client(raise_request_exception=False)
    outage = OperationalError("could not connect to server")
    with (
        override_settings(ROOT_URLCONF=__name__, DEBUG=debug),
        failing_queries(outage, when=lambda sql: "django_session" in sql),
    ):
        response = client.get(f"/{where}/touch-session")
    if where == "api":
        assert_api_outage(response)
    else:
        assert_outage_page(response)
        assert response["X-Content-Type-Options"] == "nosniff"  # security headers kept


def test_a_genuine_database_bug_outside_any_view_still_answers_500() -> None:
    client = Client(raise_request_exception=False)
    with (
        override_settings(ROOT_URLCONF=__name__),
        failing_queries(ProgrammingError("bad SQL"), when=lambda sql: "django_session" in sql),
    ):
        response = client.get("/page/touch-session")
    assert response.status_code == 500


# -- the limits -----------------------------------------------------------------------------


def _connection_setting(sql: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return str(cursor.fetchone()[0])


@pytest.mark.sqlite
def test_a_locked_sqlite_database_answers_503_after_the_request_limit_then_recovers(
    token: str,
) -> None:
    campaign_id = make_campaign(use_cases())
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    body = {"events": [{"campaign_id": campaign_id, "amount": "2", "key": "locked-1"}]}
    writer = sqlite3.connect(connection.settings_dict["NAME"], isolation_level=None)
    connection.close()  # the request opens its own connection, as a served one does
    try:
        writer.execute("BEGIN IMMEDIATE")  # another process holds the write lock
        with override_settings(DB_REQUEST_TIMEOUT=0.3):
            response = client.post("/api/v1/spend", body, content_type="application/json")
            # The connection the request made waits 0.3 s at most for the lock.
            assert _connection_setting("PRAGMA busy_timeout") == "300"
        assert_api_outage(response)
        assert response.json()["errors"][0]["message"] == "the database is busy with other writers"
    finally:
        writer.rollback()
        writer.close()

    connection.close()
    assert _connection_setting("PRAGMA busy_timeout") == "30000"  # outside a request: as set
    response = client.post("/api/v1/spend", body, content_type="application/json")
    assert response.status_code == 200
    assert response.json()["recorded"] == 1


@contextlib.contextmanager
def campaign_row_locked(campaign_id: int) -> Iterator[None]:
    """Another session holds the campaign's row lock until the block ends (or for a minute
    at most, so that a request nothing stops waits that long rather than forever)."""
    import psycopg

    from .test_celery import database_url

    with psycopg.connect(database_url()) as other:
        other.execute("SELECT id FROM budget_campaign WHERE id = %s FOR UPDATE", [campaign_id])
        backstop = threading.Timer(60, other.rollback)
        backstop.start()
        try:
            yield
        finally:
            backstop.cancel()
            other.rollback()


@pytest.mark.postgres
def test_a_statement_slower_than_the_request_limit_is_cancelled_by_the_server_503(
    token: str,
) -> None:
    from adapters.django_orm.models import SpendEntry

    campaign_id = make_campaign(use_cases())
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    body = {"events": [{"campaign_id": campaign_id, "amount": "2", "key": "slow-1"}]}
    connection.close()  # the request opens its own connection, as a served one does
    with campaign_row_locked(campaign_id), override_settings(DB_REQUEST_TIMEOUT=0.5):
        response = client.post("/api/v1/spend", body, content_type="application/json")
        assert _connection_setting("SHOW statement_timeout") == "500ms"
    assert_api_outage(response)
    assert response.json()["errors"][0]["message"] == "the database did not answer within 0.5 s"

    # The server cancelled the statement; the same connection goes on.
    response = client.post("/api/v1/spend", body, content_type="application/json")
    assert response.status_code == 200
    assert list(SpendEntry.objects.values_list("key", flat=True)) == ["slow-1"]
    connection.close()
    assert _connection_setting("SHOW statement_timeout") == "0"  # outside a request


@pytest.mark.postgres
def test_a_connection_the_server_does_not_answer_on_is_cut_and_the_request_answers_503(
    token: str,
) -> None:
    """This connection was made outside any request, so the server has no statement
    timeout for it: only the watchdog ends the wait, by cutting the socket (as it does for
    a frozen server, where no server-side limit can fire)."""
    from adapters.django_orm.models import SpendEntry

    campaign_id = make_campaign(use_cases())
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    body = {"events": [{"campaign_id": campaign_id, "amount": "2", "key": "cut-1"}]}
    assert _connection_setting("SHOW statement_timeout") == "0"
    with campaign_row_locked(campaign_id), override_settings(DB_REQUEST_TIMEOUT=0.2):
        response = client.post("/api/v1/spend", body, content_type="application/json")
    assert_api_outage(response)
    assert response.json()["errors"][0]["message"] == "the database did not answer within 0.2 s"
    connection.close()  # what Django does with a broken connection at the request's end

    response = client.post("/api/v1/spend", body, content_type="application/json")
    assert response.status_code == 200
    assert response.json()["recorded"] == 1
    assert list(SpendEntry.objects.values_list("key", flat=True)) == ["cut-1"]
