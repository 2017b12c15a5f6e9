"""The dashboard, the charts and pacing of the change pages, and the CSV downloads, through
Django's test client as a logged-in superuser: what each page shows, the links behind its
figures, bad input named, and a number of queries that does not grow with campaigns."""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from dependency_injector import providers
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from adapters.in_memory import FixedClock
from core.use_cases.brands import CreateBrandCommand
from core.use_cases.campaigns import CampaignActionCommand
from core.use_cases.record_spend import RecordSpendCommand
from entrypoints.container import get_container

from . import test_commands as commands
from .test_commands import make_brand

pytestmark = pytest.mark.django_db(transaction=True)

# A Friday, 12:00 UTC, in the middle of a month: half the day and 11.5 / 30 of June gone.
NOW = datetime(2026, 6, 12, 12, 0, tzinfo=UTC)
SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture
def clock() -> Iterator[FixedClock]:
    clock = FixedClock(NOW)
    with get_container().clock.override(providers.Object(clock)):
        yield clock


@pytest.fixture
def client(clock: FixedClock) -> Client:
    user = User.objects.create(username="olivia", is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(user)
    return client


def make_campaign(brand_id: int, name: str, daily: str = "100") -> int:
    """A launched campaign, running since May, with a monthly budget of 3,000."""
    return commands.make_campaign(brand_id, name, daily, monthly="3000", start="2026-05-01")


def spend(campaign_id: int, amount: str, key: str, at: datetime = NOW) -> None:
    event = {"campaign_id": campaign_id, "amount": amount, "key": key, "occurred_at": at}
    assert get_container().record_spend()(RecordSpendCommand(events=[event])).recorded == 1


def page(client: Client, url: str) -> str:
    answer = client.get(url)
    assert answer.status_code == 200, answer.content[:2000]
    return answer.content.decode()


def svgs(html: str) -> list[ET.Element]:
    """Every chart of a page, parsed."""
    found = []
    opening = '<svg xmlns="http://www.w3.org/2000/svg" class="chart"'
    start = html.find(opening)
    while start != -1:
        end = html.index("</svg>", start) + len("</svg>")
        found.append(ET.fromstring(html[start:end]))
        start = html.find(opening, end)
    return found


@pytest.fixture
def brand(client: Client) -> dict[str, int]:
    """A brand with a daily budget of 200: one campaign far over pace today (90 of 100 by
    noon), one quiet, one paused by its operator, and spend on earlier days of June."""
    brand_id = make_brand(daily_budget="200", monthly_budget="5000")
    hot = make_campaign(brand_id, "Hot")
    quiet = make_campaign(brand_id, "Quiet")
    paused = make_campaign(brand_id, "Paused")
    get_container().pause_campaign()(CampaignActionCommand(paused))
    for day in range(1, 12):
        spend(hot, "40", f"june-{day}", datetime(2026, 6, day, 9, 0, tzinfo=UTC))
    spend(hot, "90", "today", NOW - timedelta(hours=1))
    spend(quiet, "10", "quiet-today", NOW - timedelta(hours=2))
    return {"brand": brand_id, "hot": hot, "quiet": quiet, "paused": paused}


def test_the_dashboard_counts_campaigns_by_status_and_hold_with_links_to_the_lists(
    client: Client, brand: dict[str, int]
) -> None:
    html = page(client, "/admin/")

    assert 'href="/admin/budget/campaign/?status__exact=active">2</a>' in html
    assert 'href="/admin/budget/campaign/?status__exact=paused">1</a>' in html
    assert 'href="/admin/budget/campaign/?hold=none">3</a>' in html
    assert f'href="/admin/?brand={brand["brand"]}">Hudson</a>' in html
    # The brand's spend today against its daily budget: 100 of 200.
    assert "100.00 / 200.00 USD (50%)" in html
    # The admin's list of models is still there.
    assert 'href="/admin/budget/campaign/"' in html


def test_a_brand_on_the_dashboard_shows_what_needs_attention_its_pacing_and_charts(
    client: Client, brand: dict[str, int]
) -> None:
    html = page(client, f"/admin/?brand={brand['brand']}")

    b = brand["brand"]
    assert f'href="/admin/budget/campaign/?status__exact=paused&amp;brand__id__exact={b}">' in html
    attention = html[html.index("Needs attention now") : html.index("console-pacing")]
    assert f'href="/admin/budget/campaign/{brand["hot"]}/change/">Hot</a>' in attention
    # Quiet spent 10 of the 50 expected by noon; Paused was stopped by its operator.
    assert "pacing under today: 10.00 spent against 50.00 USD expected" in attention
    assert ">Paused</a>" not in attention
    assert "90 % of its daily budget used" in attention
    assert "pacing over today" in attention
    assert "forecast to use up today&#x27;s budget at 2026-06-12" in attention
    # The brand's own pacing: 100 spent today against 100 expected by noon.
    assert "100.00 USD" in html[html.index("console-pacing") :]
    daily, month = svgs(html)
    assert len(daily.findall(f"{SVG}rect[@class='bar']")) == 30
    assert len(month.findall(f"{SVG}circle[@class='point']")) == 12
    assert "/admin/console/pacing.csv?brand=" in html


def test_the_overview_counts_held_campaigns_per_brand_and_a_brand_shows_local_alert_times(
    client: Client,
) -> None:
    brand_id = (
        get_container()
        .create_brand()(CreateBrandCommand(name="Gotham", timezone="America/New_York"))
        .id
    )
    held = make_campaign(brand_id, "Held", daily="50")
    make_campaign(brand_id, "Running")
    spend(held, "50", "all-of-it")  # 12:00 UTC is 08:00 in New York (EDT)

    overview = page(client, "/admin/")
    row = overview[
        overview.index(">Gotham</a>") : overview.index("</tr>", overview.index(">Gotham</a>"))
    ]
    assert (
        f'<a href="/admin/?brand={brand_id}" title="what needs attention in this brand">1 held</a>'
        in row
    )
    assert "2026-06-12 12:00 UTC" in overview[overview.index("Latest alerts") :]

    alerts = page(client, f"/admin/?brand={brand_id}")
    latest = alerts[alerts.index("Latest alerts") :]
    assert "2026-06-12 08:00 EDT" in latest
    assert "UTC" not in latest


def test_the_chart_range_is_chosen_by_days_or_dates_and_bad_input_is_named(
    client: Client, brand: dict[str, int]
) -> None:
    b = brand["brand"]
    week = page(client, f"/admin/?brand={b}&days=7")
    dates = page(client, f"/admin/?brand={b}&from=2026-06-01&to=2026-06-05")
    bad = page(client, f"/admin/?brand={b}&days=8")
    backwards = page(client, f"/admin/?brand={b}&from=2026-06-05&to=2026-06-01")

    assert len(svgs(week)[0].findall(f"{SVG}rect[@class='bar']")) == 7
    assert len(svgs(dates)[0].findall(f"{SVG}rect[@class='bar']")) == 5
    # The admin's message list capitalises each message.
    assert "Days: must be one of 7, 30, 90" in bad
    assert len(svgs(bad)[0].findall(f"{SVG}rect[@class='bar']")) == 30
    assert "To: 2026-06-01 is before from 2026-06-05" in backwards


def test_an_unknown_brand_is_named_and_the_overview_shown(client: Client) -> None:
    html = page(client, "/admin/?brand=999")

    assert "Brand: there is no brand &#x27;999&#x27;" in html
    assert "Campaigns by status" in html


def test_the_campaign_page_shows_its_pacing_and_charts(
    client: Client, brand: dict[str, int]
) -> None:
    html = page(client, f"/admin/budget/campaign/{brand['hot']}/change/?days=7")

    pacing = html[html.index("console-pacing") : html.index("console-charts")]
    # 90 spent by noon of a daily budget of 100: 50 expected, pace 180 %, over.
    assert "50.00 USD" in pacing and "180 %" in pacing and "band-over" in pacing
    assert "(times in UTC)" in pacing
    daily, month = svgs(html)
    bars = daily.findall(f"{SVG}rect[@class='bar']")
    assert len(bars) == 7
    assert bars[-1].findtext(f"{SVG}title") == "2026-06-12: 90.00 USD of 100.00 USD budget"
    assert month.findall(f"{SVG}path")
    assert f"/admin/console/daily.csv?campaign={brand['hot']}" in html


def test_the_brand_page_shows_its_pacing_and_charts(client: Client, brand: dict[str, int]) -> None:
    html = page(client, f"/admin/budget/brand/{brand['brand']}/change/")

    assert "console-pacing" in html and len(svgs(html)) == 2


def rows_of(answer: Any) -> list[dict[str, str]]:
    assert answer.status_code == 200, answer.content
    assert answer["Content-Type"] == "text/csv; charset=utf-8"
    assert answer["Content-Disposition"].startswith("attachment; filename=")
    return list(csv.DictReader(io.StringIO(answer.content.decode())))


def test_the_csv_downloads_carry_the_reports(client: Client, brand: dict[str, int]) -> None:
    b = brand["brand"]
    spend_rows = rows_of(client.get(f"/admin/console/spend.csv?brand={b}"))
    pacing_rows = rows_of(client.get(f"/admin/console/pacing.csv?brand={b}"))
    series = rows_of(client.get(f"/admin/console/daily.csv?campaign={brand['hot']}&days=7"))

    assert [(r["subject"], r["name"], r["day_spend"]) for r in spend_rows][:2] == [
        ("brand", "Hudson", "100"),
        ("campaign", "Hot", "90"),
    ]
    hot_today = next(r for r in pacing_rows if r["name"] == "Hot" and r["period"] == "daily")
    assert (hot_today["expected"], hot_today["band"]) == ("50", "over")
    assert [(r["day"], r["spend"]) for r in series][-2:] == [
        ("2026-06-11", "40"),
        ("2026-06-12", "90"),
    ]


def test_a_bad_csv_request_is_refused_naming_the_field(client: Client) -> None:
    missing = client.get("/admin/console/pacing.csv?brand=999")
    bad = client.get("/admin/console/daily.csv?brand=x")

    assert (missing.status_code, bad.status_code) == (404, 400)
    assert b"brand_id" in missing.content and b"brand: must be" in bad.content


def test_the_console_needs_a_staff_login(clock: FixedClock) -> None:
    answers = [Client().get(url) for url in ("/admin/", "/admin/console/spend.csv?brand=1")]

    assert [a.status_code for a in answers] == [302, 302]
    assert all("/admin/login/" in a["Location"] for a in answers)


def dashboard_queries(client: Client, campaigns: int) -> int:
    brand_id = make_brand(f"Brand of {campaigns}", daily_budget="1000")
    for i in range(campaigns):
        spend(make_campaign(brand_id, f"c{i}"), "85", f"k{i}")
    with CaptureQueriesContext(connection) as captured:
        page(client, f"/admin/?brand={brand_id}")
        page(client, "/admin/")
    return len(captured)


def test_the_dashboard_queries_the_same_for_1_and_for_20_campaigns(client: Client) -> None:
    assert dashboard_queries(client, 1) == dashboard_queries(client, 20)
