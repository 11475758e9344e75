"""Forfeiture cases: right of reply, four eyes, and the decision's effect on the licence."""

import threading
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, connections, transaction
from django.urls import reverse
from django.utils import timezone

from alliance_portal.models import AuditEvent, OutboxMessage
from alliance_portal.outbox import relay_pending
from alliance_portal.states import IllegalTransition
from compliance import selectors, services
from compliance.models import CASE_TRANSITIONS, CaseStatus, ForfeitureCase
from licensing.models import LicenceAgreement, LicenceStatus
from members.models import Membership, Role
from tests.factories import MemberFactory, UserFactory, decider, licence_in, signatory_of
from tests.files import pdf_bytes
from tests.smtp_sink import SmtpSink, smtp_settings

K = CaseStatus


def open_case(staff, licence=None, status=None):
    licence = licence or licence_in("active", member=MemberFactory(public_listing_consent=True))
    from members.models import Membership, Role

    if not licence.member.memberships.filter(role=Role.SIGNATORY).exists():
        Membership.objects.create(member=licence.member, user=UserFactory(), role=Role.SIGNATORY)
    case = services.case_open(
        actor=staff, licence=licence, grounds="non_compliance", narrative="Findings left open."
    )
    if status is not None:
        ForfeitureCase.objects.filter(pk=case.pk).update(
            status=status, response_due_on=timezone.localdate() + timedelta(days=30)
        )
        case.refresh_from_db()
    return case


@pytest.mark.django_db
@pytest.mark.parametrize("status", [s for s in K.values if s != K.DECIDED])
@pytest.mark.parametrize("action", list(CASE_TRANSITIONS))
def test_case_transitions_from_every_state(action, status, staff_user):
    case = open_case(staff_user, status=status)
    judge = decider()
    if action == "close_window":
        ForfeitureCase.objects.filter(pk=case.pk).update(
            response_due_on=timezone.localdate() - timedelta(days=1)
        )
        case.refresh_from_db()
    calls = {
        "send_notice": lambda: services.case_send_notice(actor=staff_user, case=case),
        "respond": lambda: services.case_respond(
            actor=signatory_of(case.licence.member), case=case, response="We disagree."
        ),
        "close_window": lambda: services.case_close_window(actor=staff_user, case=case),
        "decide": lambda: services.case_decide(
            actor=judge, case=case, decision="warning", reasons="A first warning."
        ),
    }
    transition = CASE_TRANSITIONS[action]
    if status in transition.sources:
        calls[action]()
        case.refresh_from_db()
        assert case.status == transition.target
    else:
        with pytest.raises((IllegalTransition, ValidationError)):
            calls[action]()
        case.refresh_from_db()
        assert case.status == status


@pytest.mark.django_db
class TestFourEyes:
    def test_the_opener_cannot_decide_even_through_the_service(self):
        opener = decider()  # holds the permission, yet opened the case
        case = open_case(opener, status=K.RESPONSE_RECEIVED)
        with pytest.raises(PermissionDenied, match="other than the person who opened"):
            services.case_decide(actor=opener, case=case, decision="forfeiture", reasons="x")
        case.refresh_from_db()
        assert case.status == K.RESPONSE_RECEIVED
        assert case.licence.status == LicenceStatus.ACTIVE

    def test_the_database_refuses_it_too(self, staff_user):
        case = open_case(staff_user, status=K.RESPONSE_RECEIVED)
        with pytest.raises(IntegrityError), transaction.atomic():
            ForfeitureCase.objects.filter(pk=case.pk).update(
                status=K.DECIDED, decision="warning", decided_by=staff_user
            )

    def test_staff_without_the_permission_cannot_decide(self, staff_user):
        case = open_case(staff_user, status=K.RESPONSE_RECEIVED)
        with pytest.raises(PermissionDenied):
            services.case_decide(
                actor=UserFactory(staff=True), case=case, decision="warning", reasons="x"
            )

    def test_the_opener_cannot_lift_the_suspension_either(self):
        """Four eyes on lifting a suspension, not only on deciding it."""
        opener = decider()  # holds the permission, yet opened the case
        case = open_case(opener, status=K.WINDOW_CLOSED)
        services.case_decide(actor=decider(), case=case, decision="suspension", reasons="2.3.")
        with pytest.raises(PermissionDenied, match="other than the person who opened"):
            services.case_reinstate(actor=opener, case=case, reason="Remedied, says the opener.")
        case.refresh_from_db()
        assert case.reinstated_at is None
        assert LicenceAgreement.objects.get(pk=case.licence_id).status == LicenceStatus.SUSPENDED
        services.case_reinstate(actor=decider(), case=case, reason="Policy adopted.")
        assert LicenceAgreement.objects.get(pk=case.licence_id).status == LicenceStatus.ACTIVE


