"""No bad input through the API (Django test client), and the same rules from the commands:
money only as the documented pattern or a JSON number, ids only in ASCII digits, no control
or bidirectional formatting characters in names, keys and descriptions, a body only as
JSON (415 otherwise) and a chunked one read or refused (411), every answer under /api/ JSON,
and a revoked token revoked for good."""

# The fixtures come from test_api (imported below by name), so tests redefine those names.
# ruff: noqa: F811

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from tests.integration.test_api import (  # the fixtures api, brand, campaign, live too
    ERROR_KEYS,
    Api,
    api,  # noqa: F401
    brand,  # noqa: F401
    campaign,  # noqa: F401
    campaign_body,
    clock,  # noqa: F401
    counts,
    fields,
    live,  # noqa: F401
    make_user,  # noqa: F401
    refusal,
    spend,
)

pytestmark = pytest.mark.django_db(transaction=True)

# Forms Python's Decimal() reads but the documented ^[0-9]+(\.[0-9]{1,6})?$ does not.
NOT_THE_MONEY_PATTERN = [
    pytest.param("\u0661\u0662\u0663", id="arabic-indic-digits"),
    pytest.param("\uff11\uff12", id="fullwidth-digits"),
    pytest.param("1_000", id="underscore"),
    pytest.param("+5", id="plus-sign"),
    pytest.param(" 12.5 ", id="spaces"),
    pytest.param("12.5\n", id="trailing-newline"),
    pytest.param("1e2", id="exponent"),
    pytest.param(".5", id="no-integer-digits"),
    pytest.param("5.", id="point-without-places"),
]
# Control characters (category Cc) and bidirectional formatting characters.
UNREADABLE = [
    pytest.param("Ac\x07me", id="bell"),
    pytest.param("Ac\tme", id="tab"),
    pytest.param("Acme\n", id="newline"),
    pytest.param("Ac\x1bme", id="escape"),
    pytest.param("Ac\x85me", id="c1-control"),
    pytest.param("Acme\u202egpj.exe", id="right-to-left-override"),
    pytest.param("Ac\u200fme", id="right-to-left-mark"),
    pytest.param("Ac\u061cme", id="arabic-letter-mark"),
    pytest.param("Ac\u2066me", id="left-to-right-isolate"),
]
NOT_ASCII_IDS = ["arabic-indic", "fullwidth", "plus-sign", "space", "underscore", "newline"]


def written(id_: int, form: str) -> str:
    """`id_` as int() would read it back, but not in plain ASCII digits."""
    digits = str(id_)
    return {
        "arabic-indic": digits.translate({ord(d): 0x0660 + int(d) for d in "0123456789"}),
        "fullwidth": digits.translate({ord(d): 0xFF10 + int(d) for d in "0123456789"}),
        "plus-sign": f"+{digits}",
        "space": f" {digits}",
        "underscore": f"0_{digits}",
        "newline": f"{digits}\n",
    }[form]


def assert_error_shape(response: Any) -> dict[str, Any]:
    assert response["Content-Type"].startswith("application/json"), response.content
    body: dict[str, Any] = response.json()
    assert set(body) == ERROR_KEYS, body
    assert all(set(e) == {"field", "message"} for e in body["errors"]), body
    return body


# -- money ---------------------------------------------------------------------------------


@pytest.mark.parametrize("amount", NOT_THE_MONEY_PATTERN)
def test_a_spend_amount_outside_the_documented_pattern_is_rejected_and_not_recorded(
    api: Api, live: dict[str, Any], amount: str
) -> None:
    before = counts()
    response = spend(api, {"campaign_id": live["id"], "amount": amount, "key": "evt-1"})
    assert response.status_code == 200
    (result,) = response.json()["results"]
    assert result["outcome"] == "rejected"
    assert [e["field"] for e in result["errors"]] == ["amount"]
    assert counts() == before
    assert api.get(f"campaigns/{live['id']}").json()["daily_spend"] == "0"


@pytest.mark.parametrize("amount", NOT_THE_MONEY_PATTERN)
@refusal
def test_a_budget_outside_the_documented_pattern_is_422_naming_it(api: Api, amount: str) -> None:
    before = counts()
    response = api.post("brands", {"name": "Acme", "daily_budget": amount})
    assert response.status_code == 422
    assert fields(response) == ["daily_budget"]
    response = api.post("campaigns", campaign_body(1, monthly_budget=amount))
    assert response.status_code == 422
    assert fields(response) == ["monthly_budget"]
    response = api.patch("campaigns/1", {"daily_budget": amount})
    assert response.status_code == 422
    assert fields(response) == ["daily_budget"]
    assert counts() == before


