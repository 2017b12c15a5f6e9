"""The read side over the HTTP API (Django test client), on the database the suite runs on:
the brand list, daily spend series filled from the roll-up written by POST /api/v1/spend,
the pacing report checked against the core's own pacing, and every report as CSV, asked for
either way, matching its JSON."""

# The fixtures come from test_api (imported below by name), so tests redefine those names.
# ruff: noqa: F811

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest

from tests.integration.test_api import (  # the fixtures api, brand, clock, make_user too
    NOW,
    Api,
    api,  # noqa: F401
    brand,  # noqa: F401
    campaign_body,
    clock,  # noqa: F401
    counts,
    fields,
    make_user,  # noqa: F401
    refusal,
    spend,
)

pytestmark = pytest.mark.django_db(transaction=True)
# NOW is Friday 2026-06-12 10:00 UTC: 12:00 in Paris (UTC+2), the brand fixture's zone.
TODAY = "2026-06-12"


def _csv(response: Any) -> list[dict[str, str]]:
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    disposition = response["Content-Disposition"]
    assert disposition.startswith('attachment; filename="') and disposition.endswith('.csv"')
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8"), newline="")))


def _both_csv(api: Api, path: str) -> list[dict[str, str]]:
    """The CSV of `path`, asked for by the query and by the Accept header: the same rows."""
    joiner = "&" if "?" in path else "?"
    by_query = _csv(api.client.get(f"/api/v1/{path}{joiner}format=csv"))
    by_header = _csv(api.client.get(f"/api/v1/{path}", HTTP_ACCEPT="text/csv"))
    assert by_query == by_header
    return by_query


def _launched(api: Api, brand_id: int, **changes: Any) -> dict[str, Any]:
    created = api.post("campaigns", campaign_body(brand_id, **changes))
    assert created.status_code == 201, created.content
    launched = api.post(f"campaigns/{created.json()['id']}/launch")
    assert launched.status_code == 200, launched.content
    return dict(launched.json())


def _spent(api: Api, *events: dict[str, Any]) -> None:
    results = spend(api, *events).json()["results"]
    assert [r["outcome"] for r in results] == ["recorded"] * len(events), results


# -- brands ----------------------------------------------------------------------------------


def test_brands_are_listed_by_name_a_page_at_a_time_with_their_spend(api: Api) -> None:
    ids = {
        name: api.post("brands", {"name": name, "daily_budget": "50"}).json()["id"]
        for name in ("Zeta", "Acme", "Mid")
    }
    campaign = _launched(api, ids["Mid"])
    _spent(api, {"campaign_id": campaign["id"], "amount": "12.5", "key": "k"})

    everything = api.get("brands").json()
    assert [b["name"] for b in everything["items"]] == ["Acme", "Mid", "Zeta"]
    assert (everything["count"], everything["limit"], everything["offset"]) == (3, 100, 0)
    page = api.get("brands?limit=1&offset=1").json()
    assert [b["id"] for b in page["items"]] == [ids["Mid"]]
    assert page["items"][0] == api.get(f"brands/{ids['Mid']}").json()
    assert page["items"][0]["daily_spend"] == "12.5"
    assert api.get("brands?offset=3").json()["items"] == []


@pytest.mark.parametrize(
    ("query", "field"),
    [("limit=0", "limit"), ("limit=1001", "limit"), ("offset=-1", "offset"), ("limit=x", "limit")],
)
@refusal
def test_bad_brand_list_pages_are_422_naming_the_field(api: Api, query: str, field: str) -> None:
    response = api.get(f"brands?{query}")
    assert response.status_code == 422
    assert fields(response) == [field]


# -- daily series ----------------------------------------------------------------------------


def test_a_campaign_series_has_every_day_with_late_spend_on_its_own_local_day(
    api: Api, brand: dict[str, Any]
) -> None:
    cid = _launched(api, brand["id"])["id"]
    # 23:30 in Paris on the 9th, while the daily budget is 100.
    _spent(
        api, {"campaign_id": cid, "amount": "10", "key": "a", "occurred_at": "2026-06-09T21:30Z"}
    )
    assert api.patch(f"campaigns/{cid}", {"daily_budget": "150"}).status_code == 200
    _spent(
        api,
        {"campaign_id": cid, "amount": "20", "key": "b"},
        # Reported now, but 00:30 in Paris on the 11th (still the 10th in UTC).
        {"campaign_id": cid, "amount": "5.25", "key": "c", "occurred_at": "2026-06-10T22:30Z"},
    )

    response = api.get(f"campaigns/{cid}/spend?from=2026-06-08&to=2026-06-13")
    assert response.status_code == 200, response.content
    series = response.json()
    assert {k: v for k, v in series.items() if k != "days"} == {
        "campaign_id": cid,
        "currency": "USD",
        "timezone": "Europe/Paris",
        "from": "2026-06-08",
        "to": "2026-06-13",
    }
    assert [(d["day"], d["spend"], d["budget"]) for d in series["days"]] == [
        ("2026-06-08", "0", "150"),  # before any row: today's budget
        ("2026-06-09", "10", "100"),
        ("2026-06-10", "0", "100"),  # no spend: the budget of the day before
        ("2026-06-11", "5.25", "150"),  # the late event, on its own local day
        ("2026-06-12", "20", "150"),
        ("2026-06-13", "0", "150"),
    ]
    # Today's counter has only today's spend; the series agrees with it.
    assert api.get(f"campaigns/{cid}").json()["daily_spend"] == "20"