@pytest.mark.django_db
def test_only_staff_open_a_case_checked_by_the_service(staff_user):
    licence = licence_in("active")
    for outsider in (signatory_of(licence.member), UserFactory(), None):
        with pytest.raises(PermissionDenied):
            services.case_open(
                actor=outsider, licence=licence, grounds="logo_misuse", narrative="Misuse."
            )
    assert not ForfeitureCase.objects.exists()
    case = services.case_open(
        actor=staff_user, licence=licence, grounds="logo_misuse", narrative="Misuse."
    )
    assert case.opened_by == staff_user


@pytest.mark.django_db
class TestTheMemberLearnsOfACaseWithItsNotice:
    def test_the_selector_hides_it_until_the_notice_is_sent(self, staff_user):
        case = open_case(staff_user)
        signatory = signatory_of(case.licence.member)
        assert not selectors.cases_visible_to(signatory).exists()
        services.case_send_notice(actor=staff_user, case=case)
        assert list(selectors.cases_visible_to(signatory)) == [case]

    def test_the_case_page_is_404_before_the_notice_and_200_after(self, client, staff_user):
        case = open_case(staff_user)
        client.force_login(signatory_of(case.licence.member))
        url = reverse("compliance:case_detail", args=[case.pk])
        assert client.get(url).status_code == 404
        assert url not in client.get(reverse("dashboard")).content.decode()
        services.case_send_notice(actor=staff_user, case=case)
        response = client.get(url)
        assert response.status_code == 200
        assert "Findings left open." in response.content.decode()
        assert url in client.get(reverse("dashboard")).content.decode()


@pytest.mark.django_db
class TestResponseDocuments:
    def test_a_member_adds_documents_to_its_response_within_the_window(self, client, staff_user):
        case = open_case(staff_user)
        services.case_send_notice(actor=staff_user, case=case)
        services.case_confirm_notice(actor=staff_user, case=case, note="Handed over.")
        signatory = signatory_of(case.licence.member)
        viewer = UserFactory()
        Membership.objects.create(member=case.licence.member, user=viewer, role=Role.VIEWER)
        for refused in (viewer, UserFactory(), staff_user):
            with pytest.raises(PermissionDenied):
                services.case_add_response_document(
                    actor=refused, case=case, uploaded_file=SimpleUploadedFile("x.pdf", pdf_bytes())
                )
        attached = services.case_add_response_document(
            actor=signatory, case=case, uploaded_file=SimpleUploadedFile("reply.pdf", pdf_bytes())
        )
        assert attached is not None and attached.case_id == case.pk
        assert AuditEvent.objects.filter(
            action="case.document_added", actor=signatory, target_id=str(case.pk)
        ).exists()
        # The member sees and downloads it from the case page; the decision maker reads it too.
        client.force_login(signatory)
        page = client.get(reverse("compliance:case_detail", args=[case.pk])).content.decode()
        assert "reply.pdf" in page
        download = reverse("compliance:case_document", args=[case.pk, attached.document_id])
        assert client.get(download).status_code == 200
        # Once the window has closed, nothing more is added.
        ForfeitureCase.objects.filter(pk=case.pk).update(
            response_due_on=timezone.localdate() - timedelta(days=1)
        )
        case.refresh_from_db()
        with pytest.raises(ValidationError, match="window has closed"):
            services.case_add_response_document(
                actor=signatory,
                case=case,
                uploaded_file=SimpleUploadedFile("late.pdf", pdf_bytes()),
            )
        assert case.response_documents.count() == 1

    def test_nothing_is_added_before_the_notice_or_after_the_response(self, staff_user):
        case = open_case(staff_user)
        signatory = signatory_of(case.licence.member)
        with pytest.raises(ValidationError, match="not waiting for a response"):
            services.case_add_response_document(
                actor=signatory, case=case, uploaded_file=SimpleUploadedFile("a.pdf", pdf_bytes())
            )
        services.case_send_notice(actor=staff_user, case=case)
        services.case_respond(actor=signatory, case=case, response="We disagree.")
        with pytest.raises(ValidationError, match="not waiting for a response"):
            services.case_add_response_document(
                actor=signatory, case=case, uploaded_file=SimpleUploadedFile("b.pdf", pdf_bytes())
            )
        assert not case.response_documents.exists()


