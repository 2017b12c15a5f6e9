"""The admin driven by a real browser (Debian's Chromium through Playwright) against the
service `make run` starts, on a fresh database: what an operator clicks, and what the
browser really posts (which Django's test client does not: a select always posts one of
its options, a time widget its text).

The service is started once for the module; each test sets up a brand and campaigns of its
own over the HTTP API, works in the admin, and checks the result over the API."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from tests.integration.in_browser import (  # the fixtures browser, playwright and service too
    TIMEOUT_MS,
    chromium_browser,  # noqa: F401
    log_in,
    playwright_driver,  # noqa: F401
    served_service,  # noqa: F401
)

from .browser import CHROMIUM, NO_CHROMIUM, ServedService

pytestmark = [pytest.mark.slow, pytest.mark.skipif(not CHROMIUM.exists(), reason=NO_CHROMIUM)]

SAVED = re.compile(r"was changed successfully")


@pytest.fixture
def page(browser: Browser, service: ServedService, tmp_path: Path) -> Iterator[Page]:
    """A fresh browser session (no cookies) on the service; a screenshot of the last page
    is left in the test's folder."""
    service.check_running()
    context = browser.new_context(base_url=service.url(""))
    context.set_default_timeout(TIMEOUT_MS)
    tab = context.new_page()
    try:
        yield tab
    finally:
        tab.screenshot(path=str(tmp_path / "last-page.png"), full_page=True)
        context.close()


def new_brand(service: ServedService) -> dict[str, Any]:
    brand: dict[str, Any] = service.api(
        "POST", "/brands", {"name": f"Browser {uuid.uuid4().hex[:8]}", "timezone": "UTC"}
    )
    return brand


def new_campaign(
    service: ServedService, brand: dict[str, Any], name: str, **fields: Any
) -> dict[str, Any]:
    """A launched campaign, running since long ago, with no end."""
    body = {
        "brand_id": brand["id"],
        "name": name,
        "daily_budget": "100.00",
        "monthly_budget": "2000.00",
        "start_date": "2020-01-01",
        **fields,
    }
    created = service.api("POST", "/campaigns", body)
    campaign: dict[str, Any] = service.api("POST", f"/campaigns/{created['id']}/launch")
    return campaign


def open_campaign(page: Page, name: str) -> None:
    """Find the campaign by its name in the campaigns list and open it."""
    page.goto("/admin/")
    page.get_by_role("link", name="Campaigns", exact=True).click()
    page.locator("#searchbar").fill(name)
    page.locator("#searchbar").press("Enter")
    page.get_by_role("link", name=name, exact=True).click()
    expect(page.get_by_role("heading", name="Change campaign")).to_be_visible()


def shown(page: Page, field: str) -> Locator:
    """The read-only value of a field on a change page."""
    return page.locator(f".field-{field} .readonly")


def choose_action(page: Page, action: str) -> None:
    page.get_by_role("combobox", name="Action").select_option(label=action)
    page.get_by_role("button", name="Go").click()


def test_lowering_the_daily_budget_below_todays_spend_saves_and_shows_the_campaign_paused(
    page: Page, service: ServedService
) -> None:
    campaign = new_campaign(service, new_brand(service), "Lower budget")
    recorded = service.api(
        "POST",
        "/spend",
        {"events": [{"campaign_id": campaign["id"], "amount": "60.00", "key": "report-1"}]},
    )
    assert [r["outcome"] for r in recorded["results"]] == ["recorded"]

    log_in(page, service)
    open_campaign(page, "Lower budget")
    expect(shown(page, "status")).to_have_text("active")
    page.get_by_label("Daily budget").fill("50")
    page.get_by_role("button", name="Save", exact=True).click()

    expect(page.locator(".messagelist .success")).to_contain_text(SAVED)
    row = page.locator("#result_list tbody tr").filter(has_text="Lower budget")
    expect(row.locator(".field-status")).to_have_text("paused")
    expect(row.locator(".field-holds_explained")).to_have_text(
        "today's spend has reached the daily budget"
    )
    open_campaign(page, "Lower budget")
    expect(shown(page, "state")).to_have_text("enabled")
    expect(shown(page, "status")).to_have_text("paused")
    expect(shown(page, "holds_explained")).to_have_text(
        "today's spend has reached the daily budget"
    )
    saved = service.api("GET", f"/campaigns/{campaign['id']}")
    assert (saved["status"], saved["holds"]) == ("paused", ["DAILY_BUDGET"])
    assert Decimal(saved["daily_budget"]) == 50
    assert Decimal(saved["daily_spend"]) == 60


