"""The API documentation renders in a real browser under the portal's Content Security Policy
(bundled Swagger UI, no CDN, no inline script)."""

import pytest
from playwright.sync_api import expect


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_docs_render_every_operation_without_csp_errors(page):
    errors: list[str] = []
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    page.goto("/api/v1/")
    expect(page.locator(".opblock").first).to_be_visible(timeout=20_000)
    assert page.url.endswith("/api/v1/docs")
    assert page.locator(".opblock").count() == 19
    assert errors == []
