"""The API documentation renders in a real browser under the portal's Content Security Policy
(bundled Swagger UI, no CDN, no inline script)."""

import os

import pytest
from playwright.sync_api import expect, sync_playwright

from tests.test_browser import CHROMIUM, CHROMIUM_ARGS


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_docs_render_every_operation_without_csp_errors(live_server):
    # A browser of this test's own, closed before the session-wide one of test_browser starts
    # (Playwright's sync API allows one at a time in a thread).
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    errors: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        page = browser.new_page(base_url=live_server.url)
        page.on("console", lambda m: m.type == "error" and errors.append(m.text))
        page.goto("/api/v1/")
        expect(page.locator(".opblock").first).to_be_visible(timeout=20_000)
        assert page.url.endswith("/api/v1/docs")
        assert page.locator(".opblock").count() == 19
        browser.close()
    assert errors == []