def test_a_campaign_added_without_windows_is_a_draft_until_launched_by_the_list_action(
    page: Page, service: ServedService
) -> None:
    brand = new_brand(service)

    log_in(page, service)
    page.goto(f"/admin/budget/campaign/?brand__id__exact={brand['id']}")
    page.get_by_role("link", name="Add campaign").click()
    # The brand field searches the brands as the operator types.
    page.locator(".field-brand .select2-selection").click()
    page.locator(".select2-search__field").fill(brand["name"])
    page.get_by_role("option", name=brand["name"]).click()
    page.get_by_label("Name").fill("Added here")
    page.get_by_label("Daily budget").fill("80")
    page.get_by_label("Monthly budget").fill("1500.50")
    page.get_by_label("Start date").fill("2020-01-01")
    page.get_by_role("button", name="Save", exact=True).click()

    expect(page.locator(".messagelist .success")).to_contain_text("was added successfully")
    # Back on the brand's list, where it started.
    rows = page.locator("#result_list tbody tr")
    expect(rows).to_have_count(1)
    row = rows.filter(has_text="Added here")
    expect(row.locator(".field-status")).to_have_text("draft")
    row.locator("input.action-select").check()
    choose_action(page, "Launch the selected draft campaigns")
    expect(page.locator(".messagelist .success")).to_have_text(
        "Launch: 1 campaign(s): Added here (now active)."
    )
    [added] = service.api("GET", f"/campaigns?brand_id={brand['id']}")["items"]
    assert (added["name"], added["state"], added["status"]) == ("Added here", "enabled", "active")
    assert (Decimal(added["daily_budget"]), Decimal(added["monthly_budget"])) == (
        80,
        Decimal("1500.50"),
    )
    assert added["windows"] == []


def test_the_list_actions_pause_and_resume_the_selected_campaigns(
    page: Page, service: ServedService
) -> None:
    brand = new_brand(service)
    ids = [new_campaign(service, brand, name)["id"] for name in ("Morning", "Evening")]
    new_campaign(service, brand, "Untouched")

    log_in(page, service)
    page.goto(f"/admin/budget/campaign/?brand__id__exact={brand['id']}")
    rows = page.locator("#result_list tbody tr")
    expect(rows).to_have_count(3)

    for action, state, status in (
        ("Pause the selected campaigns", "paused", "paused"),
        ("Resume the selected campaigns", "enabled", "active"),
    ):
        for name in ("Morning", "Evening"):
            rows.filter(has_text=name).locator("input.action-select").check()
        choose_action(page, action)

        verb = action.split()[0]
        expect(page.locator(".messagelist .success")).to_have_text(
            f"{verb}: 2 campaign(s): Morning (now {status}), Evening (now {status})."
        )
        for name in ("Morning", "Evening"):
            row = rows.filter(has_text=name)
            expect(row.locator(".field-state")).to_have_text(state)
            expect(row.locator(".field-status")).to_have_text(status)
        expect(rows.filter(has_text="Untouched").locator(".field-status")).to_have_text("active")
        for campaign_id in ids:
            read = service.api("GET", f"/campaigns/{campaign_id}")
            assert (read["state"], read["status"]) == (state, status)


def test_editing_dayparting_windows_changes_one_adds_one_and_deletes_one(
    page: Page, service: ServedService
) -> None:
    windows = [
        {"day_of_week": 1, "start_time": "09:00", "end_time": "17:00"},
        {"day_of_week": 5, "start_time": "22:00", "end_time": "02:00"},
    ]
    campaign = new_campaign(service, new_brand(service), "Daypart", windows=windows)

    log_in(page, service)
    open_campaign(page, "Daypart")
    # Listed by day: Monday's window first, then Friday's.
    expect(page.locator('[name="windows-0-day_of_week"]')).to_have_value("1")
    expect(page.locator('[name="windows-1-day_of_week"]')).to_have_value("5")
    page.locator('[name="windows-0-start_time"]').fill("08:30")
    page.locator('[name="windows-1-DELETE"]').check()
    page.get_by_role("button", name=re.compile("Add another dayparting window", re.I)).click()
    page.locator('[name="windows-2-day_of_week"]').select_option(label="Wednesday")
    page.locator('[name="windows-2-start_time"]').fill("12:00")
    page.locator('[name="windows-2-end_time"]').fill("14:00")
    page.get_by_role("button", name="Save", exact=True).click()

    expect(page.locator(".messagelist .success")).to_contain_text(SAVED)
    saved = service.api("GET", f"/campaigns/{campaign['id']}")
    assert saved["windows"] == [
        {"day_of_week": 1, "start_time": "08:30", "end_time": "17:00"},
        {"day_of_week": 3, "start_time": "12:00", "end_time": "14:00"},
    ]
    open_campaign(page, "Daypart")
    expect(page.locator('[name="windows-0-day_of_week"]')).to_have_value("1")
    expect(page.locator('[name="windows-0-start_time"]')).to_have_value(re.compile("^08:30"))
    expect(page.locator('[name="windows-1-day_of_week"]')).to_have_value("3")
    expect(page.locator('[name="windows-2-day_of_week"]')).to_have_count(0)


