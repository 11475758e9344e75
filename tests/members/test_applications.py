"""The application's lifecycle, through its services."""

import threading

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connections

from alliance_portal.models import AuditEvent
from alliance_portal.states import IllegalTransition
from members import services
from members.models import (
    APPLICATION_TRANSITIONS,
    Application,
    ApplicationStatus,
    Member,
    Membership,
    Role,
)
from tests.factories import (
    CHECKLIST_DONE,
    ApplicationFactory,
    UserFactory,
    complete_application,
)

S = ApplicationStatus


def _perform(action: str, application: Application, staff, applicant):
    """Call the service behind `action` with valid arguments."""
    calls = {
        "submit": lambda: services.application_submit(actor=applicant, application=application),
        "start_review": lambda: services.application_start_review(
            actor=staff, application=application
        ),
        "request_information": lambda: services.application_request_information(
            actor=staff, application=application, message="Please send the 2025 accounts."
        ),
        "resubmit": lambda: services.application_resubmit(
            actor=applicant, application=application, answer="Uploaded them."
        ),
        "approve": lambda: services.application_approve(
            actor=staff, application=application, risk_rating="low"
        ),
        "reject": lambda: services.application_reject(
            actor=staff, application=application, reason="Not a long-term client."
        ),
        "withdraw": lambda: services.application_withdraw(actor=applicant, application=application),
    }
    return calls[action]()


@pytest.mark.django_db
@pytest.mark.parametrize("status", S.values)
@pytest.mark.parametrize("action", list(APPLICATION_TRANSITIONS))
def test_every_transition_from_every_state(action, status, staff_user):
    application = complete_application(status=status, **CHECKLIST_DONE)
    events_before = AuditEvent.objects.count()
    transition = APPLICATION_TRANSITIONS[action]
    if status in transition.sources:
        _perform(action, application, staff_user, application.applicant)
        application.refresh_from_db()
        assert application.status == transition.target
        assert AuditEvent.objects.count() > events_before
    else:
        with pytest.raises(IllegalTransition) as refused:
            _perform(action, application, staff_user, application.applicant)
        assert "cannot be done while the status is" in str(refused.value.messages[0])
        assert str(S(status).label) in str(refused.value.messages[0])
        application.refresh_from_db()
        assert application.status == status
        assert AuditEvent.objects.count() == events_before


@pytest.mark.django_db
class TestSubmission:
    def test_refused_with_every_missing_item_named(self):
        application = ApplicationFactory(legal_name="Half Done Ltd")
        with pytest.raises(ValidationError) as refused:
            services.application_submit(actor=application.applicant, application=application)
        messages = refused.value.messages
        assert "Fill in: registration number." in messages
        assert "Upload: Certificate of incorporation." in messages
        assert any("Answer:" in m for m in messages)
        assert not any("legal name" in m for m in messages)
        application.refresh_from_db()
        assert application.status == S.DRAFT
        assert not AuditEvent.objects.filter(action="application.submitted").exists()

    def test_the_company_must_commit_to_the_guidelines(self):
        application = complete_application(accepts_guidelines=False)
        with pytest.raises(ValidationError, match="must commit to follow the Guidelines"):
            services.application_submit(actor=application.applicant, application=application)

    def test_submit_tells_staff_in_their_own_language(
        self, staff_user, django_capture_on_commit_callbacks
    ):
        russian_staff = UserFactory(staff=True, language="ru")
        application = complete_application()
        with django_capture_on_commit_callbacks(execute=True):
            services.application_submit(actor=application.applicant, application=application)
        applicant = application.applicant.email
        assert [m.to for m in mail.outbox].count([applicant]) == 1  # the applicant's receipt
        by_recipient = {m.to[0]: m for m in mail.outbox if m.to[0] != applicant}
        assert set(by_recipient) == {staff_user.email, russian_staff.email}
        assert "New application: Arctic Rough Ltd" in by_recipient[staff_user.email].subject
        assert "Новая заявка" in by_recipient[russian_staff.email].subject
        html, mime = by_recipient[staff_user.email].alternatives[0]
        assert mime == "text/html"
        assert f"/admin/members/application/{application.pk}/change/" in html

    def test_someone_else_cannot_submit(self):
        application = complete_application()
        with pytest.raises(PermissionDenied):
            services.application_submit(actor=UserFactory(), application=application)
        application.refresh_from_db()
        assert application.status == S.DRAFT

    def test_a_second_submit_is_refused_cleanly_and_records_nothing(self):
        application = complete_application()
        services.application_submit(actor=application.applicant, application=application)
        with pytest.raises(IllegalTransition):
            services.application_submit(actor=application.applicant, application=application)
        assert AuditEvent.objects.filter(action="application.submitted").count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_submits_make_one_submission_and_one_audit_event(reference_data):
    application = complete_application()
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def submit() -> None:
        try:
            barrier.wait()
            services.application_submit(actor=application.applicant, application=application)
            outcomes.append("submitted")
        except IllegalTransition:
            outcomes.append("refused")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=submit) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["refused", "submitted"]
    assert AuditEvent.objects.filter(action="application.submitted").count() == 1


