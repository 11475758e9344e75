"""The review screen in a real browser (Debian's Chromium): staff review the demo's submitted
attestation, move between criteria with the keyboard, raise a finding from a criterion and
accept with a grade."""

import io
import re
import threading
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connections
from django.utils import timezone
from playwright.sync_api import expect

from compliance.models import Finding, ReviewCycle
from members.models import User

DEMO_PASSWORD = "alliance-demo"


def _seed_demo() -> None:
    """Run seed_demo in a thread of its own: it signs the demo certificate with pyHanko,
    which starts an event loop, and Playwright's already runs in this one."""
    errors: list[BaseException] = []

    def run() -> None:
        try:
            call_command("seed_demo", stdout=io.StringIO())
        except BaseException as error:  # handed to the test's thread
            errors.append(error)
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    if errors:
        raise errors[0]


def _log_in_with_totp(page, email: str) -> None:
    """Password, then the authenticator code, as staff sign in (the demo's staff are given
    an authenticator here: the test settings require one for the admin)."""
    from allauth.mfa.totp.internal.auth import (
        TOTP,
        format_hotp_value,
        generate_totp_secret,
        hotp_value,
    )

    secret = generate_totp_secret()
    TOTP.activate(User.objects.get(email=email), secret)
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    code = format_hotp_value(hotp_value(secret, int(timezone.now().timestamp()) // 30))
    page.get_by_label("Code").fill(code)
    page.get_by_role("button", name="Sign In").click()


# PostgreSQL: the page loads its previews at once and each download is audited; the test
# server on SQLite shares one in-memory connection among its threads, which cannot take that.
@pytest.mark.browser
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_staff_review_the_demo_attestation_raise_a_finding_and_accept(page, settings):
    settings.DEBUG = True  # seed_demo runs only with DEBUG on
    _seed_demo()
    settings.DEBUG = False
    cycle = ReviewCycle.objects.get(member__legal_name="Northern Lights Trading FZE")
    answers = {a.criterion.code: a for a in cycle.answers.select_related("criterion")}
    assert (cycle.status, cycle.round) == ("submitted", 2)

    _log_in_with_totp(page, "staff@example.com")
    page.goto("/admin/compliance/reviewcycle/")
    row = page.locator("tr", has_text="Northern Lights Trading FZE")
    with page.expect_response(lambda r: "/preview/" in r.url and r.status == 200) as shown:
        row.get_by_role("link", name="Review screen").click()
    # The first PDF is shown in the page, framed from the portal itself.
    assert shown.value.headers["content-disposition"].startswith("inline;")
    expect(page.get_by_role("heading", name="Review: Northern Lights")).to_be_visible()
    expect(page.locator("#review-compared-with")).to_have_text("round 1 of this review")

    # j and k move between criteria.
    first, second = (f"#criterion-{answers[c].criterion_id}" for c in ("1.1", "1.2"))
    page.keyboard.press("j")
    expect(page.locator(first)).to_be_focused()
    page.keyboard.press("j")
    expect(page.locator(second)).to_be_focused()
    page.keyboard.press("k")
    expect(page.locator(first)).to_be_focused()

    # 3.3 changed since round 1, whose note is kept beside it.
    health = page.locator(f"#criterion-{answers['3.3'].criterion_id}")
    expect(health.locator(".review-previous")).to_contain_text("It was: Compliant")
    expect(health.locator(".review-note-history")).to_contain_text("Round 1")
    expect(health.locator("img.review-image")).to_be_visible()

    page.get_by_role("button", name="Start review").click()
    expect(page.get_by_text("Done: Start review.")).to_be_visible()

    health.get_by_role("link", name="Raise a finding").click()
    expect(page.get_by_label("Review cycle")).to_have_value(str(cycle.pk))
    expect(page.get_by_label("Criterion")).to_have_value(str(answers["3.3"].criterion_id))
    page.get_by_label("Severity").select_option("minor")
    page.get_by_label("What was found").fill("The health and safety policy is still a draft.")
    page.get_by_label("Corrective action expected").fill("Adopt the policy and send it.")
    due = timezone.localdate() + timedelta(days=30)
    page.get_by_label("Due on").fill(due.isoformat())
    page.get_by_role("button", name="Save", exact=True).click()

    criterion_id = answers["3.3"].criterion_id
    expect(page).to_have_url(
        re.compile(rf"/admin/compliance/reviewcycle/{cycle.pk}/review/#criterion-{criterion_id}$")
    )
    expect(page.get_by_role("heading", name="Review: Northern Lights")).to_be_visible()
    expect(health).to_contain_text("The health and safety policy is still a draft.")

    accept = page.locator("#decision-accept")
    accept.get_by_label("Outcome").select_option("improvement")
    accept.get_by_label("Note to the member").fill("Accepted; see the finding on 3.3.")
    accept.get_by_role("button", name="Accept").click()
    expect(page.get_by_text("Done: Accept.")).to_be_visible()
    expect(page.locator("#review-status")).to_have_text("Accepted")

    cycle.refresh_from_db()
    assert (cycle.status, cycle.outcome) == ("accepted", "improvement")
    finding = Finding.objects.get(cycle=cycle)
    assert (finding.criterion_id, finding.severity) == (answers["3.3"].criterion_id, "minor")
