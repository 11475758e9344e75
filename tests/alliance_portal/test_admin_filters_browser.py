"""The autocomplete list filter in Chromium: staff search a user and the audit log reloads
filtered on them."""

import pytest
from playwright.sync_api import expect

from alliance_portal.audit import audit_record
from tests.alliance_portal.test_exports_browser import sign_in
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_picking_an_actor_filters_the_audit_log(page, live_server):
    wanted = UserFactory(email="wanted.actor@example.org")
    other = UserFactory(email="other.actor@example.org")
    audit_record(actor=wanted, action="test.wanted")
    audit_record(actor=other, action="test.other")
    sign_in(page, live_server, UserFactory(staff=True))
    page.goto("/admin/alliance_portal/auditevent/?action__exact=test.wanted&q=")
    results = page.locator("#result_list")
    expect(results).to_contain_text("test.wanted")
    page.goto("/admin/alliance_portal/auditevent/")
    expect(results).to_contain_text("test.other")
    page.locator("#changelist-filter .select2-selection").click()
    page.locator(".select2-search__field").fill("wanted.actor")
    page.locator(".select2-results__option", has_text="wanted.actor@example.org").click()
    page.wait_for_url(f"**actor__id__exact={wanted.pk}**")
    expect(results).to_contain_text("test.wanted")
    expect(results).not_to_contain_text("test.other")
    # The chosen user stays shown in the filter; "All" takes the filter off again.
    expect(page.locator("#changelist-filter .select2-selection")).to_contain_text(
        "wanted.actor@example.org"
    )
    page.locator("#changelist-filter").get_by_role("link", name="All").last.click()
    expect(results).to_contain_text("test.other")