def test_a_window_row_added_and_left_empty_is_ignored_on_save(
    page: Page, service: ServedService
) -> None:
    windows = [{"day_of_week": 2, "start_time": "06:00", "end_time": "10:00"}]
    campaign = new_campaign(service, new_brand(service), "Empty row", windows=windows)

    log_in(page, service)
    open_campaign(page, "Empty row")
    page.get_by_role("button", name=re.compile("Add another dayparting window", re.I)).click()
    expect(page.locator('[name="windows-1-day_of_week"]')).to_be_visible()
    page.get_by_label("Name").fill("Empty row, renamed")
    page.get_by_role("button", name="Save", exact=True).click()

    expect(page.locator(".messagelist .success")).to_contain_text(SAVED)
    saved = service.api("GET", f"/campaigns/{campaign['id']}")
    assert saved["name"] == "Empty row, renamed"
    assert saved["windows"] == [{"day_of_week": 2, "start_time": "06:00", "end_time": "10:00"}]


def test_a_revoked_api_token_cannot_be_brought_back_from_its_page(
    page: Page, service: ServedService
) -> None:
    name = f"platform {uuid.uuid4().hex[:8]}"
    token = service.issue_token(name)
    assert service.api_status("/campaigns", token) == 200

    log_in(page, service)
    page.goto("/admin/")
    page.get_by_role("link", name="API tokens").click()
    row = page.locator("#result_list tbody tr").filter(has_text=name)
    row.locator("input.action-select").check()
    choose_action(page, "Revoke the selected tokens")
    expect(page.locator(".messagelist .success")).to_have_text("1 token(s) revoked.")
    assert service.api_status("/campaigns", token) == 401

    row.get_by_role("link").first.click()
    expect(page.get_by_role("heading", name="Change API token")).to_be_visible()
    # When it was revoked, as text: no field to clear or change it.
    expect(shown(page, "revoked_at")).to_contain_text(re.compile(r"\d{4}"))
    expect(page.locator('[name^="revoked_at"]')).to_have_count(0)
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".messagelist .success")).to_contain_text(SAVED)
    assert service.api_status("/campaigns", token) == 401


def test_the_ledger_lists_the_newest_spend_first(page: Page, service: ServedService) -> None:
    brand = new_brand(service)
    campaign = new_campaign(service, brand, "Ledger order")
    events = [
        {"campaign_id": campaign["id"], "amount": amount, "key": key, "occurred_at": at}
        for key, amount, at in (
            ("middle", "2.00", "2024-03-02T10:00:00Z"),
            ("newest", "3.00", "2024-03-03T10:00:00Z"),
            ("oldest", "1.00", "2024-03-01T10:00:00Z"),
        )
    ]
    recorded = service.api("POST", "/spend", {"events": events})
    assert [r["outcome"] for r in recorded["results"]] == ["recorded"] * 3

    log_in(page, service)
    page.goto(f"/admin/budget/spendentry/?campaign__brand__id__exact={brand['id']}")

    keys = page.locator("#result_list tbody tr .field-key")
    expect(keys).to_have_text(["newest", "middle", "oldest"])
    expect(page.locator("#content h2").first).to_have_text("Total of these 3 entries: 6.00 USD")


def test_a_budget_lowered_below_todays_spend_names_the_new_reason_in_the_saved_message(
    page: Page, service: ServedService
) -> None:
    campaign = new_campaign(service, new_brand(service), "Say why")
    service.api(
        "POST",
        "/spend",
        {"events": [{"campaign_id": campaign["id"], "amount": "30.00", "key": "why-1"}]},
    )

    log_in(page, service)
    open_campaign(page, "Say why")
    page.get_by_label("Daily budget").fill("25")
    page.get_by_role("button", name="Save", exact=True).click()

    expect(page.locator(".messagelist .success")).to_have_text(
        re.compile(
            r"was changed successfully\. Now paused: today's spend has reached the daily budget\.$"
        )
    )
