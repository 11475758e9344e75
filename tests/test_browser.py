"""Real-browser smoke test: Debian's Chromium driven by Playwright."""

import os

import pytest
from playwright.sync_api import expect, sync_playwright

from tests.factories import PASSWORD, UserFactory

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser():
    # Playwright's sync API runs an event loop in this thread; the ORM calls made by
    # fixtures around it are still synchronous and safe.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server.url, locale="en-GB")
    page = context.new_page()
    yield page
    context.close()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_log_in_and_see_the_dashboard(page):
    UserFactory(email="elena@example.org", full_name="Elena Smirnova")
    page.goto("/")
    page.get_by_role("link", name="Log in").first.click()
    page.get_by_label("Email").fill("elena@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    expect(page.get_by_text("Signed in as Elena Smirnova.")).to_be_visible()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_language_switcher_shows_the_site_in_russian(page):
    page.goto("/")
    page.get_by_label("Language").select_option("ru")
    page.get_by_role("button", name="Switch").click()
    expect(page.get_by_role("heading", name="Программа ALROSA ALLIANCE")).to_be_visible()
