"""In Chromium: the decider decides a case like the demo's from a form showing the response."""

import time

import pytest
from playwright.sync_api import expect

from tests.factories import PASSWORD, UserFactory, decider


def _log_in_with_code(tab, user) -> None:
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
    from allauth.mfa.utils import decrypt

    tab.goto("/accounts/login/")
    tab.get_by_label("Email").fill(user.email)
    tab.get_by_label("Password").fill(PASSWORD)
    tab.get_by_role("button", name="Sign In").click()
    secret = decrypt(Authenticator.objects.get(user=user, type="totp").data["secret"])
    tab.get_by_label("Code").fill(format_hotp_value(hotp_value(secret, int(time.time()) // 30)))
    tab.get_by_role("button", name="Sign In").click()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_decider_decides_the_case_from_a_form_showing_the_response(page):
    from compliance.models import CaseStatus, ForfeitureCase
    from tests.compliance.test_admin_fixes import responded_case

    case = responded_case(UserFactory(staff=True, email="staff@example.com"))
    deciding = decider(email="decider@example.com", full_name="Dmitry Decider")
    _log_in_with_code(page, deciding)

    page.goto(f"/admin/compliance/forfeiturecase/{case.pk}/change/")
    page.get_by_role("link", name="Decide", exact=True).click()
    expect(page.locator("#case-grounds")).to_have_text("Failure to remediate findings")
    expect(page.locator("#case-findings")).to_contain_text("Suppliers are not screened.")
    expect(page.locator("#case-response")).to_contain_text(
        "Screening starts next month; plan attached."
    )
    expect(page.locator("#case-documents")).to_contain_text("screening-plan.pdf")
    expect(page.get_by_label("Decision")).to_have_value("")

    # Submitting without choosing: the browser keeps the form (the field is required).
    page.get_by_label("Reasons").fill("A first failure, remedied by a credible plan.")
    page.get_by_role("button", name="Decide").click()
    expect(page.locator("#case-response")).to_be_visible()
    assert ForfeitureCase.objects.get().status == CaseStatus.RESPONSE_RECEIVED

    page.get_by_label("Decision").select_option("warning")
    page.get_by_role("button", name="Decide").click()
    expect(page.get_by_text("Done: Decide.")).to_be_visible()
    decided = ForfeitureCase.objects.get()
    assert decided.status == CaseStatus.DECIDED and decided.decision == "warning"
    assert decided.decided_by == deciding
    # Decided: neither Decide nor Lift the suspension is offered any more.
    expect(page.get_by_role("link", name="Decide", exact=True)).to_have_count(0)
    expect(page.get_by_role("link", name="Lift the suspension")).to_have_count(0)
