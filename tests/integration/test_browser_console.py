"""The dashboard, a campaign's charts and pacing, and a CSV download, in a real browser
(Debian's Chromium through Playwright) against the service `make run` starts, on a fresh
database, with data sent over the HTTP API as an ad platform would.

Each test fails on any error the page logs to the browser's console or throws. A failing
test leaves a screenshot of the page it was on, `failure-<test name>.png`, in its own
temporary folder (pytest prints the folder's path with the failure)."""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, expect

from tests.integration.in_browser import (  # the fixtures browser, playwright and service too
    TIMEOUT_MS,
    chromium_browser,  # noqa: F401
    log_in,
    playwright_driver,  # noqa: F401
    served_service,  # noqa: F401
)

from .browser import CHROMIUM, NO_CHROMIUM, ServedService

pytestmark = [pytest.mark.slow, pytest.mark.skipif(not CHROMIUM.exists(), reason=NO_CHROMIUM)]

VIEWPORT = {"width": 1440, "height": 900}


@pytest.fixture
def errors() -> list[str]:
    """What the page logged as a console error or threw, filled in while the test runs."""
    return []


@pytest.fixture
def page(
    browser: Browser,
    service: ServedService,
    tmp_path: Path,
    errors: list[str],
    request: pytest.FixtureRequest,
) -> Iterator[Page]:
    """A fresh 1440 x 900 browser session on the service, logged in as the demo user;
    console errors and uncaught exceptions go to `errors`; a screenshot of the page is
    saved when the test fails."""
    service.check_running()
    context = browser.new_context(
        base_url=service.url(""), viewport=VIEWPORT, accept_downloads=True
    )
    context.set_default_timeout(TIMEOUT_MS)
    tab = context.new_page()

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            errors.append(f"console: {message.text} ({message.location.get('url')})")

    tab.on("console", on_console)
    tab.on("pageerror", lambda error: errors.append(f"page error: {error}"))
    failed_before = request.session.testsfailed
    try:
        log_in(tab, service)
        yield tab
    finally:
        if request.session.testsfailed > failed_before:
            tab.screenshot(path=str(tmp_path / f"failure-{request.node.name}.png"), full_page=True)
        context.close()


@pytest.fixture
def brand(service: ServedService) -> dict[str, Any]:
    """A brand with a daily budget and two running campaigns, one of which spent 30 today."""
    brand: dict[str, Any] = service.api(
        "POST",
        "/brands",
        {"name": f"Console {uuid.uuid4().hex[:8]}", "timezone": "UTC", "daily_budget": "500"},
    )
    campaigns = []
    for name in ("Spender", "Saver"):
        created = service.api(
            "POST",
            "/campaigns",
            {
                "brand_id": brand["id"],
                "name": name,
                "daily_budget": "100.00",
                "monthly_budget": "2500.00",
                "start_date": "2020-01-01",
            },
        )
        campaigns.append(service.api("POST", f"/campaigns/{created['id']}/launch"))
    # Sent without a time: the service counts them at its own now, today.
    events = [
        {"campaign_id": campaigns[0]["id"], "amount": amount, "key": f"report-{i}"}
        for i, amount in enumerate(("12.50", "17.50"))
    ]
    answer = service.api("POST", "/spend", {"events": events})
    assert {r["outcome"] for r in answer["results"]} == {"recorded"}
    brand["campaigns"] = campaigns
    return brand


def test_the_dashboard_draws_the_brand_s_charts_and_lists_its_figures(
    page: Page, brand: dict[str, Any], errors: list[str]
) -> None:
    page.goto("/admin/")
    expect(page.get_by_role("heading", name="Campaigns by status")).to_be_visible()
    page.get_by_label("Brand").select_option(label=brand["name"])
    page.get_by_role("button", name="Show", exact=True).first.click()

    expect(page.get_by_role("heading", name=brand["name"], level=1)).to_be_visible()
    charts = page.locator("svg.chart")
    expect(charts).to_have_count(2)
    expect(charts.first.locator("rect.bar")).to_have_count(30)
    expect(charts.nth(1).locator("path").first).to_be_attached()
    expect(page.locator(".console-attention")).to_contain_text("Spender")
    page.get_by_role("button", name="7 days").click()
    expect(page.locator("svg.chart").first.locator("rect.bar")).to_have_count(7)
    # A figure leads to the list behind it.
    page.locator(".console-tally").first.get_by_role("link", name="2").click()
    expect(page.locator("#result_list tbody tr")).to_have_count(2)
    assert errors == []


def test_a_campaign_page_shows_its_chart_and_pacing(
    page: Page, brand: dict[str, Any], errors: list[str]
) -> None:
    spender = brand["campaigns"][0]
    page.goto(f"/admin/budget/campaign/{spender['id']}/change/")

    pacing = page.locator(".console-pacing tbody tr")
    expect(pacing).to_have_count(2)
    expect(pacing.first).to_contain_text("today")
    expect(pacing.first).to_contain_text("30.00 USD")
    bars = page.locator("svg.chart").first.locator("rect.bar")
    expect(bars).to_have_count(30)
    expect(bars.last.locator("title")).to_contain_text("30.00 USD of 100.00 USD budget")
    page.get_by_text("Figures by day").first.click()
    expect(page.locator("details table").first).to_be_visible()
    assert errors == []


def test_the_pacing_report_downloads_as_csv(
    page: Page, brand: dict[str, Any], errors: list[str]
) -> None:
    page.goto(f"/admin/?brand={brand['id']}")
    with page.expect_download() as download:
        page.get_by_role("link", name="Pacing report (CSV)").click()

    text = Path(download.value.path()).read_text(encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert download.value.suggested_filename == f"pacing-brand-{brand['id']}.csv"
    assert [(r["subject"], r["name"], r["period"]) for r in rows] == [
        ("brand", brand["name"], "daily"),
        ("campaign", "Spender", "daily"),
        ("campaign", "Spender", "monthly"),
        ("campaign", "Saver", "daily"),
        ("campaign", "Saver", "monthly"),
    ]
    assert rows[1]["spend"] == "30"
    assert errors == []
