"""Keeping a document valid in a real browser (Debian's Chromium): the member sees an expired
document as "update required", picks the issue date of its replacement, sees the expiry
filled in from the usual validity, and uploads it."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from alliance_portal.documents.validity import default_expiry
from members.models import DocumentRequirement, MemberDocument
from tests.factories import PASSWORD, member_with
from tests.files import pdf_bytes


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_member_replaces_an_expired_document(page, tmp_path):
    from tests.compliance.test_validity import held

    member, _signatory = member_with(email="irina.signer@example.org", full_name="Irina Signer")
    requirement = DocumentRequirement.objects.get(code="kp-registration")
    held(member, expires_on=timezone.localdate() - timedelta(days=3))

    page.goto("/accounts/login/")
    page.get_by_label("Email").fill("irina.signer@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    to_update = page.locator("#documents-to-update")
    expect(to_update).to_contain_text("Kimberley Process registration")
    expect(to_update).to_contain_text("Update required")
    to_update.get_by_role("link").first.click()

    row = page.locator(f"#requirement-{requirement.pk}")
    expect(row).to_contain_text("Update required")
    expect(page.get_by_label("Document")).to_have_value(str(requirement.pk))
    issued = timezone.localdate() - timedelta(days=10)
    page.get_by_label("Issued on").fill(issued.isoformat())
    page.get_by_label("Issued on").dispatch_event("change")
    expected = default_expiry(issued, requirement.validity_months)
    expect(page.get_by_label("Valid until")).to_have_value(expected.isoformat())
    scan = tmp_path / "kp-2026.pdf"
    scan.write_bytes(pdf_bytes())
    page.get_by_label("File").set_input_files(str(scan))
    page.get_by_role("button", name="Upload", exact=True).click()

    expect(page.get_by_text("“kp-2026.pdf” was added.")).to_be_visible()
    row = page.locator(f"#requirement-{requirement.pk}")
    expect(row).to_contain_text("kp-2026.pdf")
    expect(row).not_to_contain_text("Update required")
    current = MemberDocument.objects.filter(member=member, requirement=requirement).latest(
        "added_at"
    )
    assert (current.document.issued_on, current.document.expires_on) == (issued, expected)
