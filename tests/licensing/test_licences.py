"""The licence: lifecycle, signing with evidence, the signed PDF."""

import io
import threading

import pypdf
import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connections
from django.test import RequestFactory

from alliance_portal.documents import document_read
from alliance_portal.models import AuditEvent
from alliance_portal.states import IllegalTransition
from licensing import services
from licensing.agreement import agreement_text, sha256_text
from licensing.models import (
    LICENCE_TRANSITIONS,
    AgreementTemplate,
    LicenceAgreement,
    LicenceStatus,
    Signature,
)
from licensing.signing import consents
from tests.factories import UserFactory, licence_in, signatory_of

L = LicenceStatus
ALL_CONSENTS = [key for key, _text in consents()]


def sign(licence, actor=None, request=None, **overrides):
    arguments = {
        "actor": actor or signatory_of(licence.member),
        "licence": licence,
        "typed_name": "Ivan Petrov",
        "typed_title": "Managing Director",
        "accepted": ALL_CONSENTS,
        "shown_sha256": sha256_text(agreement_text(licence)),
        "request": request,
        **overrides,
    }
    return services.licence_sign(**arguments)


def _perform(action, licence, staff):
    reason = "A reason."
    calls = {
        "issue": lambda: services.licence_issue(actor=staff, licence=licence),
        "withdraw": lambda: services.licence_withdraw(actor=staff, licence=licence, reason=reason),
        "sign": lambda: sign(licence),
        "suspend": lambda: services.licence_suspend(actor=staff, licence=licence, reason=reason),
        "reinstate": lambda: services.licence_reinstate(
            actor=staff, licence=licence, reason=reason
        ),
        "forfeit": lambda: services.licence_forfeit(actor=staff, licence=licence, reason=reason),
        "terminate": lambda: services.licence_terminate(
            actor=staff, licence=licence, reason=reason
        ),
        "expire": lambda: services.licence_expire(actor=staff, licence=licence),
    }
    return calls[action]()


@pytest.mark.django_db
@pytest.mark.parametrize("status", L.values)
@pytest.mark.parametrize("action", list(LICENCE_TRANSITIONS))
def test_every_transition_from_every_state(action, status, staff_user):
    licence = licence_in(status)
    if action == "expire" and licence.ends_on is not None:
        licence.ends_on = licence.starts_on  # its term is over
        licence.save()
    transition = LICENCE_TRANSITIONS[action]
    events = AuditEvent.objects.count()
    if status in transition.sources:
        _perform(action, licence, staff_user)
        licence.refresh_from_db()
        assert licence.status == transition.target
        assert AuditEvent.objects.count() > events
    else:
        with pytest.raises(IllegalTransition, match="cannot be done while the status is"):
            _perform(action, licence, staff_user)
        licence.refresh_from_db()
        assert licence.status == status
        assert AuditEvent.objects.count() == events


