"""What the real-browser tests share: the service `make run` starts (on a scratch database
on PostgreSQL), Chromium driven by Playwright, and logging in with the demo login."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, Playwright, expect, sync_playwright

from .browser import CHROMIUM, CHROMIUM_ARGS, ServedService, on_postgres, scratch_database

# Generous: the machine may be busy, and every wait is for a condition, not a duration.
TIMEOUT_MS = 30_000


@pytest.fixture(scope="module", name="service")
def served_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedService]:
    """The service as `make run` starts it, once per test module, on a fresh database."""
    home = tmp_path_factory.mktemp("home")
    if on_postgres():
        with (
            scratch_database(os.environ["DATABASE_URL"]) as url,
            ServedService.started(home, url) as served,
        ):
            yield served
    else:
        with ServedService.started(home, None) as served:
            yield served


@pytest.fixture(scope="module", name="playwright")
def playwright_driver() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        expect.set_options(timeout=TIMEOUT_MS)
        yield driver


@pytest.fixture(scope="module", name="browser")
def chromium_browser(playwright: Playwright) -> Iterator[Browser]:
    chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
    yield chromium
    chromium.close()


def log_in(page: Page, service: ServedService) -> None:
    """Open the admin and log in with the demo login `make run` created."""
    username, password = service.demo_login()
    page.goto("/admin/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