def test_json_numbers_in_any_notation_are_taken_exactly(api: Api, live: dict[str, Any]) -> None:
    cid = live["id"]
    raw = (
        f'{{"events": [{{"campaign_id": {cid}, "amount": 1e1, "key": "a"}},'
        f' {{"campaign_id": {cid}, "amount": 2.50E0, "key": "b"}},'
        f' {{"campaign_id": {cid}, "amount": 0.000001, "key": "c"}}]}}'
    )
    response = api.post("spend", raw=raw)
    assert [r["outcome"] for r in response.json()["results"]] == ["recorded"] * 3
    assert api.get(f"campaigns/{live['id']}").json()["daily_spend"] == "12.500001"


def test_the_documented_money_pattern_is_the_cores(api: Api) -> None:
    from core.entities.money import MONEY_PATTERN

    document = json.dumps(Api(None).get("/api/v1/openapi.json").json())
    assert json.dumps(MONEY_PATTERN) in document
    assert MONEY_PATTERN == r"^[0-9]+(\.[0-9]{1,6})?$"


# -- ids -----------------------------------------------------------------------------------


@pytest.mark.parametrize("form", NOT_ASCII_IDS)
def test_a_campaign_id_in_other_digits_names_no_campaign(
    api: Api, live: dict[str, Any], form: str
) -> None:
    # int() reads each of these as the live campaign's id; the API must not.
    campaign_id = written(live["id"], form)
    assert int(campaign_id) == live["id"]
    before = counts()
    result = spend(api, {"campaign_id": campaign_id, "amount": "1", "key": "k"}).json()
    assert [e["field"] for e in result["results"][0]["errors"]] == ["campaign_id"]
    from urllib.parse import quote

    path = quote(campaign_id)
    for response in (
        api.get(f"campaigns/{path}"),
        api.patch(f"campaigns/{path}", {"name": "Renamed"}),
        api.post(f"campaigns/{path}/pause"),
    ):
        assert response.status_code == 422, response.content
        assert fields(response) == ["campaign_id"]
    assert counts() == before


@pytest.mark.parametrize("form", NOT_ASCII_IDS)
def test_a_brand_id_in_other_digits_names_no_brand(
    api: Api, brand: dict[str, Any], form: str
) -> None:
    from urllib.parse import quote

    brand_id = written(brand["id"], form)
    before = counts()
    response = api.post("campaigns", campaign_body(brand_id))  # type: ignore[arg-type]
    assert response.status_code == 422
    assert fields(response) == ["brand_id"]
    for path in (f"brands/{quote(brand_id)}", f"reports/spend?brand_id={quote(brand_id)}"):
        response = api.get(path)
        assert response.status_code == 422, path
        assert fields(response) == ["brand_id"]
    assert counts() == before


def test_integers_written_as_json_numbers_with_a_point_are_integers(
    api: Api, brand: dict[str, Any]
) -> None:
    raw = (
        f'{{"brand_id": {brand["id"]}.0, "name": "Pointed", "daily_budget": "10",'
        ' "monthly_budget": "100", "start_date": "2026-06-01",'
        ' "windows": [{"day_of_week": 5.0, "start_time": "9:00", "end_time": "17:00"}]}'
    )
    response = api.post("campaigns", raw=raw)
    assert response.status_code == 201, response.content
    assert response.json()["windows"][0]["day_of_week"] == 5


# -- text ----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", UNREADABLE)
@refusal
def test_a_brand_or_campaign_name_with_control_or_bidi_characters_is_422_naming_name(
    api: Api, name: str
) -> None:
    before = counts()
    for response in (
        api.post("brands", {"name": name}),
        api.post("campaigns", campaign_body(1, name=name)),
        api.patch("campaigns/1", {"name": name}),
    ):
        assert response.status_code == 422
        assert fields(response) == ["name"]
    assert counts() == before


@pytest.mark.parametrize("text", UNREADABLE)
@pytest.mark.parametrize("field", ["key", "description"])
def test_a_spend_key_or_description_with_control_or_bidi_characters_is_rejected(
    api: Api, live: dict[str, Any], text: str, field: str
) -> None:
    before = counts()
    event = {"campaign_id": live["id"], "amount": "1", "key": "k", field: text}
    (result,) = spend(api, event).json()["results"]
    assert result["outcome"] == "rejected"
    assert [e["field"] for e in result["errors"]] == [field]
    assert counts() == before