def test_a_brand_series_adds_up_its_campaigns(api: Api) -> None:
    brand = api.post(
        "brands", {"name": "Acme", "timezone": "America/New_York", "daily_budget": "300"}
    ).json()
    other = api.post("brands", {"name": "Other"}).json()
    first = _launched(api, brand["id"], name="first")["id"]
    second = _launched(api, brand["id"], name="second")["id"]
    elsewhere = _launched(api, other["id"], name="elsewhere")["id"]
    _spent(
        api,
        {"campaign_id": first, "amount": "1.5", "key": "a"},
        {"campaign_id": second, "amount": "2.25", "key": "b"},
        {"campaign_id": elsewhere, "amount": "99", "key": "c"},
        # 02:00 UTC on the 12th is the 11th in New York.
        {"campaign_id": second, "amount": "4", "key": "d", "occurred_at": "2026-06-12T02:00Z"},
    )

    series = api.get(f"brands/{brand['id']}/spend?from=2026-06-11&to=2026-06-12").json()
    assert (series["brand_id"], series["timezone"]) == (brand["id"], "America/New_York")
    assert series["days"] == [
        {"day": "2026-06-11", "spend": "4", "budget": "300"},
        {"day": "2026-06-12", "spend": "3.75", "budget": "300"},
    ]
    # A brand without a daily budget shows none.
    days = api.get(f"brands/{other['id']}/spend?from={TODAY}&to={TODAY}").json()["days"]
    assert days == [{"day": TODAY, "spend": "99", "budget": None}]


def test_a_series_defaults_to_the_30_brand_local_days_up_to_today(
    api: Api, brand: dict[str, Any], clock: Any
) -> None:
    cid = _launched(api, brand["id"])["id"]
    # 23:30 UTC on the 12th is already the 13th in Paris.
    clock.set(NOW.replace(hour=23, minute=30))
    today = "2026-06-13"
    series = api.get(f"campaigns/{cid}/spend").json()
    days = [d["day"] for d in series["days"]]
    assert (series["from"], series["to"]) == ("2026-05-15", today)
    assert days == [(date(2026, 5, 15) + timedelta(days=i)).isoformat() for i in range(30)]

    to_only = api.get(f"campaigns/{cid}/spend?to=2026-03-01").json()
    assert (to_only["from"], to_only["to"]) == ("2026-01-31", "2026-03-01")
    from_only = api.get(f"campaigns/{cid}/spend?from=2026-06-01").json()
    assert (from_only["from"], from_only["to"]) == ("2026-06-01", today)
    year = api.get(f"campaigns/{cid}/spend?from=2025-06-13&to=2026-06-13").json()
    assert len(year["days"]) == 366


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("from=2026-06-13&to=2026-06-12", "to"),
        ("from=2025-06-11&to=2026-06-12", "to"),  # 367 days
        ("from=2026-07-01", "from"),  # after today, with no `to` sent
        ("from=2025-06-11", "from"),  # 367 days up to today, with no `to` sent
        ("from=2026-02-30", "from"),
        ("from=12/06/2026", "from"),
        ("from=1999-12-31", "from"),
        ("to=2026-6-1", "to"),
        ("to=tomorrow", "to"),
        ("from=2026-06-01&from=2026-06-02", "from"),
        ("format=xml", "format"),
    ],
)
def test_a_bad_range_is_422_naming_the_field(
    api: Api, brand: dict[str, Any], query: str, field: str
) -> None:
    cid = _launched(api, brand["id"])["id"]
    before = counts()
    for path in (f"campaigns/{cid}/spend", f"brands/{brand['id']}/spend"):
        response = api.get(f"{path}?{query}")
        assert response.status_code == 422, (path, response.content)
        assert fields(response) == [field]
    # A range wrong as given is refused as such for an unknown subject too.
    if "&to=" in query and field == "to":
        assert fields(api.get(f"campaigns/999/spend?{query}")) == ["to"]
    assert counts() == before


