"""No portal, auditor or public page scrolls sideways, on a phone (375 px) or a laptop
(1280 px), in English or Russian: Chromium visits every page each demo role can reach on a
seeded database and measures the document's width against the window's."""

import pytest

from tests.crawl import ROLES, browser_session, demo_verify_path, pages_for, seed_demo

WIDTHS = [375, 1280]
LANGUAGES = ["en", "ru"]
# What sticks out, for the report: the outermost elements whose right edge passes the window.
WIDEST = """() => {
  const limit = window.innerWidth;
  const out = [];
  for (const el of document.body.querySelectorAll('*')) {
    const box = el.getBoundingClientRect();
    if (box.right > limit + 0.5 && !(el.parentElement && out.includes(el.parentElement))) {
      out.push(el);
    }
  }
  const name = el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
    (typeof el.className === 'string' && el.className
      ? '.' + el.className.trim().split(/\\s+/).join('.') : '');
  return out.slice(0, 3).map(el => name(el) + ' (' + Math.round(el.getBoundingClientRect().right) + 'px)');
}"""


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_no_page_scrolls_sideways_at_375_or_1280_px(browser, reference_data, live_server, settings):
    settings.ALLIANCE_REQUIRE_MFA = False  # as in the local demo: auditors without an app
    seed_demo()
    offenders: list[str] = []
    visited = 0
    for role in ROLES:
        pages = pages_for(role, demo_verify_path())
        for language in LANGUAGES:
            with browser_session(browser, live_server.url, role, language) as page:
                for width in WIDTHS:
                    page.set_viewport_size({"width": width, "height": 800})
                    for path in pages:
                        page.goto(path)
                        visited += 1
                        scroll, window = page.evaluate(
                            "[document.documentElement.scrollWidth, window.innerWidth]"
                        )
                        if scroll > window:
                            offenders.append(
                                f"{role or 'visitor'} {language} {width}px {path}: "
                                f"{scroll} > {window} {page.evaluate(WIDEST)}"
                            )
    assert visited > 100  # the crawl really went round
    assert offenders == [], "\n".join(offenders)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_navbar_collapses_into_a_menu_and_log_out_stays_on_screen(
    browser,
    reference_data,
    live_server,
    settings,
):
    from tests.factories import auditor

    settings.ALLIANCE_REQUIRE_MFA = False
    # The widest case the issue found: an auditor with a long address, in Russian.
    email = "anna.auditor.with-a-rather-long-address@auditing-partners.example.com"
    auditor(email=email)
    with browser_session(browser, live_server.url, email, "ru") as page:
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 800})
            page.goto("/portal/")
            toggler = page.locator(".navbar-toggler")
            assert toggler.is_visible() is (width < 992)
            if width < 992:
                assert not page.locator("#nav-main").is_visible()
                toggler.click()  # Bootstrap's script is loaded and opens the menu
                page.locator("#nav-main.show").wait_for()
            page.locator("#nav-account .dropdown-toggle").click()
            log_out = page.get_by_role("button", name="Выйти")
            log_out.wait_for()
            box = log_out.bounding_box()
            assert box is not None and box["x"] >= 0
            assert box["x"] + box["width"] <= page.evaluate("window.innerWidth"), width
            assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
            account = page.locator("#nav-account .dropdown-toggle")
            assert account.get_attribute("title") == email  # the full address, when cut
