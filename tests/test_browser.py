"""Real-browser smoke test: Debian's Chromium driven by Playwright (fixtures in conftest.py)."""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.factories import PASSWORD, UserFactory


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_log_in_and_see_the_dashboard(page):
    UserFactory(email="elena@example.org", full_name="Elena Smirnova")
    page.goto("/")
    page.get_by_role("link", name="Log in").first.click()
    page.get_by_label("Email").fill("elena@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    expect(page.get_by_text("Signed in as Elena Smirnova.")).to_be_visible()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_language_switcher_shows_the_site_in_russian(page):
    page.goto("/")
    page.get_by_label("Language").select_option("ru")
    page.get_by_role("button", name="Switch").click()
    expect(page.get_by_role("heading", name="Программа ALROSA ALLIANCE")).to_be_visible()


def _log_in(page, email: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_applicant_journey_start_upload_submit_see_status(page, tmp_path):
    from members.models import Application, DocumentRequirement
    from tests.files import pdf_bytes

    UserFactory(email="pavel@example.org", full_name="Pavel Petrov")
    _log_in(page, "pavel@example.org")
    # Signed up before consent was asked for: it is given here, before the data is collected.
    page.locator("#start-consent").check()
    page.get_by_role("button", name="Start an application").click()

    expect(page.get_by_role("heading", name="Company data")).to_be_visible()
    page.get_by_label("Legal name").fill("Lena River Diamonds AG")
    page.get_by_label("Registration number").fill("CHE-123.456.789")
    page.get_by_label("Country").select_option("CH")
    page.get_by_label("Registered address").fill("Bahnhofstrasse 1\n8001 Zürich")
    page.get_by_label("Kimberley Process registration").fill("KP-CH-77")
    page.get_by_label("Long-term contract reference").fill("LTC-2026-090")
    for question in page.locator("fieldset .mb-3").all():
        question.get_by_label("Yes").check()
    page.get_by_role("button", name="Save").click()

    expect(page.get_by_role("heading", name="Lena River Diamonds AG")).to_be_visible()
    expect(page.locator("#missing-list")).to_contain_text("Upload: Certificate of incorporation.")

    scan = tmp_path / "scan.pdf"
    scan.write_bytes(pdf_bytes())
    for requirement in DocumentRequirement.objects.filter(required=True):
        page.get_by_label("Document").select_option(str(requirement.pk))
        page.get_by_label("File").set_input_files(str(scan))
        if requirement.expires:  # its issue date; the expiry follows from it
            page.get_by_label("Issued on").fill(timezone.localdate().isoformat())
        page.get_by_role("button", name="Upload").click()
        expect(page.get_by_text("“scan.pdf” was added.")).to_be_visible()

    expect(page.locator("#missing-list")).to_contain_text("Name the beneficial owners")
    for role, name, share in (("owner", "Pavel Petrov", "100"), ("director", "Pavel Petrov", "")):
        page.get_by_role("link", name="Add a person").click()
        page.get_by_label("Role").select_option(role)
        page.get_by_label("Full name", exact=True).fill(name)
        page.get_by_label("Share owned (%)").fill(share)
        page.get_by_role("button", name="Save").click()
        expect(page.get_by_text("The person was added to the application.")).to_be_visible()

    expect(page.get_by_text("Everything required is there.")).to_be_visible()
    page.get_by_role("button", name="Submit the application").click()
    expect(page.get_by_text("Your application has been submitted.")).to_be_visible()
    expect(page.locator("#application-status")).to_have_text("Submitted")
    assert Application.objects.get().status == "submitted"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_signing_journey_read_consent_sign_download(page):
    from licensing.models import LicenceAgreement, Signature
    from tests.factories import licence_in, member_with

    member, _signatory = member_with(email="sofia.signer@example.org", full_name="Sofia Signer")
    licence = licence_in("issued", member=member)
    _log_in(page, "sofia.signer@example.org")
    page.get_by_role("link", name=licence.number).click()
    page.get_by_role("link", name="Read and sign").click()

    expect(page.locator("#agreement-text")).to_contain_text(member.legal_name)
    expect(page.locator("#agreement-text")).to_contain_text(licence.number)
    page.get_by_label("I have read the licence agreement").check()
    page.get_by_label("I am authorised to sign").check()
    # Forgetting one statement: the page says so and nothing is signed.
    page.get_by_label("Your full name").fill("Sofia Signer")
    page.get_by_label("Your title in the company").fill("Chief Executive")
    page.get_by_role("button", name="Sign the agreement").click()
    expect(page.locator("#sign-errors")).to_contain_text("Tick every statement")
    assert not Signature.objects.exists()

    for label in ("I have read", "I am authorised", "I agree that signing here"):
        page.get_by_label(label).check()
    page.get_by_role("button", name="Sign the agreement").click()
    expect(page.get_by_text(f"Signed. The licence {licence.number} is active")).to_be_visible()
    expect(page.locator("#licence-status")).to_have_text("Active")

    with page.expect_download() as download:
        page.get_by_role("link", name="Download the signed agreement (PDF)").click()
    assert download.value.suggested_filename == f"{licence.number}-signed.pdf"
    signature = Signature.objects.get()
    assert signature.typed_name == "Sofia Signer"
    assert signature.user_agent  # the real browser's
    assert LicenceAgreement.objects.get().signed_pdf is not None


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_attestation_journey_answer_upload_progress_submit(page, tmp_path):
    from compliance.models import ReviewCycle, Submission
    from tests.factories import cycle_for, licence_in, member_with
    from tests.files import pdf_bytes

    member, _signatory = member_with(email="olga.signer@example.org", full_name="Olga Signer")
    cycle_for("open", licence=licence_in("active", member=member))
    _log_in(page, "olga.signer@example.org")
    page.get_by_role("link", name=f"{member.legal_name} · Periodic").click()
    expect(page.locator("#progress")).to_contain_text("0 of 12 criteria complete")

    rows = page.locator(".answer-row")
    first = rows.nth(0)
    first.get_by_label("Compliant", exact=True).check()
    expect(first.locator(".saved-state")).to_have_text("Saved")
    evidence = tmp_path / "kp-certificates.pdf"
    evidence.write_bytes(pdf_bytes())
    page.locator(".answer-row").nth(0).locator('input[type="file"]').set_input_files(str(evidence))
    # 1.1's evidence (the KP registration) expires: it asks for its issue date.
    page.locator(".answer-row").nth(0).locator('input[name="issued_on"]').fill(
        timezone.localdate().isoformat()
    )
    page.locator(".answer-row").nth(0).get_by_role("button", name="Upload").click()
    expect(page.locator(".answer-row").nth(0)).to_contain_text("kp-certificates.pdf")
    expect(page.locator("#progress")).to_contain_text("1 of 12 criteria complete")

    for index in range(1, 12):
        row = page.locator(".answer-row").nth(index)
        row.get_by_label("Not applicable").check()
        expect(row.locator(".saved-state")).to_have_text("Saved")
        row.locator("textarea").fill("Not part of our business.")
        with page.expect_response(lambda response: "/answer/" in response.url):
            row.locator("textarea").blur()  # the explanation saves when the field is left
        expect(page.locator(".answer-row").nth(index).locator("textarea")).to_have_value(
            "Not part of our business."
        )
    expect(page.locator("#progress")).to_contain_text("12 of 12 criteria complete")

    page.get_by_role("link", name="Review and submit").click()
    page.get_by_label("Your full name").fill("Olga Signer")
    page.get_by_label("I make this declaration.").check()
    page.get_by_role("button", name="Submit").click()
    expect(page.get_by_text("Submitted. The answers are now with")).to_be_visible()
    expect(page.locator("#cycle-status")).to_have_text("Submitted")
    assert ReviewCycle.objects.get().status == "submitted"
    assert Submission.objects.get().typed_name == "Olga Signer"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_member_downloads_own_certificate_and_its_sha256_matches_the_verify_page(
    page,
    live_server,
    settings,
):
    import hashlib
    import re
    import threading
    from pathlib import Path

    from django.db import connection

    from compliance import services
    from tests.compliance.test_certificates import pending_certificate
    from tests.factories import UserFactory

    settings.ALLIANCE_BASE_URL = live_server.url  # the links and QR code point here
    # The render waits in the outbox (a transactional test commits, and would relay it at once).
    settings.ALLIANCE_OUTBOX_INLINE = False
    staff = UserFactory(staff=True)
    pending = pending_certificate(staff)
    # Signing runs its own event loop; Playwright's runs in this thread: sign in another.
    rendered = []

    def render() -> None:
        try:
            rendered.append(services.certificate_render(certificate_id=pending.pk))
        finally:
            connection.close()

    worker = threading.Thread(target=render)
    worker.start()
    worker.join()
    [certificate] = rendered
    owner = certificate.member.memberships.get().user

    _log_in(page, owner.email)
    page.get_by_role("link", name="Certificates", exact=True).first.click()
    expect(page.get_by_role("heading", name="Compliance certificates")).to_be_visible()
    card = page.locator(f'.certificate[data-number="{certificate.number}"]')
    expect(card.locator("svg")).to_be_visible()  # the QR code
    with page.expect_download() as download_info:
        card.get_by_role("link", name="Download the PDF").click()
    content = Path(download_info.value.path()).read_bytes()
    assert content.startswith(b"%PDF")
    downloaded = hashlib.sha256(content).hexdigest()

    card.get_by_role("link", name=re.compile("verify")).click()
    expect(page.locator("#verdict")).to_be_visible()
    shown = set(re.findall(r"\b[0-9a-f]{64}\b", page.content()))
    assert shown == {downloaded}


# --- The auditor area ------------------------------------------------------------------------


def _totp_now(secret: str) -> str:
    import time

    from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

    return str(format_hotp_value(hotp_value(secret, int(time.time()) // 30)))


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_auditor_reads_a_granted_members_answers_and_downloads_evidence(page):
    """An auditor signs in with their second factor, reads a granted member's answers,
    downloads one evidence file (recorded) and finds nothing of a member not granted."""
    import hashlib

    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    from alliance_portal.models import AuditEvent
    from alliance_portal.roles import AUDITORS_GROUP, STAFF_GROUP
    from tests.compliance.test_auditor_area import _grant, _submitted_cycle

    staff = UserFactory(staff=True, groups=[STAFF_GROUP])
    cycle, documents = _submitted_cycle(staff)
    stranger, _ = _submitted_cycle(staff)
    person = UserFactory(email="anna.auditor@example.org", groups=[AUDITORS_GROUP])
    secret = generate_totp_secret()
    TOTP.activate(person, secret)
    _grant(staff, person, cycle.member)

    page.goto("/accounts/login/")
    page.get_by_label("Email").fill("anna.auditor@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    page.get_by_label("Code").fill(_totp_now(secret))
    page.get_by_role("button", name="Sign In").click()

    page.goto("/auditor/")
    page.get_by_role("link", name=cycle.member.legal_name).click()
    expect(page.get_by_role("heading", name=cycle.member.legal_name)).to_be_visible()
    page.locator("#cycles").get_by_role("link").first.click()
    first = cycle.answers.select_related("criterion").first()
    row = page.locator(f'[data-criterion="{first.criterion.code}"]')
    expect(row.locator(".answer-value")).to_have_text("Partially compliant")
    expect(row.locator(".answer-explanation")).to_have_text(f"Explained {first.criterion.code}.")

    with page.expect_download() as info:
        page.get_by_role("link", name="site photo.png").click()
    content = open(info.value.path(), "rb").read()  # noqa: SIM115 - read once, closed on exit
    assert hashlib.sha256(content).hexdigest() == documents[1].sha256
    event = AuditEvent.objects.get(action="document.downloaded", actor=person)
    assert event.target_id == str(documents[1].pk)

    recorded = AuditEvent.objects.count()
    for url in (
        f"/auditor/members/{stranger.member_id}/",
        f"/auditor/cycles/{stranger.pk}/",
        f"/auditor/cycles/{stranger.pk}/evidence-pack.zip",
    ):
        response = page.goto(url)
        assert response is not None and response.status == 404, url
    assert AuditEvent.objects.count() == recorded  # nothing was served, nothing recorded


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_in_chromium_remove_asks_first_and_undo_puts_the_file_back(page):
    from django.urls import reverse
    from django.utils.text import slugify

    from compliance.models import AnswerEvidence
    from tests.compliance.test_evidence_removal import evidence_in_open_cycle

    item, signatory = evidence_in_open_cycle()
    _log_in(page, signatory.email)
    page.goto(reverse("compliance:cycle_detail", args=[item.answer.cycle_id]))
    block = page.locator(f"#evidence-{slugify(item.answer.criterion.code)}")
    expect(block).to_contain_text("kp-register.pdf")

    page.once("dialog", lambda dialog: dialog.dismiss())  # "Cancel": nothing is sent
    block.get_by_role("link", name="Remove").click()
    expect(block.get_by_role("link", name="Remove")).to_be_visible()
    assert AnswerEvidence.objects.filter(pk=item.pk).exists()

    page.once("dialog", lambda dialog: dialog.accept())
    block.get_by_role("link", name="Remove").click()
    expect(block).to_contain_text("“kp-register.pdf” was removed.")
    assert not AnswerEvidence.objects.filter(document_id=item.document_id).exists()

    block.get_by_role("button", name="Undo").click()
    expect(block.get_by_role("link", name="kp-register.pdf")).to_be_visible()
    assert AnswerEvidence.objects.filter(document_id=item.document_id).exists()