@refusal
def test_a_series_of_an_unknown_subject_is_404_naming_it(api: Api) -> None:
    response = api.get("campaigns/999/spend")
    assert (response.status_code, fields(response)) == (404, ["campaign_id"])
    response = api.get("brands/999/spend?format=csv")
    assert (response.status_code, fields(response)) == (404, ["brand_id"])
    assert api.get("campaigns/x/spend").status_code == 422


# -- pacing ----------------------------------------------------------------------------------


def _core_pacing(campaign_id: int, earlier_rate: Any = None) -> dict[str, Any]:
    """The core's own daily and monthly pacing of a campaign at NOW, as the API words it."""
    from adapters.django_orm import mappers, models
    from core.entities import Period

    row = models.Campaign.objects.select_related("brand").get(pk=campaign_id)
    campaign, tz = mappers.campaign_to_domain(row), row.brand.timezone
    return {
        "daily": campaign.pacing(Period.DAY, NOW, tz, earlier_rate),
        "monthly": campaign.pacing(Period.MONTH, NOW, tz),
    }


def _worded(pacing: Any) -> dict[str, Any]:
    return {
        "spend": str(pacing.spend),
        "budget": str(pacing.budget),
        "expected": str(pacing.expected),
        "pace": None if pacing.pace is None else format(pacing.pace.normalize(), "f"),
        "forecast": str(pacing.forecast),
        "run_out": None if pacing.run_out is None else pacing.run_out.isoformat(),
        "band": "" if pacing.band is None else pacing.band.value,
    }


def _figures(row: dict[str, Any]) -> dict[str, Any]:
    figures = {k: row[k] for k in ("spend", "budget", "expected", "pace", "forecast", "band")}
    run_out = row["run_out"]
    figures["run_out"] = None if run_out is None else _iso(run_out)
    return figures


def _iso(text: str) -> str:
    from datetime import datetime

    return datetime.fromisoformat(text.replace("Z", "+00:00")).isoformat()


def test_the_pacing_report_gives_the_cores_figures_for_the_brand_and_each_campaign(
    api: Api,
) -> None:
    from core.entities import Money

    brand = api.post(
        "brands", {"name": "Acme", "timezone": "Europe/Paris", "daily_budget": "500"}
    ).json()
    # Thursday and Friday 11:30-20:00 in Paris: at NOW (Friday 12:00) half an hour of 8.5
    # scheduled hours has gone, so the day's forecast runs at yesterday's rate.
    windows = [{"day_of_week": day, "start_time": "11:30", "end_time": "20:00"} for day in (4, 5)]
    paced = _launched(api, brand["id"], name="paced", windows=windows)["id"]
    steady = _launched(api, brand["id"], name="steady")["id"]
    _spent(
        api,
        # 17 over yesterday's 8.5 scheduled hours: 2 an hour.
        {"campaign_id": paced, "amount": "17", "key": "y", "occurred_at": "2026-06-11T12:00Z"},
        {"campaign_id": paced, "amount": "3", "key": "t"},
        {"campaign_id": steady, "amount": "30", "key": "s"},
    )

    response = api.get(f"reports/pacing?brand_id={brand['id']}")
    assert response.status_code == 200, response.content
    report = response.json()
    assert (report["brand_id"], report["currency"]) == (brand["id"], "USD")
    assert _iso(report["at"]) == NOW.isoformat()
    rows = report["rows"]
    # The brand has a daily budget only: one row of its own, then two per campaign.
    assert [(r["subject"], r["id"], r["period"]) for r in rows] == [
        ("brand", brand["id"], "daily"),
        ("campaign", paced, "daily"),
        ("campaign", paced, "monthly"),
        ("campaign", steady, "daily"),
        ("campaign", steady, "monthly"),
    ]
    assert {(r["name"], r["status"], r["brand_id"], r["currency"]) for r in rows[1:]} == {
        ("paced", "active", brand["id"], "USD"),
        ("steady", "active", brand["id"], "USD"),
    }
    assert rows[0]["status"] == ""

    paced_daily = rows[1]
    assert _figures(paced_daily) == _worded(_core_pacing(paced, Money.of(2))["daily"])
    # 3 so far plus 2 an hour over the 8 scheduled hours left.
    assert paced_daily["forecast"] == "19"
    assert _figures(rows[2]) == _worded(_core_pacing(paced)["monthly"])
    assert _figures(rows[3]) == _worded(_core_pacing(steady)["daily"])
    assert _figures(rows[4]) == _worded(_core_pacing(steady)["monthly"])
    # Steady has spent 30 of 100 in 12 of 24 hours: under pace, with a forecast of 60.
    assert (rows[3]["expected"], rows[3]["pace"], rows[3]["band"]) == ("50", "0.6", "under")
    assert (rows[3]["forecast"], rows[3]["run_out"]) == ("60", None)

    from adapters.django_orm import mappers, models
    from core.entities import Period

    core_brand = mappers.brand_to_domain(models.Brand.objects.get(pk=brand["id"]))
    brand_pacing = core_brand.pacing(Period.DAY, NOW, Money.of(Decimal(17) / 24))
    assert _figures(rows[0]) == _worded(brand_pacing)
    assert (rows[0]["spend"], rows[0]["expected"]) == ("33", "250")

    # The pages' narrower reports (the brand alone, one campaign) give the very same rows.
    from entrypoints import reports

    whole = reports.pacing_report(brand["id"], NOW)
    assert reports.pacing_report(brand["id"], NOW, campaign_ids=()) == whole[:1]
    assert reports.pacing_report(brand["id"], NOW, campaign_ids=[paced]) == whole[:3]
    assert reports.pacing_report(brand["id"], NOW, campaign_ids=[steady]) == whole[:1] + whole[3:]


