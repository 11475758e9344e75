"""In Chromium, the issue's "done when": an anonymous visitor finds a member on the register,
opens its page and reports misuse with a photo; the status link shows "received"; staff open a
case from the report; after a suspension decision the member's page shows its standing."""

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.utils import timezone
from playwright.sync_api import expect

from compliance.models import ForfeitureCase
from tests.files import png_bytes
from tests.helpers import login_with_mfa
from trust.models import Report

from .helpers import certificate_for, decide_case, listed_member


def sign_in(context, user, live_server):
    """Signed in as allauth leaves a session after password and TOTP (factory staff have one)."""
    client = Client()
    login_with_mfa(client, user)
    context.add_cookies(
        [
            {
                "name": django_settings.SESSION_COOKIE_NAME,
                "value": client.cookies[django_settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_report_misuse_from_the_register_to_a_suspension(
    page, browser, live_server, settings, tmp_path
):
    from tests.factories import UserFactory

    settings.ALLIANCE_REPORT_MIN_SECONDS = 0  # the time check has its own tests
    member, licence = listed_member()
    member.legal_name = "Kimberley Brilliance NV"
    member.save()
    certificate_for(licence)

    # The visitor finds the member on the register and opens its page.
    page.goto("/register/")
    page.get_by_label("Search").fill("Kimberley")
    page.get_by_role("button", name="Search").click()
    page.get_by_role("link", name="Kimberley Brilliance NV").click()
    expect(page.locator("h1")).to_have_text("Kimberley Brilliance NV")
    expect(page.locator("#standing-verdict")).to_have_text("In good standing")

    # ... and reports misuse of the logo with a photo.
    page.get_by_role("link", name="Report misuse of the logo or raise a concern").click()
    page.get_by_label("A member uses the logo against the rules").check()
    page.get_by_label("Member concerned (if any)").select_option(label="Kimberley Brilliance NV")
    page.get_by_label("What did you see?").fill("Their logo is on goods of another company.")
    photo = tmp_path / "shop-window.png"
    photo.write_bytes(png_bytes())
    page.get_by_label("Evidence (photos, documents)").set_input_files(str(photo))
    page.get_by_role("button", name="Send the report").click()
    expect(page.locator("#report-stage")).to_have_text("Received")
    status_url = page.url
    report = Report.objects.get()
    assert report.member == member and report.evidence.count() == 1
    expect(page.locator("main")).to_contain_text(report.reference)

    # Staff acknowledge the report and open a case from it, in the admin.
    staff_context = browser.new_context(base_url=live_server.url, locale="en-GB")
    sign_in(staff_context, UserFactory(staff=True), live_server)
    staff_page = staff_context.new_page()
    staff_page.goto(f"/admin/trust/report/{report.pk}/change/")
    expect(staff_page.locator("#content")).to_contain_text("shop-window.png")
    staff_page.get_by_role("link", name="Acknowledge").click()
    staff_page.get_by_role("button", name="Acknowledge").click()
    staff_page.get_by_role("link", name="Open a forfeiture case").click()
    staff_page.get_by_label("Grounds").select_option("logo_misuse")
    staff_page.get_by_label("What happened").fill("The logo was used on goods of another company.")
    staff_page.get_by_role("button", name="Open a forfeiture case").click()
    expect(staff_page.locator("#content")).to_contain_text("Case opened")
    staff_context.close()
    report.refresh_from_db()
    case = ForfeitureCase.objects.get()
    assert report.case == case and case.grounds == "logo_misuse"

    # The reporter's link still opens, now under review.
    page.goto(status_url)
    expect(page.locator("#report-stage")).to_have_text("Under review")

    # A decision maker suspends the licence in the case (compliance's decision service).
    decide_case(case, "suspension", reasons="Logo used on goods of another company.")
    page.goto(f"/register/{licence.number}/")
    today = timezone.localdate()
    expect(page.locator("#standing-verdict")).to_have_text(
        f"Suspended since {today.day} {today.strftime('%B')} {today.year}"
    )
    expect(page.locator("#certificate")).to_contain_text("Revoked")
