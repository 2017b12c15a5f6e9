"""Fuzzing the API from its own OpenAPI document.

- schemathesis's own run, with every check it has, against gunicorn serving the service on
  the test database: each of its phases (the document's examples, coverage of every
  constraint's edges, random valid and invalid requests, and chains of calls that create
  and then use objects), bounded in examples so that it takes about a minute. No server
  error, no answer the document does not describe (status, content type, headers, body),
  every request the document calls valid accepted and every invalid one refused, nothing
  reachable without a token; and the counters still match the ledger afterwards.
- schemathesis's requests sent through the Django test client, and spend batches mixing
  good and bad events (hypothesis): never a 5xx, every refusal in the one error shape, a
  refused request writes nothing, and a batch sent again is all duplicates."""

# Fixtures are imported from other test modules by name, so tests redefine those names.
# ruff: noqa: F811

from __future__ import annotations

import contextlib
import io
import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from types import FrameType
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.integration.test_api import (  # the fixtures api, clock, make_user too
    ERROR_KEYS,
    Api,
    api,  # noqa: F401
    campaign_body,
    clock,  # noqa: F401
    counts,
    make_user,  # noqa: F401
)
from tests.integration.test_api_served import Served, served  # noqa: F401 (a fixture)

pytestmark = pytest.mark.django_db(transaction=True)
ROOT = Path(__file__).resolve().parents[2]

REQUESTS = 1_000
# Not a speed target: a run that has not ended by then hangs somewhere (about 30 s is usual).
HANG_S = 600
# Per operation and phase; twelve operations, four phases: about a minute in all.
SCHEMATHESIS_EXAMPLES = 30
FUZZ = settings(
    max_examples=REQUESTS,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)


class _Hung(BaseException):
    """Not an Exception: hypothesis would take it for a failing example and shrink it."""


@contextlib.contextmanager
def _hang_guard(seconds: int, what: str) -> Iterator[None]:
    """Fail the test, with a traceback of where it hangs, if the block is still running after
    `seconds` (on this thread; the test client serves requests on it)."""

    def hung(signum: int, frame: FrameType | None) -> None:
        raise _Hung

    previous = signal.signal(signal.SIGALRM, hung)
    signal.alarm(seconds)
    try:
        yield
    except _Hung as hang:
        raise AssertionError(f"{what} still running after {seconds} s: it hangs") from hang
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def _send(client: Any, kwargs: dict[str, Any], authorization: str | None) -> Any:
    """A schemathesis request (requests-style keyword arguments) through the test client."""
    url = urlsplit(kwargs["url"])
    path = url.path
    query = urlencode(kwargs.get("params") or {}, doseq=True)
    if query:
        path = f"{path}?{query}"
    headers = {}
    if authorization is not None:
        headers["HTTP_AUTHORIZATION"] = authorization
    elif "Authorization" in kwargs["headers"]:
        headers["HTTP_AUTHORIZATION"] = kwargs["headers"]["Authorization"]
    if "json" in kwargs:
        body: bytes | str = json.dumps(kwargs["json"])
    else:
        body = kwargs.get("data") or b""
    content_type = kwargs["headers"].get("Content-Type", "application/json")
    return client.generic(kwargs["method"], path, body, content_type=content_type, **headers)


def _check(response: Any, before: dict[str, int], after: dict[str, int]) -> None:
    assert response.status_code < 500, response.content
    if response.status_code >= 400:
        assert response["Content-Type"].startswith("application/json"), response.content
        assert set(response.json()) == ERROR_KEYS
        assert after == before, f"a refused request ({response.status_code}) wrote {after}"
    elif response.request["PATH_INFO"] == "/api/v1/spend":
        recorded = response.json()["recorded"]
        assert after["ledger"] - before["ledger"] == recorded


@pytest.fixture
def token(request: pytest.FixtureRequest) -> str:
    """A token of a user who may use the API (the `api` fixture's), and some data."""
    client: Api = request.getfixturevalue("api")
    auth = client.client.defaults["HTTP_AUTHORIZATION"]
    brand = client.post("brands", {"name": "Acme", "daily_budget": "1000"}).json()
    for name in ("one", "two"):
        created = client.post("campaigns", campaign_body(brand["id"], name=name)).json()
        client.post(f"campaigns/{created['id']}/launch")
    return str(auth)


