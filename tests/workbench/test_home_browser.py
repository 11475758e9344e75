"""In Chromium: staff open the admin, see the demo's application under review with its day
count, and follow the queue to the filtered list that holds it."""

from io import StringIO

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.conf import settings
from django.core.management import call_command
from django.test import Client, override_settings
from playwright.sync_api import expect

from members.models import User
from tests.helpers import login_with_mfa


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_staff_follow_the_application_queue_from_the_home(page, live_server):
    with override_settings(DEBUG=True):
        call_command("seed_demo", stdout=StringIO())
    staff = User.objects.get(email="staff@example.com")
    TOTP.activate(staff, generate_totp_secret())
    # Signed in as allauth leaves a session after password and TOTP.
    client = Client()
    login_with_mfa(client, staff)
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )

    page.goto("/admin/")
    expect(page.get_by_role("heading", name="What needs doing")).to_be_visible()
    row = page.locator("#applications-ageing tbody tr").filter(has_text="Polar Rough Trading LLC")
    expect(row).to_contain_text("day 24")
    expect(row).to_have_class("ageing-amber")

    queue = page.locator("#queue-applications")
    expect(queue.locator(".queue-count")).to_have_text("1")
    queue.get_by_role("link", name="Applications to review").click()
    expect(page).to_have_url(
        f"{live_server.url}/admin/members/application/"
        "?status__in=information_requested%2Csubmitted%2Cunder_review"
    )
    expect(page.locator("#result_list")).to_contain_text("Polar Rough Trading LLC")
    # The charts page draws its charts (Chart.js under the CSP).
    page.goto("/admin/workbench/charts/")
    expect(page.locator("#figure-members canvas")).to_be_visible()
    drawn = page.evaluate(
        "[...document.querySelectorAll('canvas[data-figure]')]"
        ".map((canvas) => Chart.getChart(canvas) !== undefined)"
    )
    assert drawn == [True] * 5