@pytest.mark.django_db
class TestIssue:
    def test_numbers_run_per_year_and_the_terms_freeze(
        self, staff_user, django_capture_on_commit_callbacks
    ):
        first, second = licence_in("draft"), licence_in("draft")
        with django_capture_on_commit_callbacks(execute=True):
            services.licence_issue(actor=staff_user, licence=first)
            services.licence_issue(actor=staff_user, licence=second)
        first.refresh_from_db()
        second.refresh_from_db()
        year = first.issued_at.year
        assert (first.number, second.number) == (f"AA-{year}-0001", f"AA-{year}-0002")
        assert AgreementTemplate.objects.get(version=1).is_used
        assert {m.to[0] for m in mail.outbox} == {
            signatory_of(first.member).email,
            signatory_of(second.member).email,
        }
        assert "ready to sign" in mail.outbox[0].subject

    def test_a_member_has_one_licence_in_force(self, staff_user):
        live = licence_in("active")
        draft = licence_in("draft", member=live.member)
        with pytest.raises(ValidationError, match="already has a licence in force"):
            services.licence_issue(actor=staff_user, licence=draft)
        draft.refresh_from_db()
        assert draft.status == L.DRAFT and draft.number is None

    def test_only_staff_manage_licences(self):
        licence = licence_in("active")
        with pytest.raises(PermissionDenied):
            services.licence_suspend(
                actor=signatory_of(licence.member), licence=licence, reason="x"
            )

    @pytest.mark.parametrize(
        ("action", "status"),
        [
            ("issue", L.DRAFT),
            ("withdraw", L.ISSUED),
            ("suspend", L.ACTIVE),
            ("reinstate", L.SUSPENDED),
            ("forfeit", L.ACTIVE),
            ("terminate", L.ACTIVE),
            ("expire", L.ACTIVE),
        ],
    )
    def test_no_actor_is_no_one_not_the_portal(self, action, status):
        """The daily job expires licences through ``licence_expire_by_portal``; a staff
        service called with ``actor=None`` by mistake is refused."""
        from datetime import timedelta

        from django.utils import timezone

        licence = licence_in(status, ends_on=timezone.localdate() - timedelta(days=1))
        with pytest.raises(PermissionDenied):
            _perform(action, licence, None)
        licence.refresh_from_db()
        assert licence.status == status
        assert not AuditEvent.objects.filter(target_id=str(licence.pk)).exists()


@pytest.mark.django_db
class TestSigning:
    def test_signature_records_the_evidence_and_the_licence_starts(self):
        licence = licence_in("issued", term_years=3)
        request = RequestFactory().post(
            "/", REMOTE_ADDR="203.0.113.7", HTTP_USER_AGENT="Mozilla/5.0 (Test)"
        )
        signature = sign(licence, request=request)
        licence.refresh_from_db()
        assert licence.status == L.ACTIVE
        assert licence.starts_on == signature.signed_at.date()
        assert (licence.ends_on - licence.starts_on).days in (1094, 1095)
        assert signature.agreement_sha256 == sha256_text(signature.agreement_text)
        assert licence.member.legal_name in signature.agreement_text
        assert licence.number in signature.agreement_text
        assert (signature.ip, signature.user_agent) == ("203.0.113.7", "Mozilla/5.0 (Test)")
        assert signature.consent_sha256 == sha256_text(signature.consent_wording)
        assert AuditEvent.objects.filter(action="licence.signed").count() == 1

    def test_text_changed_since_shown_is_refused(self):
        licence = licence_in("issued")
        shown = sha256_text(agreement_text(licence))
        licence.member.address = "A new registered address"
        licence.member.save()
        with pytest.raises(ValidationError, match="changed since you opened it"):
            sign(licence, shown_sha256=shown)
        assert not Signature.objects.exists()

    @pytest.mark.parametrize(
        ("override", "message"),
        [
            ({"accepted": ALL_CONSENTS[:2]}, "Tick every statement"),
            ({"typed_name": "  "}, "Type your full name"),
            ({"typed_title": ""}, "Type your title"),
        ],
    )
    def test_incomplete_signing_is_refused(self, override, message):
        licence = licence_in("issued")
        with pytest.raises(ValidationError, match=message):
            sign(licence, **override)
        licence.refresh_from_db()
        assert licence.status == L.ISSUED

    @pytest.mark.parametrize("role", ["viewer", "compliance_officer"])
    def test_only_a_signatory_signs(self, role):
        from members.models import Membership

        licence = licence_in("issued")
        other = UserFactory()
        Membership.objects.create(member=licence.member, user=other, role=role)
        with pytest.raises(PermissionDenied):
            sign(licence, actor=other)
        with pytest.raises(PermissionDenied):
            sign(licence, actor=UserFactory())
        assert not Signature.objects.exists()

    def test_a_second_signature_is_refused(self):
        licence = licence_in("issued")
        sign(licence)
        with pytest.raises(IllegalTransition):
            sign(licence)
        assert Signature.objects.count() == 1