@pytest.mark.slow
def test_the_served_api_passes_every_schemathesis_check_on_every_phase(
    served: Served, token: str, tmp_path: Path
) -> None:
    from django.core.management import call_command

    report = tmp_path / "schemathesis.json"
    argv = [str(Path(sys.executable).with_name("st")), "run"]
    argv += [f"{served.url}/api/v1/openapi.json", "--checks", "all"]
    argv += ["--max-examples", str(SCHEMATHESIS_EXAMPLES), "--workers", "1"]
    argv += ["--header", f"Authorization: {token}", "--request-timeout", "30"]
    argv += ["--generation-database", "none", "--output-truncate", "false", "--no-color"]
    argv += ["--report", "json", "--report-json-path", str(report)]
    env = dict(os.environ)
    # JSON Schema cannot say that a flight ends after it starts: these hooks keep the
    # generated dates in order (see the module), nothing else.
    env["SCHEMATHESIS_HOOKS"] = "tests.integration.api_fuzz_hooks"
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))

    run = subprocess.run(
        argv, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600, check=False
    )

    output = run.stdout[-30_000:] + run.stderr[-5_000:]
    assert run.returncode == 0, output
    result = json.loads(report.read_text())
    assert (result["complete"], result["failures"], result["errors"]) == (True, [], []), output
    assert result["operations"]["tested"] == result["operations"]["total"] == 16
    assert {name: p["status"] for name, p in result["phases"].items()} == {
        "examples": "success",
        "coverage": "success",
        "fuzzing": "success",
        "stateful": "success",
    }, output
    assert result["test_cases"]["generated"] >= 12 * SCHEMATHESIS_EXAMPLES
    # Valid requests got through to the use cases, writes included.
    accepted = {
        operation: sum(phase["accepted"] for phase in phases.values())
        for operation, phases in result["valid_rates"].items()
    }
    for operation in ("POST /api/v1/campaigns", "POST /api/v1/spend", "GET /api/v1/campaigns"):
        assert accepted.get(operation, 0) > 0, (operation, result["valid_rates"])
    call_command("reconcile", stdout=io.StringIO())  # counters == ledger sums, or it raises


def test_a_thousand_schema_generated_requests_never_fail_and_refusals_write_nothing(
    token: str,
) -> None:
    import schemathesis
    from django.test import Client

    from adapters.django_orm import models

    document = Client().get("/api/v1/openapi.json").json()
    schema = schemathesis.openapi.from_dict(document)
    cases = st.one_of(
        schema.as_strategy(schemathesis.GenerationMode.POSITIVE),
        schema.as_strategy(schemathesis.GenerationMode.NEGATIVE),
    )
    client = Client()
    known = list(models.Campaign.objects.values_list("id", flat=True))
    sent: list[int] = []

    @FUZZ
    @given(case=cases, authenticated=st.sampled_from([True] * 9 + [False]), data=st.data())
    def request(case: Any, authenticated: bool, data: st.DataObject) -> None:
        if "campaign_id" in (case.path_parameters or {}) and data.draw(st.booleans()):
            case.path_parameters["campaign_id"] = data.draw(st.sampled_from(known))
        kwargs = case.as_transport_kwargs(base_url="http://testserver")
        before = counts()
        response = _send(client, kwargs, token if authenticated else None)
        sent.append(response.status_code)
        _check(response, before, counts())

    with _hang_guard(HANG_S, f"{REQUESTS} generated requests"):
        request()
    assert len(sent) >= REQUESTS
    # The generated requests reached the handlers, not just the authentication.
    assert {200, 201, 401, 404, 422} <= set(sent)


# -- spend batches ---------------------------------------------------------------------------

_good_amounts = st.decimals(min_value=Decimal("0.000001"), max_value=Decimal("1000"), places=6).map(
    lambda d: format(d, "f")
)
_junk = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.text(max_size=20),
    st.sampled_from(["NaN", "-Infinity", "1e999", "0", "-0.5", "1.0000001", "", " "]),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)


def _event(campaigns: list[int]) -> st.SearchStrategy[dict[str, Any]]:
    good = st.fixed_dictionaries(
        {
            "campaign_id": st.sampled_from(campaigns),
            "amount": _good_amounts,
            "key": st.text(alphabet="abcdef0123456789", min_size=1, max_size=8),
        },
        optional={
            "occurred_at": st.sampled_from(
                ["2026-06-12T09:00:00Z", "2026-06-01T00:00:00+02:00", "2026-06-12T11:59:59Z"]
            ),
            "description": st.text(max_size=30),
        },
    )
    spoiled = good.flatmap(
        lambda event: st.sampled_from([*sorted(event), "campaign_id", "amount", "key"]).flatmap(
            lambda field: _junk.map(lambda value: {**event, field: value})
        )
    )
    missing = good.flatmap(
        lambda event: st.sampled_from(["campaign_id", "amount", "key"]).map(
            lambda field: {k: v for k, v in event.items() if k != field}
        )
    )
    return st.one_of(good, good, spoiled, missing)


def test_spend_batches_answer_one_result_per_event_and_replay_as_duplicates(
    token: str,
) -> None:
    from django.test import Client

    from adapters.django_orm import models

    client = Client(HTTP_AUTHORIZATION=token)
    campaigns = [*models.Campaign.objects.values_list("id", flat=True), 10**9]

    @settings(
        max_examples=150, deadline=None, database=None, suppress_health_check=list(HealthCheck)
    )
    @given(events=st.lists(_event(campaigns), min_size=1, max_size=20))
    def batch(events: list[dict[str, Any]]) -> None:
        body = json.dumps({"events": events})
        before = counts()
        response = client.post("/api/v1/spend", body, content_type="application/json")
        assert response.status_code == 200, response.content
        results = response.json()["results"]
        assert len(results) == len(events)
        for event, result in zip(events, results, strict=True):
            if result["outcome"] == "rejected":
                assert result["errors"], result
            else:
                assert result["key"] == event["key"].strip()
        recorded = sum(r["outcome"] == "recorded" for r in results)
        assert counts()["ledger"] - before["ledger"] == recorded

        after = counts()
        replay = client.post("/api/v1/spend", body, content_type="application/json").json()
        assert counts() == after
        assert [r["outcome"] for r in replay["results"]] == [
            "rejected" if r["outcome"] == "rejected" else "duplicate" for r in results
        ]

    batch()
