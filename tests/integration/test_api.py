"""The HTTP JSON API over HTTP (Django test client): every endpoint, every status code, and
every bad input of SPEC §5, on the database the suite runs on."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from dependency_injector import providers

# The unit of work runs a durable transaction, which cannot nest in the per-test transaction
# of a plain `django_db` test: tests whose requests reach a use case empty the database after
# the test instead.
pytestmark = pytest.mark.django_db(transaction=True)
# A refused request never reaches a unit of work, so refusals are checked in a plain (cheap)
# test transaction; a refusal that wrongly went on to write would fail loudly there, with the
# nested durable transaction refused.
refusal = pytest.mark.django_db
# Ids that name nothing; a refusal is decided before anything is looked up.
ANY_ID = 1

# A Friday in June, far from DST changes.
NOW = datetime(2026, 6, 12, 10, 0, tzinfo=UTC)
ERROR_KEYS = {"detail", "errors"}


class Api:
    """A client speaking JSON to /api/v1 with a bearer token."""

    def __init__(self, token: str | None) -> None:
        from django.test import Client

        headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
        self.client = Client(**headers)

    def call(self, method: str, path: str, body: Any = None, *, raw: str | bytes | None = None):
        url = path if path.startswith("/") else f"/api/v1/{path}"
        send = getattr(self.client, method.lower())
        if raw is not None:
            response = send(url, data=raw, content_type="application/json")
        elif body is not None:
            response = send(url, data=json.dumps(body), content_type="application/json")
        elif method in ("GET", "HEAD"):
            response = send(url)
        else:  # no body at all (the test client's post() would send an empty form)
            response = self.client.generic(method, url)
        if response.status_code >= 400:
            assert response["Content-Type"].startswith("application/json"), response.content
            payload = response.json()
            assert set(payload) == ERROR_KEYS, payload
            assert all(set(e) == {"field", "message"} for e in payload["errors"])
        return response

    def get(self, path: str):
        return self.call("GET", path)

    def post(self, path: str, body: Any = None, *, raw: str | bytes | None = None):
        return self.call("POST", path, body, raw=raw)

    def patch(self, path: str, body: Any = None, *, raw: str | bytes | None = None):
        return self.call("PATCH", path, body, raw=raw)

    def put(self, path: str, body: Any = None, *, raw: str | bytes | None = None):
        return self.call("PUT", path, body, raw=raw)


def fields(response) -> list[str]:
    return [e["field"] for e in response.json()["errors"]]


def counts() -> dict[str, int]:
    """Rows in every table a request can write, in one query."""
    from django.db import connection

    from adapters.django_orm import models

    tables = {
        "brands": models.Brand,
        "campaigns": models.Campaign,
        "windows": models.Window,
        "ledger": models.SpendEntry,
        "audit": models.StatusChange,
        "alerts": models.Alert,
    }
    quote = connection.ops.quote_name
    sql = "SELECT " + ", ".join(
        f"(SELECT COUNT(*) FROM {quote(m._meta.db_table)})" for m in tables.values()
    )
    with connection.cursor() as cursor:
        cursor.execute(sql)
        row = cursor.fetchone()
    return dict(zip(tables, row, strict=True))


@pytest.fixture
def clock() -> Iterator[Any]:
    from adapters.in_memory.clock import FixedClock
    from entrypoints.container import get_container

    fixed = FixedClock(NOW)
    with get_container().clock.override(providers.Object(fixed)):
        yield fixed


@pytest.fixture
def make_user() -> Callable[..., Any]:
    from django.contrib.auth.models import Permission, User
    from django.contrib.contenttypes.models import ContentType

    from entrypoints.api.models import ApiToken

    # Emptying the database after a test removes the permissions too.
    use_api, _ = Permission.objects.get_or_create(
        codename="use_api",
        content_type=ContentType.objects.get_for_model(ApiToken),
        defaults={"name": "Can use the HTTP API"},
    )

    def make(username: str = "ops", *, may_use_api: bool = True, **flags: Any) -> User:
        user = User.objects.create_user(username=username, **flags)
        if may_use_api:
            user.user_permissions.add(use_api)
        return user

    return make


@pytest.fixture
def api(clock: Any, make_user: Callable[..., Any]) -> Api:
    from entrypoints.api.tokens import issue_token

    make_user("ops")
    return Api(issue_token("ops"))


@pytest.fixture
def brand(api: Api) -> dict[str, Any]:
    response = api.post("brands", {"name": "Acme", "timezone": "Europe/Paris"})
    assert response.status_code == 201, response.content
    return response.json()


def campaign_body(brand_id: int, /, **changes: Any) -> dict[str, Any]:
    body = {
        "brand_id": brand_id,
        "name": "Summer sale",
        "daily_budget": "100.00",
        "monthly_budget": "1000",
        "start_date": "2026-06-01",
    }
    body.update(changes)
    return body


@pytest.fixture
def campaign(api: Api, brand: dict[str, Any]) -> dict[str, Any]:
    response = api.post("campaigns", campaign_body(brand["id"]))
    assert response.status_code == 201, response.content
    return response.json()


@pytest.fixture
def live(api: Api, campaign: dict[str, Any]) -> dict[str, Any]:
    response = api.post(f"campaigns/{campaign['id']}/launch")
    assert response.status_code == 200, response.content
    return response.json()


def spend(api: Api, *events: dict[str, Any]):
    return api.post("spend", {"events": list(events)})


# -- authentication and permission -----------------------------------------------------------


def test_a_request_without_a_token_is_401_with_a_bearer_challenge(api: Api) -> None:
    response = Api(None).get("brands/1")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"


@pytest.mark.parametrize(
    "header",
    [
        "Bearer not-a-token",
        "Bearer ",
        "Basic b3BzOnNlY3JldA==",
        "Token abc",
        "Bearer " + "x" * 5000,
    ],
)
@refusal
def test_a_wrong_token_is_401(api: Api, header: str) -> None:
    from django.test import Client

    response = Client(HTTP_AUTHORIZATION=header).get("/api/v1/brands/1")
    assert response.status_code == 401
    assert response.json()["detail"]


def test_a_revoked_token_is_401(clock: Any, make_user: Callable[..., Any]) -> None:
    from entrypoints.api.models import ApiToken
    from entrypoints.api.tokens import issue_token, revoke

    make_user("ops")
    token = issue_token("ops")
    assert Api(token).get("campaigns").status_code == 200
    assert revoke(ApiToken.objects.all()) == 1
    assert Api(token).get("campaigns").status_code == 401


def test_only_the_hash_of_a_token_is_stored(clock: Any, make_user: Callable[..., Any]) -> None:
    import hashlib

    from entrypoints.api.models import ApiToken
    from entrypoints.api.tokens import issue_token

    make_user("ops")
    token = issue_token("ops", "platform feed")
    row = ApiToken.objects.get()
    assert row.key_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in {row.key_hash, row.name, row.prefix}
    assert len(token) >= 40


def test_issuing_a_token_for_an_unknown_user_fails(transactional_db: None) -> None:
    from entrypoints.api.tokens import UnknownUser, issue_token

    with pytest.raises(UnknownUser):
        issue_token("nobody")


def test_the_token_of_an_inactive_user_is_401(clock: Any, make_user: Callable[..., Any]) -> None:
    from entrypoints.api.tokens import issue_token

    user = make_user("ops")
    token = issue_token("ops")
    user.is_active = False
    user.save()
    assert Api(token).get("campaigns").status_code == 401


@pytest.mark.parametrize("flags", [{}, {"is_staff": True}])
@refusal
def test_a_user_without_the_api_permission_is_403(
    clock: Any, make_user: Callable[..., Any], flags: dict[str, bool]
) -> None:
    from entrypoints.api.tokens import issue_token

    make_user("viewer", may_use_api=False, **flags)
    api = Api(issue_token("viewer"))
    assert api.get("campaigns").status_code == 403
    response = api.post("brands", {"name": "Nope"})
    assert response.status_code == 403
    assert counts()["brands"] == 0


def test_a_superuser_may_use_the_api(clock: Any, make_user: Callable[..., Any]) -> None:
    from entrypoints.api.tokens import issue_token

    make_user("root", may_use_api=False, is_superuser=True)
    assert Api(issue_token("root")).get("campaigns").status_code == 200


def test_the_openapi_document_and_the_docs_are_served(api: Api) -> None:
    response = Api(None).get("/api/v1/openapi.json")
    assert response.status_code == 200
    document = response.json()
    paths = document["paths"]
    for path in (
        "/api/v1/brands",
        "/api/v1/brands/{brand_id}",
        "/api/v1/campaigns",
        "/api/v1/campaigns/{campaign_id}",
        "/api/v1/campaigns/{campaign_id}/launch",
        "/api/v1/campaigns/{campaign_id}/pause",
        "/api/v1/campaigns/{campaign_id}/resume",
        "/api/v1/campaigns/{campaign_id}/schedule",
        "/api/v1/spend",
        "/api/v1/reports/spend",
    ):
        assert path in paths
    assert "bearer" in json.dumps(document["components"]["securitySchemes"]).lower()
    docs = Api(None).get("/api/v1/docs")
    assert docs.status_code == 200
    assert docs["Content-Type"].startswith("text/html")


def test_unknown_urls_and_methods_under_api_answer_json(api: Api) -> None:
    for path in ("/api/v1/nothing", "/api/", "/api/v2/brands", "/api/v1/brands/1/extra"):
        response = api.get(path)
        assert response.status_code == 404, path
    response = api.call("DELETE", "brands/1")
    assert response.status_code == 405
    assert "GET" in response["Allow"]


# -- brands ----------------------------------------------------------------------------------


def test_creating_a_brand_answers_201_with_the_brand(api: Api) -> None:
    response = api.post(
        "brands",
        {
            "name": "Acme",
            "timezone": "America/New_York",
            "currency": "eur",
            "daily_budget": 500,
            "monthly_budget": "10000.5",
            "is_active": True,
        },
    )
    assert response.status_code == 201
    body = response.json()
    assert body == {
        "id": body["id"],
        "name": "Acme",
        "timezone": "America/New_York",
        "currency": "EUR",
        "is_active": True,
        "daily_budget": "500",
        "monthly_budget": "10000.5",
        "daily_spend": "0",
        "monthly_spend": "0",
    }
    assert api.get(f"brands/{body['id']}").json() == body


def test_a_brand_defaults_to_utc_and_usd_without_budgets(api: Api) -> None:
    body = api.post("brands", {"name": "Plain"}).json()
    assert (body["timezone"], body["currency"]) == ("UTC", "USD")
    assert body["daily_budget"] is None and body["monthly_budget"] is None


def test_an_unknown_brand_is_404(api: Api) -> None:
    response = api.get("brands/999")
    assert response.status_code == 404
    assert fields(response) == ["brand_id"]


@pytest.mark.parametrize("brand_id", ["abc", "0", "-1", "1.5", str(2**70)])
@refusal
def test_a_brand_id_that_is_not_an_id_is_422(api: Api, brand_id: str) -> None:
    response = api.get(f"brands/{brand_id}")
    assert response.status_code == 422
    assert fields(response) == ["brand_id"]


def test_a_taken_brand_name_is_409(api: Api, brand: dict[str, Any]) -> None:
    response = api.post("brands", {"name": "Acme"})
    assert response.status_code == 409
    assert fields(response) == ["name"]


BAD_AMOUNTS = [
    pytest.param("-5", id="negative"),
    pytest.param("0", id="zero"),
    pytest.param("NaN", id="nan-string"),
    pytest.param("Infinity", id="infinity-string"),
    pytest.param("-Infinity", id="minus-infinity-string"),
    pytest.param("abc", id="non-numeric"),
    pytest.param("", id="empty"),
    pytest.param("1.0000001", id="seven-places"),
    pytest.param("1e400", id="huge"),
    pytest.param(True, id="boolean"),
    pytest.param([1], id="list"),
]
# Written into the JSON text as is: numbers and the non-standard constants.
BAD_RAW_AMOUNTS = [
    pytest.param("-5", id="negative-number"),
    pytest.param("0", id="zero-number"),
    pytest.param("0.0000001", id="over-precise-number"),
    pytest.param("NaN", id="nan-literal"),
    pytest.param("Infinity", id="infinity-literal"),
    pytest.param("-Infinity", id="minus-infinity-literal"),
    pytest.param("1e999", id="huge-number"),
]


@pytest.mark.parametrize("amount", BAD_AMOUNTS)
@refusal
def test_a_bad_brand_budget_is_422_naming_it(api: Api, amount: Any) -> None:
    before = counts()
    response = api.post("brands", {"name": "Acme", "daily_budget": amount})
    assert response.status_code == 422
    assert fields(response) == ["daily_budget"]
    assert counts() == before


@pytest.mark.parametrize("amount", BAD_RAW_AMOUNTS)
@refusal
def test_a_bad_brand_budget_number_is_422_naming_it(api: Api, amount: str) -> None:
    response = api.post("brands", raw='{"name": "Acme", "monthly_budget": ' + amount + "}")
    assert response.status_code == 422
    assert fields(response) == ["monthly_budget"]
    assert counts()["brands"] == 0


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "Acme", "timezone": "Mars/Olympus_Mons"}, "timezone"),
        ({"name": "Acme", "timezone": ""}, "timezone"),
        ({"name": "Acme", "currency": "dollars"}, "currency"),
        ({"name": ""}, "name"),
        ({"name": "   "}, "name"),
        ({"name": "x" * 201}, "name"),
        ({"name": "bad\x00name"}, "name"),
        ({"name": 5}, "name"),
        ({}, "name"),
        ({"name": "Acme", "is_active": "yes"}, "is_active"),
        ({"name": "Acme", "colour": "red"}, "colour"),
    ],
)
@refusal
def test_bad_brand_fields_are_422_naming_the_field(api: Api, body: dict, field: str) -> None:
    response = api.post("brands", body)
    assert response.status_code == 422
    assert field in fields(response)
    assert counts()["brands"] == 0


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param('{"name": "Acme"', id="truncated"),
        pytest.param("name=Acme", id="form"),
        pytest.param(b'{"name": "\xff"}', id="not-utf8"),
        pytest.param("[" * 100_000 + "]" * 100_000, id="too-deep"),
        pytest.param('{"name": 1' + "0" * 5000 + "}", id="integer-too-long"),
    ],
)
@refusal
def test_malformed_json_is_400_and_writes_nothing(api: Api, raw: str | bytes) -> None:
    response = api.post("brands", raw=raw)
    assert response.status_code == 400
    assert fields(response) == ["body"]
    assert counts()["brands"] == 0


@pytest.mark.parametrize("raw", ["[]", '"Acme"', "null", "42", ""])
@refusal
def test_a_body_that_is_not_an_object_is_422(api: Api, raw: str) -> None:
    response = api.post("brands", raw=raw)
    assert response.status_code == 422
    assert counts()["brands"] == 0


# -- campaigns -------------------------------------------------------------------------------


def test_a_new_campaign_is_a_draft_answered_201(api: Api, brand: dict[str, Any]) -> None:
    windows = [{"day_of_week": 5, "start_time": "22:00", "end_time": "02:00"}]
    response = api.post(
        "campaigns",
        campaign_body(brand["id"], end_date="2026-06-30", windows=windows, daily_budget=100.5),
    )
    assert response.status_code == 201
    body = response.json()
    assert body == {
        "id": body["id"],
        "brand_id": brand["id"],
        "name": "Summer sale",
        "state": "draft",
        "status": "draft",
        "holds": ["OUTSIDE_SCHEDULE"],
        "daily_budget": "100.5",
        "monthly_budget": "1000",
        "daily_spend": "0",
        "monthly_spend": "0",
        "start_date": "2026-06-01",
        "end_date": "2026-06-30",
        "windows": windows,
    }
    assert api.get(f"campaigns/{body['id']}").json() == body


def test_a_campaign_of_an_unknown_brand_is_404(api: Api) -> None:
    response = api.post("campaigns", campaign_body(999))
    assert response.status_code == 404
    assert fields(response) == ["brand_id"]
    assert counts()["campaigns"] == 0


def test_a_campaign_name_taken_within_the_brand_is_409(api: Api, campaign: dict[str, Any]) -> None:
    response = api.post("campaigns", campaign_body(campaign["brand_id"]))
    assert response.status_code == 409
    assert fields(response) == ["name"]


@pytest.mark.parametrize("amount", BAD_AMOUNTS)
@refusal
def test_a_bad_campaign_budget_is_422_naming_it(api: Api, amount: Any) -> None:
    response = api.post("campaigns", campaign_body(ANY_ID, monthly_budget=amount))
    assert response.status_code == 422
    assert fields(response) == ["monthly_budget"]
    assert counts()["campaigns"] == 0


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"end_date": "2026-05-31"}, "end_date"),
        ({"start_date": "2026-02-30"}, "start_date"),
        ({"start_date": "tomorrow"}, "start_date"),
        ({"start_date": 20260601}, "start_date"),
        ({"start_date": "1999-12-31"}, "start_date"),
        ({"end_date": "9999-12-31"}, "end_date"),
        ({"brand_id": "1"}, "brand_id"),
        ({"brand_id": 0}, "brand_id"),
        ({"brand_id": 2**63}, "brand_id"),
        ({"name": None}, "name"),
        ({"daily_budget": None}, "daily_budget"),
    ],
)
@refusal
def test_bad_campaign_fields_are_422_naming_the_field(api: Api, changes: dict, field: str) -> None:
    response = api.post("campaigns", campaign_body(ANY_ID, **changes))
    assert response.status_code == 422
    assert field in fields(response)
    assert counts()["campaigns"] == 0


BAD_WINDOWS = [
    pytest.param({"day_of_week": 5, "start_time": "24:00", "end_time": "02:00"}, "start_time"),
    pytest.param({"day_of_week": 5, "start_time": "22:60", "end_time": "02:00"}, "start_time"),
    pytest.param({"day_of_week": 5, "start_time": "22:00", "end_time": "99:00"}, "end_time"),
    pytest.param({"day_of_week": 5, "start_time": "10 pm", "end_time": "02:00"}, "start_time"),
    pytest.param({"day_of_week": 0, "start_time": "22:00", "end_time": "02:00"}, "day_of_week"),
    pytest.param({"day_of_week": 8, "start_time": "22:00", "end_time": "02:00"}, "day_of_week"),
    pytest.param({"start_time": "22:00", "end_time": "02:00"}, "day_of_week"),
]


@pytest.mark.parametrize(("window", "field"), BAD_WINDOWS)
@refusal
def test_a_window_out_of_range_is_422_naming_it(api: Api, window: dict, field: str) -> None:
    response = api.post("campaigns", campaign_body(ANY_ID, windows=[window]))
    assert response.status_code == 422
    assert fields(response) == [f"windows[0].{field}"]
    assert counts()["campaigns"] == 0


def test_campaigns_are_listed_by_brand_and_status_a_page_at_a_time(api: Api) -> None:
    acme = api.post("brands", {"name": "Acme"}).json()["id"]
    other = api.post("brands", {"name": "Other"}).json()["id"]
    ids = [api.post("campaigns", campaign_body(acme, name=f"c{i}")).json()["id"] for i in range(5)]
    api.post("campaigns", campaign_body(other, name="elsewhere"))
    for campaign_id in ids[:2]:
        api.post(f"campaigns/{campaign_id}/launch")

    page = api.get(f"campaigns?brand_id={acme}&limit=2&offset=1").json()
    assert [c["id"] for c in page["items"]] == ids[1:3]
    assert (page["count"], page["limit"], page["offset"]) == (5, 2, 1)
    active = api.get(f"campaigns?brand_id={acme}&status=active").json()
    assert [c["id"] for c in active["items"]] == ids[:2]
    drafts = api.get("campaigns?status=draft").json()
    assert drafts["count"] == 4
    assert api.get("campaigns?brand_id=999").json()["count"] == 0
    assert len(api.get("campaigns").json()["items"]) == 6


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("status=running", "status"),
        ("brand_id=abc", "brand_id"),
        ("limit=0", "limit"),
        ("limit=1001", "limit"),
        ("offset=-1", "offset"),
    ],
)
@refusal
def test_bad_list_filters_are_422(api: Api, query: str, field: str) -> None:
    response = api.get(f"campaigns?{query}")
    assert response.status_code == 422
    assert fields(response) == [field]


def test_an_unknown_campaign_is_404_everywhere(api: Api) -> None:
    assert api.get("campaigns/999").status_code == 404
    assert api.patch("campaigns/999", {"name": "x"}).status_code == 404
    assert api.put("campaigns/999/schedule", {"windows": []}).status_code == 404
    for action in ("launch", "pause", "resume"):
        response = api.post(f"campaigns/999/{action}")
        assert response.status_code == 404
        assert fields(response) == ["campaign_id"]


def test_launch_pause_resume_answer_the_campaign_and_are_audited_as_the_user(
    api: Api, campaign: dict[str, Any]
) -> None:
    from adapters.django_orm import models

    cid = campaign["id"]
    launched = api.post(f"campaigns/{cid}/launch").json()
    assert (launched["state"], launched["status"], launched["holds"]) == ("enabled", "active", [])
    paused = api.post(f"campaigns/{cid}/pause").json()
    assert (paused["state"], paused["status"]) == ("paused", "paused")
    resumed = api.post(f"campaigns/{cid}/resume").json()
    assert (resumed["state"], resumed["status"]) == ("enabled", "active")

    trail = list(models.StatusChange.objects.filter(campaign_id=cid).order_by("id"))
    assert [(t.cause, t.actor) for t in trail] == [
        ("created", "ops"),
        ("launch", "ops"),
        ("pause", "ops"),
        ("resume", "ops"),
    ]


def test_actions_the_state_forbids_are_409(api: Api, campaign: dict[str, Any]) -> None:
    cid = campaign["id"]
    for action in ("pause", "resume"):
        response = api.post(f"campaigns/{cid}/{action}")
        assert response.status_code == 409
        assert fields(response) == ["state"]
    assert api.post(f"campaigns/{cid}/launch").status_code == 200
    response = api.post(f"campaigns/{cid}/launch")
    assert response.status_code == 409
    assert fields(response) == ["state"]


def test_patch_changes_only_the_fields_sent_and_recomputes_holds(
    api: Api, live: dict[str, Any]
) -> None:
    cid = live["id"]
    spend(api, {"campaign_id": cid, "amount": "60", "key": "a"})
    lowered = api.patch(f"campaigns/{cid}", {"daily_budget": "50"})
    assert lowered.status_code == 200
    body = lowered.json()
    assert (body["status"], body["holds"], body["daily_budget"]) == (
        "paused",
        ["DAILY_BUDGET"],
        "50",
    )
    assert (body["name"], body["monthly_budget"]) == ("Summer sale", "1000")

    raised = api.patch(f"campaigns/{cid}", {"daily_budget": 80, "name": "Renamed"}).json()
    assert (raised["status"], raised["holds"], raised["name"]) == ("active", [], "Renamed")

    dated = api.patch(f"campaigns/{cid}", {"end_date": "2026-07-01"}).json()
    assert dated["end_date"] == "2026-07-01"
    undated = api.patch(f"campaigns/{cid}", {"end_date": None}).json()
    assert undated["end_date"] is None


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"brand_id": 2}, "brand_id"),
        ({"start_date": "2026-07-01", "end_date": "2026-06-30"}, "end_date"),
        ({"daily_budget": "-1"}, "daily_budget"),
        ({"daily_budget": None}, "daily_budget"),
        ({"monthly_budget": "1.1234567"}, "monthly_budget"),
        ({"name": ""}, "name"),
        ({"name": None}, "name"),
        ({"start_date": None}, "start_date"),
    ],
)
@refusal
def test_a_bad_patch_is_422(api: Api, body: dict, field: str) -> None:
    before = counts()
    response = api.patch(f"campaigns/{ANY_ID}", body)
    assert response.status_code == 422
    assert field in fields(response)
    assert counts() == before


def test_a_refused_patch_changes_nothing(api: Api, campaign: dict[str, Any]) -> None:
    cid = campaign["id"]
    for body in ({"end_date": "2026-05-01"}, {"daily_budget": "0", "name": "Renamed"}):
        response = api.patch(f"campaigns/{cid}", body)
        assert response.status_code == 422
        assert api.get(f"campaigns/{cid}").json() == campaign


def test_a_patch_taking_a_name_used_in_the_brand_is_409(api: Api, campaign: dict[str, Any]) -> None:
    other = api.post("campaigns", campaign_body(campaign["brand_id"], name="Other")).json()
    response = api.patch(f"campaigns/{other['id']}", {"name": "Summer sale"})
    assert response.status_code == 409
    assert fields(response) == ["name"]


def test_put_schedule_replaces_the_windows_and_applies_them_now(
    api: Api, live: dict[str, Any]
) -> None:
    cid = live["id"]
    # 10:00 UTC on Friday 12 June is 12:00 in Paris.
    windows = [
        {"day_of_week": 5, "start_time": "22:00", "end_time": "02:00"},
        {"day_of_week": 1, "start_time": "9:00", "end_time": "17:00"},
    ]
    response = api.put(f"campaigns/{cid}/schedule", {"windows": windows})
    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["holds"]) == ("paused", ["OUTSIDE_SCHEDULE"])
    assert body["windows"] == [
        {"day_of_week": 1, "start_time": "09:00", "end_time": "17:00"},
        {"day_of_week": 5, "start_time": "22:00", "end_time": "02:00"},
    ]
    inside = [{"day_of_week": 5, "start_time": "11:00", "end_time": "13:00"}]
    assert api.put(f"campaigns/{cid}/schedule", {"windows": inside}).json()["status"] == "active"
    cleared = api.put(f"campaigns/{cid}/schedule", {"windows": []}).json()
    assert (cleared["status"], cleared["windows"]) == ("active", [])


GOOD_WINDOW = {"day_of_week": 1, "start_time": "09:00", "end_time": "17:00"}


@pytest.mark.parametrize(("window", "field"), BAD_WINDOWS)
@refusal
def test_a_bad_schedule_is_422_naming_the_window_field(api: Api, window: dict, field: str) -> None:
    response = api.put(f"campaigns/{ANY_ID}/schedule", {"windows": [GOOD_WINDOW, window]})
    assert response.status_code == 422
    assert fields(response) == [f"windows[1].{field}"]


def test_a_refused_schedule_keeps_the_old_windows(api: Api, campaign: dict[str, Any]) -> None:
    cid = campaign["id"]
    api.put(f"campaigns/{cid}/schedule", {"windows": [GOOD_WINDOW]})
    bad = {"day_of_week": 2, "start_time": "08:00", "end_time": "24:30"}
    response = api.put(f"campaigns/{cid}/schedule", {"windows": [bad]})
    assert response.status_code == 422
    assert api.get(f"campaigns/{cid}").json()["windows"] == [GOOD_WINDOW]


@refusal
def test_a_schedule_body_without_windows_is_422(api: Api) -> None:
    response = api.put(f"campaigns/{ANY_ID}/schedule", {"window": []})
    assert response.status_code == 422
    assert set(fields(response)) == {"windows", "window"}


# -- spend -----------------------------------------------------------------------------------


def test_the_readme_scenario_ends_with_the_campaign_paused_by_its_daily_budget(
    api: Api,
) -> None:
    brand = api.post("brands", {"name": "Acme", "timezone": "Europe/Paris"}).json()
    campaign = api.post(
        "campaigns",
        {
            "brand_id": brand["id"],
            "name": "Summer sale",
            "daily_budget": "100.00",
            "monthly_budget": "2000.00",
            "start_date": "2026-06-01",
        },
    ).json()
    assert campaign["status"] == "draft"
    assert api.post(f"campaigns/{campaign['id']}/launch").json()["status"] == "active"

    response = spend(
        api,
        {"campaign_id": campaign["id"], "amount": "60.00", "key": "evt-1"},
        {"campaign_id": campaign["id"], "amount": "40.00", "key": "evt-2"},
    )
    assert response.status_code == 200
    assert [r["outcome"] for r in response.json()["results"]] == ["recorded", "recorded"]

    after = api.get(f"campaigns/{campaign['id']}").json()
    assert (after["status"], after["holds"]) == ("paused", ["DAILY_BUDGET"])
    assert (after["daily_spend"], after["monthly_spend"]) == ("100", "100")
    assert api.get(f"brands/{brand['id']}").json()["daily_spend"] == "100"


def test_each_event_gets_its_own_result_in_order_and_bad_ones_block_nothing(
    api: Api, live: dict[str, Any]
) -> None:
    from adapters.django_orm import models

    cid = live["id"]
    events = [
        {"campaign_id": cid, "amount": "1.5", "key": "ok-1"},
        {"campaign_id": cid, "amount": "-1", "key": "negative"},
        {"campaign_id": 999, "amount": "1", "key": "unknown-campaign"},
        {"campaign_id": cid, "amount": "abc", "key": "non-numeric"},
        {"campaign_id": cid, "amount": "1", "key": ""},
        {"campaign_id": "x", "amount": "1", "key": "bad-id"},
        {"campaign_id": cid, "amount": "1", "key": "future", "occurred_at": "2030-01-01T00:00Z"},
        {"campaign_id": cid, "amount": "1", "key": "naive", "occurred_at": "2026-06-12T09:00"},
        {"campaign_id": cid, "amount": "1", "key": "edge", "occurred_at": "0001-01-01T00:00+14:00"},
        {"campaign_id": cid, "amount": "2", "key": "ok-2", "description": "morning"},
    ]
    response = spend(api, *events)
    assert response.status_code == 200
    body = response.json()
    assert [r["key"] for r in body["results"]] == [e["key"] for e in events]
    assert [r["outcome"] for r in body["results"]] == ["recorded"] + ["rejected"] * 8 + ["recorded"]
    assert [[e["field"] for e in r["errors"]] for r in body["results"]] == [
        [],
        ["amount"],
        ["campaign_id"],
        ["amount"],
        ["key"],
        ["campaign_id"],
        ["occurred_at"],
        ["occurred_at"],
        ["occurred_at"],
        [],
    ]
    assert (body["recorded"], body["duplicate"], body["rejected"]) == (2, 0, 8)
    assert sorted(models.SpendEntry.objects.values_list("key", flat=True)) == ["ok-1", "ok-2"]
    assert set(models.SpendEntry.objects.values_list("actor", flat=True)) == {"ops"}
    assert api.get(f"campaigns/{cid}").json()["daily_spend"] == "3.5"


@pytest.mark.parametrize("amount", BAD_AMOUNTS)
@refusal
def test_a_bad_amount_rejects_the_event_naming_amount(api: Api, amount: Any) -> None:
    response = spend(api, {"campaign_id": ANY_ID, "amount": amount, "key": "k"})
    assert response.status_code == 200
    (result,) = response.json()["results"]
    assert result["outcome"] == "rejected"
    assert [e["field"] for e in result["errors"]] == ["amount"]
    assert counts()["ledger"] == 0


@pytest.mark.parametrize("amount", BAD_RAW_AMOUNTS)
@refusal
def test_a_bad_amount_number_rejects_the_event_naming_amount(api: Api, amount: str) -> None:
    raw = f'{{"events": [{{"campaign_id": {ANY_ID}, "amount": {amount}, "key": "k"}}]}}'
    response = api.post("spend", raw=raw)
    assert response.status_code == 200
    (result,) = response.json()["results"]
    assert (result["outcome"], [e["field"] for e in result["errors"]]) == ("rejected", ["amount"])
    assert counts()["ledger"] == 0


def test_json_numbers_are_taken_exactly(api: Api, live: dict[str, Any]) -> None:
    from adapters.django_orm import models

    cid = live["id"]
    raw = (
        '{"events": ['
        f'{{"campaign_id": {cid}, "amount": 0.1, "key": "a"}},'
        f'{{"campaign_id": {cid}, "amount": 0.2, "key": "b"}},'
        f'{{"campaign_id": {cid}, "amount": 0.000001, "key": "c"}},'
        f'{{"campaign_id": {cid}, "amount": 1E-6, "key": "d"}}'
        "]}"
    )
    response = api.post("spend", raw=raw)
    assert [r["outcome"] for r in response.json()["results"]] == ["recorded"] * 4
    assert api.get(f"campaigns/{cid}").json()["daily_spend"] == "0.300002"
    stored = models.SpendEntry.objects.order_by("key").values_list("amount", flat=True)
    assert [format(a.normalize(), "f") for a in stored] == ["0.1", "0.2", "0.000001", "0.000001"]


def test_budgets_sent_as_numbers_are_taken_exactly(api: Api, brand: dict[str, Any]) -> None:
    raw = json.dumps(campaign_body(brand["id"])).replace('"100.00"', "0.1")
    body = api.post("campaigns", raw=raw).json()
    assert body["daily_budget"] == "0.1"
    raw = '{"daily_budget": 123456789.123456, "monthly_budget": 999999999999}'
    body = api.patch(f"campaigns/{body['id']}", raw=raw).json()
    assert (body["daily_budget"], body["monthly_budget"]) == ("123456789.123456", "999999999999")


def test_spend_of_the_largest_amount_adds_up_past_any_budget(
    api: Api, live: dict[str, Any]
) -> None:
    cid, largest = live["id"], "999999999999"
    for key in ("big-1", "big-2", "big-3"):
        response = spend(api, {"campaign_id": cid, "amount": largest, "key": key})
        assert response.json()["recorded"] == 1, response.content
    campaign = api.get(f"campaigns/{cid}").json()
    brand = api.get(f"brands/{live['brand_id']}").json()
    assert campaign["daily_spend"] == campaign["monthly_spend"] == "2999999999997"
    assert brand["daily_spend"] == brand["monthly_spend"] == "2999999999997"
    assert campaign["status"] == "paused"
    assert set(campaign["holds"]) == {"DAILY_BUDGET", "MONTHLY_BUDGET"}
    response = spend(api, {"campaign_id": cid, "amount": "1000000000000", "key": "too-big"})
    (result,) = response.json()["results"]
    assert result["outcome"] == "rejected"
    assert [e["field"] for e in result["errors"]] == ["amount"]


def test_replaying_a_request_gives_duplicate_for_every_event_and_changes_nothing(
    api: Api, live: dict[str, Any]
) -> None:
    cid = live["id"]
    events = [
        {"campaign_id": cid, "amount": "30", "key": "r-1"},
        {"campaign_id": cid, "amount": "70", "key": "r-2", "occurred_at": "2026-06-12T09:30Z"},
    ]
    first = spend(api, *events).json()
    assert [r["outcome"] for r in first["results"]] == ["recorded", "recorded"]
    before, campaign_before = counts(), api.get(f"campaigns/{cid}").json()

    again = spend(api, *events).json()
    assert [r["outcome"] for r in again["results"]] == ["duplicate", "duplicate"]
    assert (again["recorded"], again["duplicate"], again["rejected"]) == (0, 2, 0)
    assert counts() == before
    assert api.get(f"campaigns/{cid}").json() == campaign_before


def test_a_replay_without_occurred_at_is_a_duplicate_later_too(
    api: Api, live: dict[str, Any], clock: Any
) -> None:
    cid = live["id"]
    events = [{"campaign_id": cid, "amount": "30", "key": "untimed"}]
    assert spend(api, *events).json()["recorded"] == 1
    before = counts()
    clock.advance(timedelta(minutes=5))
    again = spend(api, *events).json()
    assert [r["outcome"] for r in again["results"]] == ["duplicate"]
    assert counts() == before
    other_amount = spend(api, {**events[0], "amount": "31"}).json()
    assert other_amount["results"][0]["outcome"] == "rejected"


def test_a_key_reused_with_another_amount_is_rejected_as_a_conflict(
    api: Api, live: dict[str, Any]
) -> None:
    cid = live["id"]
    spend(api, {"campaign_id": cid, "amount": "30", "key": "k"})
    response = spend(
        api,
        {"campaign_id": cid, "amount": "31", "key": "k"},
        {"campaign_id": cid, "amount": "5", "key": "fresh"},
    )
    first, second = response.json()["results"]
    assert (first["outcome"], [e["field"] for e in first["errors"]]) == ("rejected", ["key"])
    assert second["outcome"] == "recorded"
    assert api.get(f"campaigns/{cid}").json()["daily_spend"] == "35"


def test_spend_for_a_draft_is_recorded(api: Api, campaign: dict[str, Any]) -> None:
    response = spend(api, {"campaign_id": campaign["id"], "amount": "500", "key": "k"})
    assert response.json()["results"][0]["outcome"] == "recorded"
    body = api.get(f"campaigns/{campaign['id']}").json()
    assert (body["status"], body["daily_spend"]) == ("draft", "500")


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param('{"events": [', id="truncated"),
        pytest.param("events", id="not-json"),
        pytest.param(b"\x00\x01", id="binary"),
    ],
)
@refusal
def test_a_malformed_spend_body_is_400_and_writes_nothing(api: Api, raw: str | bytes) -> None:
    before = counts()
    response = api.post("spend", raw=raw)
    assert response.status_code == 400
    assert counts() == before


@pytest.mark.parametrize(
    "body",
    [
        pytest.param([{"campaign_id": 1, "amount": "1", "key": "k"}], id="a-list"),
        pytest.param({}, id="no-events"),
        pytest.param({"events": []}, id="empty"),
        pytest.param({"events": {"campaign_id": 1}}, id="events-not-a-list"),
        pytest.param({"events": "all"}, id="events-a-string"),
        pytest.param({"events": [1, 2]}, id="events-not-objects"),
        pytest.param({"events": [None]}, id="event-null"),
        pytest.param({"events": [], "extra": 1}, id="unknown-field"),
    ],
)
@refusal
def test_a_spend_body_of_the_wrong_shape_is_422_and_writes_nothing(api: Api, body: Any) -> None:
    before = counts()
    response = api.post("spend", body)
    assert response.status_code == 422
    assert counts() == before


def test_a_shape_error_anywhere_refuses_the_whole_batch(api: Api, live: dict[str, Any]) -> None:
    good = {"campaign_id": live["id"], "amount": "1", "key": "good"}
    response = spend(api, good, "not an event")
    assert response.status_code == 422
    assert fields(response) == ["events[1]"]
    assert counts()["ledger"] == 0


def test_a_batch_of_10000_events_is_taken_and_10001_is_refused(
    api: Api, live: dict[str, Any]
) -> None:
    cid = live["id"]
    too_many = [{"campaign_id": cid, "amount": "0.01", "key": f"e{i}"} for i in range(10_001)]
    before = counts()
    response = spend(api, *too_many)
    assert response.status_code == 422
    assert fields(response) == ["events"]
    assert counts() == before

    response = spend(api, *too_many[:10_000])
    assert response.status_code == 200
    body = response.json()
    assert len(body["results"]) == 10_000 and body["recorded"] == 10_000
    assert api.get(f"campaigns/{cid}").json()["daily_spend"] == "100"


def test_a_body_over_the_size_limit_is_413(api: Api, live: dict[str, Any], settings: Any) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    events = [{"campaign_id": live["id"], "amount": "1", "key": f"k{i}"} for i in range(100)]
    response = spend(api, *events)
    assert response.status_code == 413
    assert counts()["ledger"] == 0


def test_spend_of_an_earlier_day_reads_as_zero_today(
    api: Api, live: dict[str, Any], clock: Any
) -> None:
    cid = live["id"]
    spend(api, {"campaign_id": cid, "amount": "100", "key": "k"})
    assert api.get(f"campaigns/{cid}").json()["daily_spend"] == "100"
    clock.advance(timedelta(days=1))
    body = api.get(f"campaigns/{cid}").json()
    assert (body["daily_spend"], body["monthly_spend"]) == ("0", "100")
    assert api.get(f"brands/{body['brand_id']}").json()["daily_spend"] == "0"
    clock.advance(timedelta(days=30))
    assert api.get(f"campaigns/{cid}").json()["monthly_spend"] == "0"


def test_a_late_event_counts_for_this_month_not_today(api: Api, live: dict[str, Any]) -> None:
    cid = live["id"]
    yesterday = (NOW - timedelta(days=1)).isoformat()
    spend(api, {"campaign_id": cid, "amount": "10", "key": "late", "occurred_at": yesterday})
    body = api.get(f"campaigns/{cid}").json()
    assert (body["daily_spend"], body["monthly_spend"]) == ("0", "10")


# -- the spend report ------------------------------------------------------------------------


def test_the_spend_report_shows_each_campaign_and_the_brand_against_budgets(
    api: Api, clock: Any
) -> None:
    brand = api.post(
        "brands", {"name": "Acme", "timezone": "Asia/Tokyo", "daily_budget": "400"}
    ).json()
    first = api.post("campaigns", campaign_body(brand["id"], name="first")).json()
    second = api.post("campaigns", campaign_body(brand["id"], name="second")).json()
    api.post(f"campaigns/{first['id']}/launch")
    spend(
        api,
        {"campaign_id": first["id"], "amount": "100", "key": "a"},
        {"campaign_id": second["id"], "amount": "25.5", "key": "b"},
    )

    response = api.get(f"reports/spend?brand_id={brand['id']}")
    assert response.status_code == 200
    report = response.json()
    assert report["brand"]["id"] == brand["id"]
    assert (report["day"], report["month"]) == ("2026-06-12", "2026-06")
    assert report["today"] == {
        "spend": "125.5",
        "budget": "400",
        "remaining": "274.5",
        "percent": "31.38",
    }
    assert report["this_month"] == {
        "spend": "125.5",
        "budget": None,
        "remaining": None,
        "percent": None,
    }
    assert report["statuses"] == {"draft": 1, "active": 0, "paused": 1, "completed": 0}
    lines = {line["name"]: line for line in report["campaigns"]}
    assert lines["first"]["status"] == "paused"
    assert lines["first"]["holds"] == ["DAILY_BUDGET"]
    assert lines["first"]["today"] == {
        "spend": "100",
        "budget": "100",
        "remaining": "0",
        "percent": "100.00",
    }
    assert lines["second"]["this_month"]["spend"] == "25.5"
    assert lines["second"]["this_month"]["percent"] == "2.55"


def test_the_spend_report_needs_a_known_brand(api: Api) -> None:
    assert api.get("reports/spend?brand_id=999").status_code == 404
    response = api.get("reports/spend")
    assert response.status_code == 422
    assert fields(response) == ["brand_id"]
    assert api.get("reports/spend?brand_id=x").status_code == 422


# -- tokens in the admin ---------------------------------------------------------------------


def test_tokens_are_listed_and_revoked_in_the_admin_never_shown(
    clock: Any, make_user: Callable[..., Any]
) -> None:
    from django.test import Client

    from entrypoints.api.models import ApiToken
    from entrypoints.api.tokens import issue_token

    make_user("ops")
    token = issue_token("ops", "feed")
    admin = make_user("boss", may_use_api=False, is_staff=True, is_superuser=True)
    browser = Client()
    browser.force_login(admin)
    row = ApiToken.objects.get()

    listing = browser.get("/admin/api/apitoken/")
    assert listing.status_code == 200
    assert row.prefix in listing.content.decode()
    page = browser.get(f"/admin/api/apitoken/{row.pk}/change/").content.decode()
    assert row.key_hash in page and token not in page
    assert browser.get("/admin/api/apitoken/add/").status_code == 403

    response = browser.post(
        "/admin/api/apitoken/", {"action": "revoke_tokens", "_selected_action": [row.pk]}
    )
    assert response.status_code == 302
    assert ApiToken.objects.get().revoked_at is not None
    assert Api(token).get("campaigns").status_code == 401