@pytest.mark.django_db
def test_signed_pdf_holds_the_evidence_and_is_rendered_once(django_capture_on_commit_callbacks):
    licence = licence_in("issued")
    with django_capture_on_commit_callbacks(execute=True):
        signature = sign(licence)
    licence.refresh_from_db()
    document = licence.signed_pdf
    assert document is not None
    content = document_read(document)
    import hashlib

    assert hashlib.sha256(content).hexdigest() == document.sha256
    reader = pypdf.PdfReader(io.BytesIO(content))
    text = " ".join(page.extract_text() for page in reader.pages)
    flat = "".join(text.split())
    assert licence.member.legal_name in text
    assert licence.number in text
    assert "Ivan Petrov" in text and signature.signatory.email in text
    assert signature.signed_at.strftime("%Y-%m-%d %H:%M:%S") in text
    assert signature.agreement_sha256 in flat
    assert signature.agreement_sha256 == sha256_text(signature.agreement_text)
    # The task running again changes nothing.
    services.licence_render_signed_pdf(licence_id=licence.pk)
    licence.refresh_from_db()
    assert licence.signed_pdf == document
    assert AuditEvent.objects.filter(action="licence.pdf_rendered").count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_signing_leaves_one_signature_and_one_event(reference_data):
    licence = licence_in("issued")
    barrier = threading.Barrier(3)
    outcomes: list[str] = []

    def attempt() -> None:
        try:
            barrier.wait()
            sign(LicenceAgreement.objects.get(pk=licence.pk))
            outcomes.append("signed")
        except IllegalTransition:
            outcomes.append("refused")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=attempt) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["refused", "refused", "signed"]
    assert Signature.objects.filter(licence=licence).count() == 1
    assert AuditEvent.objects.filter(action="licence.signed").count() == 1


@pytest.mark.django_db
class TestRenewalAndExpiry:
    def test_a_renewal_is_signed_while_the_old_licence_runs_and_replaces_it(self, staff_user):
        old = licence_in("active")
        renewal = services.licence_renew(actor=staff_user, licence=old)
        renewal = services.licence_issue(actor=staff_user, licence=renewal)
        sign(renewal)
        old.refresh_from_db()
        renewal.refresh_from_db()
        assert renewal.status == L.ACTIVE
        assert old.status == L.EXPIRED and renewal.number in old.status_reason
        with pytest.raises(ValidationError, match="already been renewed"):
            services.licence_renew(actor=staff_user, licence=old)

    def test_licences_expire_only_after_their_term(self, staff_user):
        from datetime import timedelta

        from django.utils import timezone

        running = licence_in("active")
        with pytest.raises(ValidationError, match="terminate it to end it earlier"):
            services.licence_expire(actor=staff_user, licence=running)
        over = licence_in("active", ends_on=timezone.localdate() - timedelta(days=1))
        assert services.licences_expire_due() == 1
        assert services.licences_expire_due() == 0  # a second run changes nothing
        over.refresh_from_db()
        running.refresh_from_db()
        assert (over.status, running.status) == (L.EXPIRED, L.ACTIVE)
        [event] = AuditEvent.objects.filter(action="licence.expire", target_id=str(over.pk))
        assert event.actor is None  # the portal itself
        with pytest.raises(ValidationError, match="terminate it to end it earlier"):
            services.licence_expire_by_portal(licence=running)

    def test_a_lost_pdf_render_is_picked_up_by_the_sweeper(self):
        from datetime import timedelta

        from django.utils import timezone

        licence = licence_in("issued")
        sign(licence)  # the render task never ran (no on-commit callbacks here)
        Signature.objects.filter(licence=licence).update(
            signed_at=timezone.now() - timedelta(minutes=30)
        )
        assert services.licences_render_missing_pdfs() == 1
        assert services.licences_render_missing_pdfs() == 0
        licence.refresh_from_db()
        assert licence.signed_pdf is not None