@pytest.mark.django_db
class TestDecisionEffects:
    def test_forfeiture_forfeits_the_licence_and_removes_it_from_the_register(
        self, client, staff_user
    ):
        case = open_case(staff_user, status=K.RESPONSE_RECEIVED)
        register = reverse("public:register_json")
        assert client.get(register).json()["count"] == 1
        services.case_decide(
            actor=decider(), case=case, decision="forfeiture", reasons="Material breach of 2.2."
        )
        licence = LicenceAgreement.objects.get(pk=case.licence_id)
        assert licence.status == LicenceStatus.FORFEITED
        assert client.get(register).json()["count"] == 0

    def test_a_failed_decision_changes_nothing(self, staff_user):
        case = open_case(staff_user, status=K.RESPONSE_RECEIVED)
        with pytest.raises(ValidationError, match="future date"):
            services.case_decide(
                actor=decider(),
                case=case,
                decision="suspension",
                reasons="Until remedied.",
                suspended_until=timezone.localdate() - timedelta(days=3),
            )
        case.refresh_from_db()
        assert case.status == K.RESPONSE_RECEIVED and case.decision == ""
        assert LicenceAgreement.objects.get(pk=case.licence_id).status == LicenceStatus.ACTIVE

    def test_suspension_then_reinstatement(self, staff_user):
        case = open_case(staff_user, status=K.WINDOW_CLOSED)
        judge = decider()
        services.case_decide(actor=judge, case=case, decision="suspension", reasons="Remedy 2.3.")
        assert LicenceAgreement.objects.get(pk=case.licence_id).status == LicenceStatus.SUSPENDED
        with pytest.raises(ValidationError, match="Say how the failure was remedied"):
            services.case_reinstate(actor=judge, case=case, reason="")
        services.case_reinstate(actor=judge, case=case, reason="Policy adopted and evidenced.")
        assert LicenceAgreement.objects.get(pk=case.licence_id).status == LicenceStatus.ACTIVE
        with pytest.raises(ValidationError):
            services.case_reinstate(actor=judge, case=case, reason="Again.")

    def test_the_member_sees_the_decision_and_its_reasons(self, client, staff_user):
        case = open_case(staff_user, status=K.RESPONSE_RECEIVED)
        services.case_decide(
            actor=decider(), case=case, decision="warning", reasons="Attest on time next year."
        )
        client.force_login(signatory_of(case.licence.member))
        html = client.get(reverse("compliance:case_detail", args=[case.pk])).content.decode()
        assert "Warning" in html and "Attest on time next year." in html