def test_names_in_any_script_are_taken(api: Api) -> None:
    name = "Caf\u00e9 \u0645\u0642\u0647\u0649 \u6771\u4eac \U0001f600"
    response = api.post("brands", {"name": name})
    assert response.status_code == 201
    assert response.json()["name"] == name


# -- content types -------------------------------------------------------------------------

NOT_JSON = [
    "text/plain",
    "text/plain; charset=utf-8",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=xyz",
    "application/xml",
    "text/xml",
    "application/jsonp",
    "text/json",
    "application/json; charset=latin-1",
]


@pytest.mark.parametrize("content_type", NOT_JSON)
@refusal
def test_a_body_that_is_not_json_is_415_naming_the_content_type_and_writes_nothing(
    api: Api, content_type: str
) -> None:
    before = counts()
    for path, body in (
        ("/api/v1/brands", '{"name": "Acme"}'),
        ("/api/v1/spend", '{"events": [{"campaign_id": 1, "amount": "1", "key": "k"}]}'),
        ("/api/v1/campaigns/1", '{"name": "Renamed"}'),
    ):
        method = "PATCH" if path.endswith("/1") else "POST"
        response = api.client.generic(method, path, body, content_type=content_type)
        assert response.status_code == 415, (path, response.content)
        assert [e["field"] for e in assert_error_shape(response)["errors"]] == ["Content-Type"]
    assert counts() == before


@refusal
def test_a_body_without_a_content_type_is_415(api: Api) -> None:
    response = api.client.generic("POST", "/api/v1/brands", b'{"name": "Acme"}')
    assert response.status_code == 415
    assert fields(response) == ["Content-Type"]
    assert counts()["brands"] == 0


@pytest.mark.parametrize(
    "content_type",
    [
        "application/json",
        "application/json; charset=utf-8",
        'application/json;charset="UTF-8"',
        "Application/JSON",
        "application/merge-patch+json",
        "application/vnd.budget+json; charset=utf8",
    ],
)
def test_json_bodies_are_taken_in_any_json_media_type(api: Api, content_type: str) -> None:
    response = api.client.post("/api/v1/brands", '{"name": "Acme"}', content_type=content_type)
    assert response.status_code == 201, response.content


def test_an_action_without_a_body_needs_no_content_type(api: Api, campaign: dict[str, Any]) -> None:
    response = api.client.generic("POST", f"/api/v1/campaigns/{campaign['id']}/launch")
    assert response.status_code == 200, response.content
    response = api.client.generic(
        "POST", f"/api/v1/campaigns/{campaign['id']}/pause", b"", content_type="text/plain"
    )
    assert response.status_code == 200, response.content


@refusal
def test_a_chunked_body_the_server_cannot_read_to_its_end_is_411(api: Api) -> None:
    # The test client, like the standard library's server, does not say that its input ends
    # with the body (wsgi.input_terminated).
    response = api.client.generic(
        "POST",
        "/api/v1/brands",
        CONTENT_TYPE="application/json",
        HTTP_TRANSFER_ENCODING="chunked",
    )
    assert response.status_code == 411
    assert fields(response) == ["Content-Length"]
    assert counts()["brands"] == 0


# -- every answer under /api/ is JSON ------------------------------------------------------


