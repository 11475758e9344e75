"""In Chromium: staff triage the demo's hit from the home queue (proposal, then a decision
maker confirms); the applicant's pages show nothing of it."""

from io import StringIO

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.conf import settings
from django.core.management import call_command
from django.test import Client, override_settings
from playwright.sync_api import expect

from members.models import Application, User
from screening.models import Hit, HitStatus
from tests.helpers import login_with_mfa


def _sign_in(page, live_server, email: str) -> None:
    user = User.objects.get(email=email)
    if user.is_staff and not Authenticator.objects.filter(user=user).exists():
        TOTP.activate(user, generate_totp_secret())
    client = Client()
    login_with_mfa(client, user)
    page.context.clear_cookies()
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_staff_triage_the_demo_hit_and_the_applicant_sees_nothing(page, live_server):
    with override_settings(DEBUG=True):
        call_command("seed_demo", stdout=StringIO())
    hit = Hit.objects.get()
    assert hit.subject.name == "Иван Петрович Сидоров"
    application = Application.objects.get(legal_name="Polar Rough Trading LLC")

    # The applicant: nothing of screening on the application's page.
    _sign_in(page, live_server, "applicant@example.com")
    page.goto(f"/portal/applications/{application.pk}/")
    expect(page.get_by_role("heading", name="Polar Rough Trading LLC").first).to_be_visible()
    body = page.locator("body").inner_text().lower()
    for word in ("screening", "sanctions list", "fict-demo", "hit", "held"):
        assert word not in body, word
    page.goto("/admin/screening/hit/")
    expect(page).to_have_url(f"{live_server.url}/admin/login/?next=/admin/screening/hit/")

    # Staff: from the home queue to the hit, explained, then under review and proposed.
    _sign_in(page, live_server, "staff@example.com")
    page.goto("/admin/")
    queue = page.locator("#queue-screening_hits")
    expect(queue.locator(".queue-count")).to_have_text("1")
    queue.get_by_role("link", name="Screening hits to triage").click()
    page.locator("#result_list tbody th a").first.click()
    features = page.locator("table.screening-features")
    expect(features).to_contain_text("Date of birth: matches")
    expect(features).to_contain_text("1971-03-14")
    page.get_by_role("link", name="Start review").click()
    page.get_by_role("button", name="Start review").click()
    expect(page.get_by_text("Done: Start review.")).to_be_visible()
    expect(page.get_by_role("link", name="Confirm the match", exact=True)).to_have_count(0)
    page.get_by_role("link", name="Propose to confirm the match").click()
    page.get_by_label("Why is this the listed person or company?").fill(
        "Same name in both scripts, same date of birth and nationality."
    )
    page.get_by_role("button", name="Propose to confirm the match").click()
    expect(page.get_by_text("Done: Propose to confirm the match.")).to_be_visible()
    # The proposer cannot confirm.
    expect(page.get_by_role("link", name="Confirm the match", exact=True)).to_have_count(0)

    # The decision maker confirms: the application stays blocked.
    _sign_in(page, live_server, "decider@example.com")
    page.goto(f"/admin/screening/hit/{hit.pk}/change/")
    page.get_by_role("link", name="Confirm the match", exact=True).click()
    page.get_by_role("button", name="Confirm the match").click()
    expect(page.get_by_text("Done: Confirm the match.")).to_be_visible()
    hit.refresh_from_db()
    assert hit.status == HitStatus.CONFIRMED
    assert hit.proposed_by.email == "staff@example.com"
    assert hit.resolved_by.email == "decider@example.com"
    application.refresh_from_db()
    assert application.screening_hold