@pytest.mark.django_db
class TestReview:
    def test_only_staff_review(self):
        application = complete_application(status=S.SUBMITTED)
        for actor in (application.applicant, UserFactory()):
            with pytest.raises(PermissionDenied):
                services.application_start_review(actor=actor, application=application)

    def test_request_needs_a_message_and_reaches_the_applicant_in_russian(
        self, staff_user, django_capture_on_commit_callbacks
    ):
        applicant = UserFactory(language="ru")
        application = complete_application(applicant=applicant, status=S.UNDER_REVIEW)
        with pytest.raises(ValidationError, match="Say what information is needed"):
            services.application_request_information(
                actor=staff_user, application=application, message="   "
            )
        with django_capture_on_commit_callbacks(execute=True):
            services.application_request_information(
                actor=staff_user, application=application, message="Нужна отчётность за 2025 год."
            )
        [email] = mail.outbox
        assert email.to == [applicant.email]
        assert "Нужна отчётность за 2025 год." in email.body
        assert "Требуется дополнительная информация" in email.subject

    def test_answer_resubmits_and_is_kept_with_the_request(self, staff_user):
        application = complete_application(status=S.UNDER_REVIEW)
        services.application_request_information(
            actor=staff_user, application=application, message="Accounts, please."
        )
        with pytest.raises(ValidationError, match="Write your answer"):
            services.application_resubmit(
                actor=application.applicant, application=application, answer=""
            )
        services.application_resubmit(
            actor=application.applicant, application=application, answer="Uploaded."
        )
        application.refresh_from_db()
        assert application.status == S.UNDER_REVIEW
        info = application.information_requests.get()
        assert info.answer == "Uploaded." and info.answered_at is not None

    def test_approval_makes_a_member_with_the_applicant_as_signatory(
        self, staff_user, django_capture_on_commit_callbacks
    ):
        application = complete_application(
            status=S.UNDER_REVIEW, public_listing_consent=True, **CHECKLIST_DONE
        )
        with pytest.raises(ValidationError, match="Choose a risk rating"):
            services.application_approve(actor=staff_user, application=application, risk_rating="")
        with django_capture_on_commit_callbacks(execute=True):
            member = services.application_approve(
                actor=staff_user, application=application, risk_rating="high"
            )
        assert member.legal_name == "Arctic Rough Ltd"
        assert member.risk_rating == "high" and member.public_listing_consent
        assert Membership.objects.get(member=member).user == application.applicant
        assert Membership.objects.get(member=member).role == Role.SIGNATORY
        application.refresh_from_db()
        assert application.member == member and application.decided_by == staff_user
        assert "approved" in mail.outbox[-1].subject

    def test_a_company_already_a_member_cannot_be_approved_twice(self, staff_user):
        first = complete_application(status=S.UNDER_REVIEW, **CHECKLIST_DONE)
        services.application_approve(actor=staff_user, application=first, risk_rating="low")
        second = complete_application(
            status=S.UNDER_REVIEW, registration_number="ar-123", **CHECKLIST_DONE
        )
        with pytest.raises(ValidationError, match="already exists"):
            services.application_approve(actor=staff_user, application=second, risk_rating="low")
        second.refresh_from_db()
        assert second.status == S.UNDER_REVIEW
        assert Member.objects.count() == 1

    def test_rejection_needs_a_reason_the_applicant_sees(
        self, staff_user, django_capture_on_commit_callbacks
    ):
        application = complete_application(status=S.UNDER_REVIEW)
        with pytest.raises(ValidationError, match="Give the reason"):
            services.application_reject(actor=staff_user, application=application, reason=" ")
        with django_capture_on_commit_callbacks(execute=True):
            services.application_reject(
                actor=staff_user, application=application, reason="No long-term contract."
            )
        application.refresh_from_db()
        assert application.decision_reason == "No long-term contract."
        assert "No long-term contract." in mail.outbox[-1].body