@pytest.mark.parametrize("method", ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD"])
@pytest.mark.parametrize(
    "path", ["/api/", "/api/v1/", "/api/v2/brands", "/api/v1/nothing", "/api/v1/brands/1/x"]
)
@refusal
def test_every_method_on_an_unknown_path_under_api_is_a_json_404(
    api: Api, method: str, path: str
) -> None:
    # CSRF enforced as for a browser: no endpoint there means no form to protect.
    client = Client(enforce_csrf_checks=True)
    response = client.generic(method, path, b'{"a": 1}', content_type="application/json")
    assert response.status_code == 404, response.content
    if method != "HEAD":
        assert "No endpoint" in assert_error_shape(response)["detail"]


@refusal
def test_a_request_for_a_host_not_allowed_is_a_json_400_under_api(api: Api, settings: Any) -> None:
    settings.DEBUG = False
    client = Client(HTTP_HOST="attacker.example")
    assert_error_shape(client.get("/api/v1/brands/1"))
    assert client.get("/api/v1/brands/1").status_code == 400
    admin = client.get("/admin/")
    assert admin.status_code == 400
    assert not admin["Content-Type"].startswith("application/json")


@refusal
def test_a_failure_before_the_api_answers_is_a_json_500(
    api: Api, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from entrypoints.api import middleware

    def broken(path: str) -> Any:
        raise RuntimeError("broken")

    settings.DEBUG = False
    monkeypatch.setattr(middleware, "resolve", broken)
    response = Client(raise_request_exception=False).get("/api/v1/brands/1")
    assert response.status_code == 500
    assert assert_error_shape(response)["detail"] == "Internal error."


# -- revoked tokens stay revoked -----------------------------------------------------------


def _admin_client(make_user: Callable[..., Any]) -> Client:
    boss = make_user("boss", may_use_api=False, is_staff=True, is_superuser=True)
    browser = Client()
    browser.force_login(boss)
    return browser


def test_clearing_revoked_at_on_the_tokens_admin_page_does_not_bring_it_back(
    clock: Any, make_user: Callable[..., Any]
) -> None:
    from entrypoints.api.models import ApiToken
    from entrypoints.api.tokens import issue_token, revoke

    make_user("ops")
    token = issue_token("ops", "feed")
    revoke(ApiToken.objects.all())
    revoked_at = ApiToken.objects.get().revoked_at
    assert Api(token).get("campaigns").status_code == 401
    browser = _admin_client(make_user)
    row = ApiToken.objects.get()

    page = browser.get(f"/admin/api/apitoken/{row.pk}/change/").content.decode()
    assert 'name="revoked_at' not in page  # shown, not editable
    response = browser.post(
        f"/admin/api/apitoken/{row.pk}/change/",
        {"name": "feed", "revoked_at_0": "", "revoked_at_1": "", "revoked_at": "", "_save": "1"},
    )

    assert response.status_code == 302, response.content
    assert ApiToken.objects.get().revoked_at == revoked_at
    assert Api(token).get("campaigns").status_code == 401


def test_the_revoke_button_on_a_tokens_admin_page_revokes_it(
    clock: Any, make_user: Callable[..., Any]
) -> None:
    from entrypoints.api.models import ApiToken
    from entrypoints.api.tokens import issue_token

    make_user("ops")
    token = issue_token("ops", "feed")
    assert Api(token).get("campaigns").status_code == 200
    browser = _admin_client(make_user)
    row = ApiToken.objects.get()
    url = f"/admin/api/apitoken/{row.pk}/change/"
    assert 'name="_revoke"' in browser.get(url).content.decode()

    response = browser.post(url, {"name": "feed", "_revoke": "Revoke this token"})

    assert response.status_code == 302
    assert ApiToken.objects.get().revoked_at is not None
    assert Api(token).get("campaigns").status_code == 401
    assert 'name="_revoke"' not in browser.get(url).content.decode()


def test_a_token_cannot_be_deleted_in_the_admin_so_its_record_stays(
    clock: Any, make_user: Callable[..., Any]
) -> None:
    from entrypoints.api.models import ApiToken
    from entrypoints.api.tokens import issue_token

    make_user("ops")
    issue_token("ops", "feed")
    browser = _admin_client(make_user)
    row = ApiToken.objects.get()

    assert browser.get(f"/admin/api/apitoken/{row.pk}/delete/").status_code == 403
    browser.post(
        "/admin/api/apitoken/", {"action": "delete_selected", "_selected_action": [row.pk]}
    )
    assert ApiToken.objects.filter(pk=row.pk).exists()


def test_the_model_refuses_to_unrevoke_a_token(clock: Any, make_user: Callable[..., Any]) -> None:
    from datetime import timedelta

    from entrypoints.api.models import ApiToken, RevocationIsFinal
    from entrypoints.api.tokens import issue_token

    make_user("ops")
    token = issue_token("ops")
    row = ApiToken.objects.get()
    assert row.revoke() is True
    revoked_at = row.revoked_at
    assert revoked_at is not None

    row.revoked_at = None
    with pytest.raises(RevocationIsFinal):
        row.save()
    row.revoked_at = revoked_at + timedelta(days=1)
    with pytest.raises(RevocationIsFinal):
        row.save()
    with pytest.raises(RevocationIsFinal):
        ApiToken.objects.filter(pk=row.pk).update(revoked_at=None)
    assert row.revoke() is False  # revoking again keeps the first time

    assert ApiToken.objects.get().revoked_at == revoked_at
    assert Api(token).get("campaigns").status_code == 401


def test_a_save_of_a_token_read_before_it_was_revoked_keeps_the_revocation(
    clock: Any, make_user: Callable[..., Any]
) -> None:
    from entrypoints.api.models import ApiToken
    from entrypoints.api.tokens import issue_token, revoke

    make_user("ops")
    token = issue_token("ops", "feed")
    read_earlier = ApiToken.objects.get()  # e.g. by an admin page being edited
    revoke(ApiToken.objects.all())

    read_earlier.name = "renamed"
    read_earlier.save()

    saved = ApiToken.objects.get()
    assert (saved.name, saved.revoked_at is not None) == ("renamed", True)
    assert Api(token).get("campaigns").status_code == 401


@pytest.mark.parametrize("name", UNREADABLE)
def test_a_token_name_with_control_or_bidi_characters_is_refused(
    clock: Any, make_user: Callable[..., Any], name: str
) -> None:
    from core.entities import InvalidInput
    from entrypoints.api.models import ApiToken
    from entrypoints.api.tokens import issue_token

    make_user("ops")
    with pytest.raises(InvalidInput):
        issue_token("ops", name)
    with pytest.raises(CommandError, match="--name"):
        call_command("create_api_token", "ops", "--name", name, stdout=io.StringIO())
    assert ApiToken.objects.count() == 0

    issue_token("ops", "feed")
    row = ApiToken.objects.get()
    page = _admin_client(make_user).post(
        # Inside the text: the admin's form strips white space at the ends.
        f"/admin/api/apitoken/{row.pk}/change/",
        {"name": f"feed {name} 2", "_save": "1"},
    )
    assert page.status_code == 200  # the form again, with the error
    assert "bidirectional formatting" in page.content.decode()
    assert ApiToken.objects.get().name == "feed"


# -- the same money and id rules from the commands -----------------------------------------


@pytest.mark.parametrize("amount", NOT_THE_MONEY_PATTERN)
def test_record_spend_refuses_an_amount_outside_the_pattern(
    api: Api, live: dict[str, Any], amount: str
) -> None:
    before = counts()
    with pytest.raises(CommandError, match=r"^--amount: "):
        call_command(
            "record_spend", campaign=str(live["id"]), amount=amount, key="k", stdout=io.StringIO()
        )
    assert counts() == before


@pytest.mark.parametrize("form", NOT_ASCII_IDS)
def test_record_spend_refuses_a_campaign_id_in_other_digits(
    api: Api, live: dict[str, Any], form: str
) -> None:
    campaign_id = written(live["id"], form)
    before = counts()
    with pytest.raises(CommandError, match=r"^--campaign: "):
        call_command(
            "record_spend", campaign=campaign_id, amount="1", key="k", stdout=io.StringIO()
        )
    assert counts() == before


def test_import_spend_rejects_rows_whose_amount_is_outside_the_pattern(
    api: Api, live: dict[str, Any], tmp_path: Path
) -> None:
    amounts = [p.values[0] for p in NOT_THE_MONEY_PATTERN if "\n" not in p.values[0]]
    rows = [f"{live['id']},{amount},bad-{i}," for i, amount in enumerate(amounts)]
    rows.append(f"{live['id']},2.50,good,")
    path = tmp_path / "spend.csv"
    path.write_text("campaign_id,amount,key,occurred_at\n" + "\n".join(rows) + "\n", "utf-8")
    err = io.StringIO()

    with pytest.raises(CommandError):
        call_command("import_spend", str(path), stdout=io.StringIO(), stderr=err)

    report = err.getvalue()
    assert report.count(": amount: ") == len(amounts), report
    assert api.get(f"campaigns/{live['id']}").json()["daily_spend"] == "2.5"


@pytest.mark.parametrize(
    "query", ["offset=1&offset=2", "limit=5&limit=5", "status=active&status=paused"]
)
@refusal
def test_a_single_valued_query_parameter_given_twice_is_422(api: Api, query: str) -> None:
    response = api.get(f"campaigns?{query}")
    assert response.status_code == 422
    assert fields(response) == [query.split("=")[0]]


def test_an_integer_in_a_url_may_end_in_point_zero_as_json_schema_counts_it(
    api: Api, live: dict[str, Any]
) -> None:
    assert api.get(f"campaigns/{live['id']}.0").json()["id"] == live["id"]
    page = api.get(f"campaigns?brand_id={live['brand_id']}.00&limit=5.0").json()
    assert ([c["id"] for c in page["items"]], page["limit"]) == ([live["id"]], 5)