def test_the_pacing_report_of_a_brand_without_budgets_has_only_campaign_rows(
    api: Api, brand: dict[str, Any]
) -> None:
    cid = _launched(api, brand["id"])["id"]
    rows = api.get(f"reports/pacing?brand_id={brand['id']}").json()["rows"]
    assert [(r["subject"], r["period"]) for r in rows] == [
        ("campaign", "daily"),
        ("campaign", "monthly"),
    ]
    assert rows[0]["id"] == cid
    assert (rows[0]["spend"], rows[0]["pace"], rows[0]["band"]) == ("0", "0", "under")


@refusal
def test_the_pacing_report_needs_a_known_brand(api: Api) -> None:
    response = api.get("reports/pacing?brand_id=999")
    assert (response.status_code, fields(response)) == (404, ["brand_id"])
    for query, field in (
        ("", "brand_id"),
        ("brand_id=0", "brand_id"),
        ("brand_id=1&format=pdf", "format"),
    ):
        response = api.get(f"reports/pacing?{query}")
        assert (response.status_code, fields(response)) == (422, [field])


# -- CSV -------------------------------------------------------------------------------------


def test_every_report_as_csv_matches_its_json(api: Api) -> None:
    brand = api.post(
        "brands", {"name": "Acme", "timezone": "Europe/Paris", "daily_budget": "500"}
    ).json()
    cid = _launched(api, brand["id"], name="=SUM(A1)")["id"]
    draft = api.post("campaigns", campaign_body(brand["id"], name='Plain, "quoted"')).json()
    _spent(
        api,
        {"campaign_id": cid, "amount": "60.345678", "key": "a"},
        {"campaign_id": draft["id"], "amount": "1", "key": "b", "occurred_at": "2026-06-10T09:00Z"},
    )

    series_path = f"campaigns/{cid}/spend?from=2026-06-10&to={TODAY}"
    days = api.get(series_path).json()["days"]
    assert _both_csv(api, series_path) == [
        {"day": d["day"], "spend": d["spend"], "budget": d["budget"] or ""} for d in days
    ]
    brand_path = f"brands/{brand['id']}/spend?from=2026-06-10&to={TODAY}"
    assert _both_csv(api, brand_path) == [
        {"day": d["day"], "spend": d["spend"], "budget": d["budget"] or ""}
        for d in api.get(brand_path).json()["days"]
    ]
    assert [r["spend"] for r in _both_csv(api, brand_path)] == ["1", "0", "60.345678"]

    pacing = api.get(f"reports/pacing?brand_id={brand['id']}").json()["rows"]
    pacing_csv = _both_csv(api, f"reports/pacing?brand_id={brand['id']}")
    assert len(pacing_csv) == len(pacing) == 5
    for line, row in zip(pacing_csv, pacing, strict=True):
        expected = {k: "" if v is None else str(v) for k, v in row.items()}
        if row["name"] == "=SUM(A1)":  # a formula is written as text
            expected["name"] = "'=SUM(A1)"
        assert line == expected
    # Over pace: 60.345678 in 12 hours runs out the 39.654322 left of 100 in 7.885 more
    # hours, at 17:53:07 UTC.
    assert pacing_csv[1]["band"] == "over"
    assert pacing_csv[1]["run_out"].startswith("2026-06-12T17:53:07.")

    report = api.get(f"reports/spend?brand_id={brand['id']}").json()
    spend_csv = _both_csv(api, f"reports/spend?brand_id={brand['id']}")
    assert [(r["subject"], r["name"]) for r in spend_csv] == [
        ("brand", "Acme"),
        ("campaign", "'=SUM(A1)"),
        ("campaign", 'Plain, "quoted"'),
    ]
    assert spend_csv[0]["day_spend"] == report["today"]["spend"] == "60.345678"
    assert spend_csv[0]["month_spend"] == report["this_month"]["spend"] == "61.345678"
    for line, campaign in zip(spend_csv[1:], report["campaigns"], strict=True):
        assert (line["id"], line["status"], line["holds"]) == (
            str(campaign["id"]),
            campaign["status"],
            " ".join(campaign["holds"]),
        )
        assert (line["day_spend"], line["daily_budget"], line["day_percent"]) == (
            campaign["today"]["spend"],
            campaign["today"]["budget"],
            campaign["today"]["percent"],
        )
        assert (line["day"], line["month"]) == (TODAY, "2026-06")