@pytest.mark.django_db
class TestRightOfReply:
    def test_the_window_runs_from_the_notices_delivery_and_late_replies_are_refused(
        self, staff_user, django_capture_on_commit_callbacks
    ):
        case = open_case(staff_user)
        services.case_send_notice(actor=staff_user, case=case)
        case.refresh_from_db()
        # Sent, not yet delivered: the member's time has not started to run.
        assert case.status == K.NOTICE_SENT and case.response_due_on is None
        with pytest.raises(ValidationError, match="notice has not been delivered"):
            services.case_close_window(actor=staff_user, case=case)
        with django_capture_on_commit_callbacks(execute=True):
            relay_pending()  # the mail server accepts it; the window starts from that moment
        case.refresh_from_db()
        notice = OutboxMessage.objects.get(target_id=str(case.pk), template="case_notice")
        assert case.notice_delivered_at == notice.delivered_at
        assert case.response_due_on == timezone.localdate() + timedelta(days=30)
        assert AuditEvent.objects.filter(action="case.notice_delivered").count() == 1
        with pytest.raises(ValidationError, match="window is open until"):
            services.case_close_window(actor=staff_user, case=case)
        ForfeitureCase.objects.filter(pk=case.pk).update(
            response_due_on=timezone.localdate() - timedelta(days=1)
        )
        case.refresh_from_db()
        with pytest.raises(ValidationError, match="window has closed"):
            services.case_respond(
                actor=signatory_of(case.licence.member), case=case, response="Too late."
            )

    def test_an_undelivered_notice_waits_for_staff_to_confirm_it_reached_the_member(
        self, staff_user, settings
    ):
        with SmtpSink() as sink:
            smtp_settings(settings, sink)
            case = open_case(staff_user)
            people = [m.user.email for m in case.licence.member.memberships.all()]
            sink.refused.update(people)
            services.case_send_notice(actor=staff_user, case=case)
            relay_pending()
        notices = OutboxMessage.objects.filter(target_id=str(case.pk), template="case_notice")
        assert {m.status for m in notices} == {OutboxMessage.Status.FAILED}
        case.refresh_from_db()
        assert case.response_due_on is None and case.notice_delivered_at is None
        with pytest.raises(ValidationError, match="notice has not been delivered"):
            services.case_close_window(actor=staff_user, case=case)
        signatory = signatory_of(case.licence.member)
        with pytest.raises(PermissionDenied):
            services.case_confirm_notice(actor=signatory, case=case, note="Delivered by hand.")
        with pytest.raises(ValidationError, match="how the notice reached"):
            services.case_confirm_notice(actor=staff_user, case=case, note=" ")
        services.case_confirm_notice(
            actor=staff_user, case=case, note="Handed to the signatory by courier."
        )
        case.refresh_from_db()
        assert case.response_due_on == timezone.localdate() + timedelta(days=30)
        assert case.notice_delivery_note == "Handed to the signatory by courier."
        with pytest.raises(ValidationError, match="already been delivered"):
            services.case_confirm_notice(actor=staff_user, case=case, note="Again.")

    def test_a_delivered_notice_whose_follow_up_was_lost_still_starts_the_window(self, staff_user):
        from compliance.services.jobs_registry import JOBS

        case = open_case(staff_user)
        services.case_send_notice(actor=staff_user, case=case)
        relay_pending(max_batches=1)  # delivered; the follow-up task is queued ...
        OutboxMessage.objects.filter(task_name="compliance.tasks.case_notice_delivered").update(
            status=OutboxMessage.Status.FAILED  # ... and lost
        )
        case.refresh_from_db()
        assert case.notice_delivered_at is None
        assert JOBS["start_response_windows"]() == 1
        case.refresh_from_db()
        notice = OutboxMessage.objects.get(template="case_notice", target_id=str(case.pk))
        assert case.notice_delivered_at == notice.delivered_at
        assert case.response_due_on == timezone.localdate(notice.delivered_at) + timedelta(days=30)
        assert JOBS["start_response_windows"]() == 0  # idempotent

    def test_a_second_delivery_does_not_move_the_window(self, staff_user, settings):
        case = open_case(staff_user)
        from members.models import Membership, Role

        Membership.objects.create(
            member=case.licence.member, user=UserFactory(), role=Role.COMPLIANCE_OFFICER
        )
        services.case_send_notice(actor=staff_user, case=case)
        relay_pending()  # delivers both notices (the follow-up tasks are queued, not yet run)
        first, second = OutboxMessage.objects.filter(
            target_id=str(case.pk), template="case_notice"
        ).order_by("pk")
        OutboxMessage.objects.filter(pk=second.pk).update(
            delivered_at=first.delivered_at + timedelta(days=3)
        )
        services.case_notice_delivered(message_id=first.pk)
        services.case_notice_delivered(message_id=second.pk)
        case.refresh_from_db()
        assert case.notice_delivered_at == first.delivered_at
        assert AuditEvent.objects.filter(action="case.notice_delivered").count() == 1

    def test_a_member_responds_in_the_portal(self, client, staff_user):
        case = open_case(staff_user)
        services.case_send_notice(actor=staff_user, case=case)
        client.force_login(signatory_of(case.licence.member))
        url = reverse("compliance:case_detail", args=[case.pk])
        assert client.post(url, {"text": ""}).status_code == 400
        assert client.post(url, {"text": "We have fixed it."}).status_code == 302
        case.refresh_from_db()
        assert case.status == K.RESPONSE_RECEIVED and case.response == "We have fixed it."


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
# A warning touches no licence: only the case's own lock keeps it to one decision.
@pytest.mark.parametrize("decision", ["suspension", "warning"])
def test_two_deciders_at_once_make_one_decision(reference_data, decision):
    staff = UserFactory(staff=True)
    case = open_case(staff, status=K.RESPONSE_RECEIVED)
    deciders = [decider(), decider()]
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def decide(judge) -> None:
        try:
            barrier.wait()
            services.case_decide(
                actor=judge, case=case, decision=decision, reasons=f"By {judge.email}"
            )
            outcomes.append("decided")
        except IllegalTransition:
            outcomes.append("refused")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=decide, args=(judge,)) for judge in deciders]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["decided", "refused"]
    case.refresh_from_db()
    assert case.status == K.DECIDED
    from alliance_portal.models import AuditEvent

    assert AuditEvent.objects.filter(action="case.decided").count() == 1
    suspensions = AuditEvent.objects.filter(action="licence.suspend").count()
    assert suspensions == (1 if decision == "suspension" else 0)
    assert OutboxMessage.objects.filter(template="case_decided").count() == 1


@pytest.mark.django_db
def test_a_decision_failing_after_the_licence_changed_leaves_nothing(staff_user, monkeypatch):
    """The licence is forfeited first, then recording the decision fails: all of it rolls back."""
    from compliance.services import cases as case_services

    case = open_case(staff_user, status=K.RESPONSE_RECEIVED)
    real_record = case_services.audit_record

    def failing_record(**kwargs):
        if kwargs.get("action") == "case.decided":
            raise RuntimeError("the audit log is unavailable")
        return real_record(**kwargs)

    monkeypatch.setattr(case_services, "audit_record", failing_record)
    with pytest.raises(RuntimeError):
        services.case_decide(actor=decider(), case=case, decision="forfeiture", reasons="Breach.")
    case.refresh_from_db()
    assert case.status == K.RESPONSE_RECEIVED and case.decision == ""
    assert LicenceAgreement.objects.get(pk=case.licence_id).status == LicenceStatus.ACTIVE