def test_json_is_the_default_and_format_json_wins_over_accept(
    api: Api, brand: dict[str, Any]
) -> None:
    path = f"/api/v1/reports/pacing?brand_id={brand['id']}"
    for response in (
        api.client.get(path),
        api.client.get(path, HTTP_ACCEPT="application/json, text/csv;q=0.5"),
        api.client.get(f"{path}&format=json", HTTP_ACCEPT="text/csv"),
        api.client.get(path, HTTP_ACCEPT="text/html"),
    ):
        assert response.status_code == 200
        assert response["Content-Type"] == "application/json; charset=utf-8"
        assert "Content-Disposition" not in response
        assert response["Vary"] == "Accept"  # a cache keeps JSON and CSV apart


def test_every_answer_that_may_be_csv_says_it_varies_with_accept(
    api: Api, brand: dict[str, Any]
) -> None:
    cid = _launched(api, brand["id"])["id"]
    for path in (
        f"reports/spend?brand_id={brand['id']}",
        f"reports/pacing?brand_id={brand['id']}",
        f"campaigns/{cid}/spend",
        f"brands/{brand['id']}/spend",
    ):
        for accept in ("application/json", "text/csv"):
            response = api.client.get(f"/api/v1/{path}", HTTP_ACCEPT=accept)
            assert response.status_code == 200, (path, response.content)
            assert response["Content-Type"].startswith(accept), path
            assert "Accept" in response["Vary"], (path, accept)


def test_the_openapi_document_describes_the_reports_and_their_csv(api: Api) -> None:
    paths = Api(None).get("/api/v1/openapi.json").json()["paths"]
    for path in (
        "/api/v1/reports/spend",
        "/api/v1/reports/pacing",
        "/api/v1/campaigns/{campaign_id}/spend",
        "/api/v1/brands/{brand_id}/spend",
    ):
        ok = paths[path]["get"]["responses"]["200"]["content"]
        assert set(ok) == {"application/json", "text/csv"}, path
        names = {p["name"] for p in paths[path]["get"]["parameters"]}
        assert "format" in names, path
    assert {"limit", "offset"} <= {p["name"] for p in paths["/api/v1/brands"]["get"]["parameters"]}
    assert {"from", "to"} <= {
        p["name"] for p in paths["/api/v1/brands/{brand_id}/spend"]["get"]["parameters"]
    }


def test_reports_need_a_token(api: Api, brand: dict[str, Any]) -> None:
    anonymous = Api(None)
    for path in (
        "brands",
        f"brands/{brand['id']}/spend?format=csv",
        f"reports/pacing?brand_id={brand['id']}",
    ):
        assert anonymous.get(path).status_code == 401


def test_a_day_row_carries_the_nearest_earlier_budget_across_the_range_start(
    api: Api, brand: dict[str, Any]
) -> None:
    cid = _launched(api, brand["id"])["id"]
    _spent(api, {"campaign_id": cid, "amount": "1", "key": "a", "occurred_at": "2026-06-01T10:00Z"})
    api.patch(f"campaigns/{cid}", {"daily_budget": "250"})
    start = (NOW - timedelta(days=3)).date().isoformat()
    days = api.get(f"campaigns/{cid}/spend?from={start}&to={TODAY}").json()["days"]
    # No row in the range: the row of the 1st (budget 100) sets the budget of every day.
    assert {(d["spend"], d["budget"]) for d in days} == {("0", "100")}
