"""Documents that stay valid: dates on upload, reminders before expiry, the requirement
reopening on expiry, the finding after the grace period, and staff's verify/reject."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from alliance_portal.documents import document_store
from alliance_portal.documents.validity import default_expiry, validity_dates_check
from alliance_portal.models import AuditEvent, Document, Notification, OutboxMessage
from compliance import services
from compliance.models import AnswerEvidence, DocumentValidityNotice, Finding
from compliance.selectors_validity import (
    documents_expired_or_expiring,
    documents_to_update_for,
    held_documents,
)
from compliance.services.validity import document_validity_check
from members.models import DocumentRequirement, MemberDocument, Membership, Role
from tests.factories import UserFactory, cycle_for, member_with, signatory_of
from tests.files import multipart, pdf_bytes
from tests.helpers import login_with_mfa

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate


def _pdf(name: str = "kp.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, pdf_bytes(), content_type="application/pdf")


def held(member, *, expires_on, code="kp-registration", days_ago=0, issued_on=None):
    """A member's document for a requirement, with the given expiry, added ``days_ago``."""
    document = document_store(actor=None, uploaded_file=_pdf(f"{code}.pdf"))
    Document.objects.filter(pk=document.pk).update(
        issued_on=issued_on or min(expires_on, TODAY()) - timedelta(days=300),
        expires_on=expires_on,
    )
    document.refresh_from_db()
    return MemberDocument.objects.create(
        member=member,
        requirement=DocumentRequirement.objects.get(code=code),
        document=document,
        added_at=timezone.now() - timedelta(days=days_ago),
    )


def evidence_on(cycle, *, expires_on):
    """Evidence for the cycle's first criterion (1.1, whose evidence expires)."""
    answer = cycle.answers.select_related("criterion").order_by("criterion__code").first()
    item = services.evidence_add(
        actor=signatory_of(cycle.member),
        cycle=cycle,
        criterion=answer.criterion,
        uploaded_file=_pdf("registration.pdf"),
    )
    Document.objects.filter(pk=item.document_id).update(
        issued_on=expires_on - timedelta(days=365), expires_on=expires_on
    )
    return item


def reminders_of(document) -> list[int]:
    return sorted(
        DocumentValidityNotice.objects.filter(document=document, kind="reminder").values_list(
            "days", flat=True
        )
    )


# --- The dates ------------------------------------------------------------------------------


def test_the_dates_are_checked_and_the_expiry_defaults_from_the_issue_date():
    today = TODAY()
    issued = today - timedelta(days=10)
    assert validity_dates_check(
        issued_on=issued, expires_on=None, expires=True, validity_months=12
    ) == (issued, default_expiry(issued, 12))
    assert default_expiry(issued, 12) == issued.replace(year=issued.year + 1) - timedelta(days=1)
    cases = [
        ({"issued_on": today, "expires_on": today - timedelta(days=1)}, "expires_on"),
        ({"issued_on": today + timedelta(days=1), "expires_on": None}, "issued_on"),
        ({"issued_on": None, "expires_on": None}, "issued_on"),
        ({"issued_on": issued - timedelta(days=900), "expires_on": issued}, "expires_on"),
    ]
    for dates, field in cases:
        with pytest.raises(ValidationError) as refused:
            validity_dates_check(**dates, expires=True, validity_months=12)
        assert field in refused.value.message_dict, dates
    # A requirement that does not expire asks for nothing.
    assert validity_dates_check(
        issued_on=None, expires_on=None, expires=False, validity_months=None
    ) == (None, None)


def test_an_expiry_before_the_issue_date_is_a_form_error_and_nothing_is_stored(client):
    member, signatory = member_with()
    client.force_login(signatory)
    requirement = DocumentRequirement.objects.get(code="kp-registration")
    before = Document.objects.count()
    body, content_type = multipart(
        {
            "requirement": str(requirement.pk),
            "issued_on": str(TODAY()),
            "expires_on": str(TODAY() - timedelta(days=3)),
        },
        [("file", "kp.pdf", pdf_bytes())],
    )
    response = client.post(
        reverse("portal:member_documents", args=[member.pk]),
        data=body,
        content_type=content_type,
    )
    assert response.status_code == 400
    assert "The document cannot expire before it was issued." in response.content.decode()
    assert Document.objects.count() == before
    assert not MemberDocument.objects.filter(member=member).exists()


def test_an_expiring_requirement_needs_its_issue_date_and_prefills_the_expiry(
    client, django_capture_on_commit_callbacks
):
    member, signatory = member_with()
    client.force_login(signatory)
    requirement = DocumentRequirement.objects.get(code="aml-kyc-policy")  # 24 months
    url = reverse("portal:member_documents", args=[member.pk])
    body, content_type = multipart(
        {"requirement": str(requirement.pk)}, [("file", "aml.pdf", pdf_bytes())]
    )
    missing = client.post(url, data=body, content_type=content_type)
    assert missing.status_code == 400
    assert "Give the date the document was issued." in missing.content.decode()
    issued = TODAY() - timedelta(days=40)
    body, content_type = multipart(
        {"requirement": str(requirement.pk), "issued_on": str(issued)},
        [("file", "aml.pdf", pdf_bytes())],
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, data=body, content_type=content_type)
    assert response.status_code == 302
    link = MemberDocument.objects.get(member=member, requirement=requirement)
    assert link.document.issued_on == issued
    assert link.document.expires_on == default_expiry(issued, 24)


def test_application_and_evidence_uploads_refuse_bad_dates_with_a_400(client):
    from tests.factories import ApplicationFactory

    application = ApplicationFactory()
    client.force_login(application.applicant)
    requirement = DocumentRequirement.objects.get(code="kp-registration")
    body, content_type = multipart(
        {
            "requirement": str(requirement.pk),
            "issued_on": str(TODAY()),
            "expires_on": str(TODAY() - timedelta(days=1)),
        },
        [("file", "kp.pdf", pdf_bytes())],
    )
    response = client.post(
        reverse("portal:application_upload", args=[application.pk]),
        data=body,
        content_type=content_type,
    )
    assert response.status_code == 400
    assert "The document cannot expire before it was issued." in response.content.decode()
    assert not application.documents.exists()

    cycle = cycle_for("open")
    answer = cycle.answers.select_related("criterion").order_by("criterion__code").first()
    assert answer.criterion.evidence_expires  # 1.1: the KP registration, 12 months
    client.force_login(signatory_of(cycle.member))
    body, content_type = multipart(
        {"issued_on": str(TODAY()), "expires_on": str(TODAY() - timedelta(days=1))},
        [("file", "kp.pdf", pdf_bytes())],
    )
    response = client.post(
        reverse("compliance:evidence_upload", args=[cycle.pk, answer.criterion_id]),
        data=body,
        content_type=content_type,
        headers={"hx-request": "true"},
    )
    assert response.status_code == 400
    assert "The document cannot expire before it was issued." in response.content.decode()
    assert not AnswerEvidence.objects.filter(answer=answer).exists()


# --- Reminders ------------------------------------------------------------------------------


def test_reminders_go_at_each_threshold_exactly_once(django_capture_on_commit_callbacks):
    member, signatory = member_with()
    today = TODAY()
    expiry = today + timedelta(days=61)
    link = held(member, expires_on=expiry)
    sent_on = []
    for offset in range(64):  # from 61 days before the expiry to two days after it
        day = today + timedelta(days=offset)
        with django_capture_on_commit_callbacks(execute=True):
            first = document_validity_check(today=day)
            again = document_validity_check(today=day)
        assert again == {"reminders": 0, "findings": 0}
        if first["reminders"]:
            sent_on.append((expiry - day).days)
    assert sent_on == [60, 30, 7, 0]
    assert reminders_of(link.document) == [0, 7, 30, 60]
    emails = OutboxMessage.objects.filter(template="document_expiring", recipient=signatory.email)
    assert emails.count() == 4
    assert Notification.objects.filter(user=signatory, template="document_expiring").count() == 4
    assert any("expires in 60 days" in m.subject for m in emails)
    assert any("has expired" in m.subject for m in emails)


def test_a_job_that_missed_days_sends_only_the_nearest_reminder():
    member, _signatory = member_with()
    link = held(member, expires_on=TODAY() + timedelta(days=5))
    assert document_validity_check() == {"reminders": 1, "findings": 0}
    assert reminders_of(link.document) == [7]  # not 60 and 30 as well


def test_thresholds_are_a_setting(settings):
    settings.ALLIANCE_DOCUMENT_REMINDER_DAYS = (0, 14)
    member, _signatory = member_with()
    link = held(member, expires_on=TODAY() + timedelta(days=20))
    assert document_validity_check()["reminders"] == 0
    assert document_validity_check(today=TODAY() + timedelta(days=6))["reminders"] == 1
    assert reminders_of(link.document) == [14]


def test_a_replaced_document_no_longer_reminds():
    member, _signatory = member_with()
    old = held(member, expires_on=TODAY() + timedelta(days=5), days_ago=400)
    held(member, expires_on=TODAY() + timedelta(days=360))
    assert [row.document.pk for row in held_documents([member.pk], expiring_only=True)] != [
        old.document_id
    ]
    assert document_validity_check() == {"reminders": 0, "findings": 0}
    assert reminders_of(old.document) == []


def test_a_requirement_that_does_not_expire_never_reminds():
    member, _signatory = member_with()
    link = held(member, code="ownership-structure", expires_on=TODAY() + timedelta(days=3))
    assert document_validity_check()["reminders"] == 0
    assert reminders_of(link.document) == []


def test_evidence_of_the_latest_accepted_review_reminds_until_the_review_under_way_has_its_own():
    from compliance.models import ReviewCycle

    cycle = cycle_for("open")
    accepted = evidence_on(cycle, expires_on=TODAY() + timedelta(days=6))
    ReviewCycle.objects.filter(pk=cycle.pk).update(
        status="accepted", outcome="compliant", decided_at=timezone.now()
    )
    assert document_validity_check()["reminders"] == 1
    under_way = cycle_for("open", licence=cycle.licence)
    fresh = evidence_on(under_way, expires_on=TODAY() + timedelta(days=300))
    docs = [row.document.pk for row in held_documents([cycle.member_id], expiring_only=True)]
    assert fresh.document_id in docs and accepted.document_id not in docs
    assert document_validity_check(today=TODAY() + timedelta(days=6))["reminders"] == 0


def test_the_reminder_reaches_the_mail_server_once_per_threshold(settings):
    from alliance_portal.outbox import relay_pending
    from tests.smtp_sink import SmtpSink, smtp_settings

    settings.ALLIANCE_OUTBOX_INLINE = False
    member, signatory = member_with()
    expiry = TODAY() + timedelta(days=7)
    held(member, expires_on=expiry)
    with SmtpSink() as sink:
        smtp_settings(settings, sink)
        for _run in range(2):
            document_validity_check()
            relay_pending()
        assert len(sink.to(signatory.email)) == 1
        for _run in range(2):
            document_validity_check(today=expiry)
            relay_pending()
        received = sink.to(signatory.email)
        assert len(received) == 2
        assert "expires in 7 days" in received[0]["Subject"]
        assert "has expired" in received[1]["Subject"]


# --- Expiry: the requirement reopens, then a finding ---------------------------------------


def test_an_expired_document_reopens_its_requirement_for_the_member_and_staff(client):
    member, signatory = member_with()
    expired = held(member, expires_on=TODAY() - timedelta(days=2))
    held(member, code="aml-kyc-policy", expires_on=TODAY() + timedelta(days=400))
    client.force_login(signatory)
    page = client.get(reverse("portal:member_documents", args=[member.pk])).content.decode()
    row = page.split(f'id="requirement-{expired.requirement_id}"')[1].split("</tr>")[0]
    assert "Update required" in row and "has expired" in row
    aml = DocumentRequirement.objects.get(code="aml-kyc-policy")
    aml_row = page.split(f'id="requirement-{aml.pk}"')[1].split("</tr>")[0]
    assert "Update required" not in aml_row
    dashboard = client.get(reverse("dashboard")).content.decode()
    section = dashboard.split('id="documents-to-update"')[1].split("</section>")[0]
    assert "Kimberley Process registration" in section and "Update required" in section
    assert list(documents_expired_or_expiring()) == [expired.document]
    # Replacing it closes it again.
    held(member, expires_on=TODAY() + timedelta(days=300))
    dashboard = client.get(reverse("dashboard")).content.decode()
    assert 'id="documents-to-update"' not in dashboard
    assert list(documents_expired_or_expiring()) == []


def test_expired_evidence_says_update_required_on_its_criterion(client):
    cycle = cycle_for("open")
    item = evidence_on(cycle, expires_on=TODAY() - timedelta(days=1))
    client.force_login(signatory_of(cycle.member))
    page = client.get(reverse("compliance:cycle_detail", args=[cycle.pk])).content.decode()
    code = item.answer.criterion.code.replace(".", "")
    block = page.split(f'id="evidence-{code}"')[1].split("</form>")[0]
    assert "Update required" in block
    # The expiring criterion's upload asks for the dates.
    assert 'name="issued_on"' in block


def test_a_finding_is_raised_after_the_grace_period_only_and_once(settings):
    settings.ALLIANCE_EXPIRED_DOCUMENT_GRACE_DAYS = 30
    cycle = cycle_for("open")
    expiry = TODAY() - timedelta(days=1)
    link = held(cycle.member, expires_on=expiry)
    item = evidence_on(cycle, expires_on=expiry)
    assert document_validity_check(today=expiry + timedelta(days=30))["findings"] == 0
    assert not Finding.objects.exists()
    assert document_validity_check(today=expiry + timedelta(days=31))["findings"] == 2
    assert document_validity_check(today=expiry + timedelta(days=32))["findings"] == 0
    findings = {f.criterion_id: f for f in Finding.objects.all()}
    assert len(findings) == 2
    on_evidence = findings[item.answer.criterion_id]
    assert on_evidence.cycle_id == cycle.pk and on_evidence.raised_by is None
    assert "expired on" in on_evidence.description
    assert findings[None].description.startswith("“Kimberley Process registration”")
    notices = DocumentValidityNotice.objects.filter(kind="finding")
    assert {n.document_id for n in notices} == {link.document_id, item.document_id}
    assert all(n.finding_id for n in notices)
    raised = AuditEvent.objects.filter(action="finding.raised")
    assert raised.count() == 2 and all(e.actor_id is None for e in raised)


def test_without_a_review_the_finding_waits_for_one():
    member, _signatory = member_with()
    expiry = TODAY() - timedelta(days=60)
    held(member, expires_on=expiry)
    assert document_validity_check()["findings"] == 0
    from tests.factories import licence_in

    cycle_for("open", licence=licence_in("active", member=member))
    assert document_validity_check()["findings"] == 1


# --- Staff verify and reject ------------------------------------------------------------------


def _act_url(document, action: str) -> str:
    return reverse("admin:compliance_memberdocumentrecord_act", args=[document.pk, action])


def test_only_staff_verify_or_reject(client, staff_user, django_capture_on_commit_callbacks):
    member, signatory = member_with()
    link = held(member, expires_on=TODAY() + timedelta(days=100))
    with pytest.raises(PermissionDenied):
        services.document_reject(actor=signatory, document=link.document, reason="Blurred")
    with pytest.raises(PermissionDenied):
        services.document_verify(actor=signatory, document=link.document)
    url = _act_url(link.document, "reject")
    # A member user: the admin's login, never the form.
    client.force_login(signatory)
    assert client.get(url).status_code == 302
    assert client.post(url, {"reason": "Blurred"}).status_code == 302
    # Staff without the documents' permission: refused.
    bare = UserFactory(staff=True)
    bare.groups.clear()
    login_with_mfa(client, bare)
    assert client.post(url, {"reason": "Blurred"}).status_code == 403
    link.document.refresh_from_db()
    assert link.document.review_status == "pending"
    # Customer policy staff.
    login_with_mfa(client, staff_user)
    assert client.post(url, {"reason": " "}).status_code == 400
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"reason": "The copy is not legible."})
    assert response.status_code == 302
    link.document.refresh_from_db()
    assert link.document.review_status == "rejected"
    assert link.document.review_reason == "The copy is not legible."
    assert link.document.reviewed_by == staff_user
    assert AuditEvent.objects.filter(action="document.rejected", actor=staff_user).exists()
    told = OutboxMessage.objects.get(template="document_rejected", recipient=signatory.email)
    assert "The copy is not legible." in told.body_text
    assert Notification.objects.filter(user=signatory, template="document_rejected").exists()
    # The member sees it must be updated.
    client.force_login(signatory)
    page = client.get(reverse("portal:member_documents", args=[member.pk])).content.decode()
    assert "Update required" in page and "The copy is not legible." in page


def test_staff_confirm_or_correct_the_dates(client, staff_user):
    member, _signatory = member_with()
    link = held(member, expires_on=TODAY() + timedelta(days=100))
    login_with_mfa(client, staff_user)
    change = client.get(
        reverse("admin:compliance_memberdocumentrecord_change", args=[link.document_id])
    )
    assert change.status_code == 200
    page = change.content.decode()
    assert _act_url(link.document, "verify") in page and _act_url(link.document, "reject") in page
    for query in ("", "?validity=rejected", "?validity=unreviewed", "?review_status=pending"):
        listing = client.get(reverse("admin:compliance_memberdocumentrecord_changelist") + query)
        assert listing.status_code == 200, query
    url = _act_url(link.document, "verify")
    assert client.get(url).status_code == 200
    issued = link.document.issued_on
    refused = client.post(url, {"expires_on": str(issued - timedelta(days=1))})
    assert refused.status_code == 400
    link.document.refresh_from_db()
    assert link.document.review_status == "pending"
    corrected = TODAY() + timedelta(days=200)
    assert client.post(url, {"expires_on": str(corrected)}).status_code == 302
    link.document.refresh_from_db()
    assert (link.document.review_status, link.document.expires_on) == ("verified", corrected)
    assert link.document.issued_on == issued  # left empty: kept
    event = AuditEvent.objects.get(action="document.verified")
    assert event.payload["before"]["expires_on"] == str(TODAY() + timedelta(days=100))
    assert event.payload["expires_on"] == str(corrected)


# --- The member's documents page --------------------------------------------------------------


def test_the_documents_page_is_the_members_own(client, django_capture_on_commit_callbacks):
    member, signatory = member_with()
    with django_capture_on_commit_callbacks(execute=True):
        link = services_add(member, signatory)
    url = reverse("portal:member_documents", args=[member.pk])
    download = reverse("portal:member_document", args=[member.pk, link.document_id])
    # Anonymous: the login.
    assert client.get(url).status_code == 302
    # Another company's signatory: not found, whatever the method.
    _other, stranger = member_with()
    client.force_login(stranger)
    assert client.get(url).status_code == 404
    assert client.post(url).status_code == 404
    assert client.get(download).status_code == 404
    # A viewer of the company reads but does not upload.
    viewer = UserFactory()
    Membership.objects.create(user=viewer, member=member, role=Role.VIEWER)
    client.force_login(viewer)
    assert client.get(url).status_code == 200
    assert client.post(url).status_code == 403
    # Its signatory.
    client.force_login(signatory)
    assert client.get(url).status_code == 200
    assert client.get(download).status_code == 200


def services_add(member, actor, **dates):
    from members import services as member_services

    return member_services.member_document_add(
        actor=actor,
        member=member,
        requirement=DocumentRequirement.objects.get(code="kp-registration"),
        uploaded_file=_pdf(),
        issued_on=dates.get("issued_on", TODAY() - timedelta(days=5)),
    )


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_pages_cost_the_same_queries_with_more_documents(client):
    cycle = cycle_for("open")
    member, signatory = cycle.member, signatory_of(cycle.member)
    client.force_login(signatory)
    held(member, expires_on=TODAY() - timedelta(days=1))
    evidence_on(cycle, expires_on=TODAY() + timedelta(days=3))
    pages = [
        reverse("portal:member_documents", args=[member.pk]),
        reverse("dashboard"),
        reverse("compliance:cycle_detail", args=[cycle.pk]),
    ]
    _queries(client, pages[0])  # the session's first request loads its caches
    before = [_queries(client, url) for url in pages]
    for code in ("aml-kyc-policy", "audited-financial-statements", "certificate-of-incorporation"):
        for days_ago in (300, 200, 100):
            held(member, code=code, expires_on=TODAY() + timedelta(days=5), days_ago=days_ago)
    for _more in range(3):
        evidence_on(cycle, expires_on=TODAY() - timedelta(days=2))
    after = [_queries(client, url) for url in pages]
    assert before == after, (before, after)
    assert after[0] <= 12 and after[1] <= 20


def test_the_staff_queue_counts_documents_expired_or_expiring(client, staff_user):
    login_with_mfa(client, staff_user)
    _queries(client, reverse("admin:index"))
    member, _signatory = member_with()
    oldest = held(member, expires_on=TODAY() - timedelta(days=9))
    held(member, code="aml-kyc-policy", expires_on=TODAY() + timedelta(days=10))
    held(member, code="audited-financial-statements", expires_on=TODAY() + timedelta(days=90))
    held(member, code="certificate-of-incorporation", expires_on=TODAY() - timedelta(days=3))
    held(member, code="certificate-of-incorporation", expires_on=TODAY() + timedelta(days=300))
    few = _queries(client, reverse("admin:index"))
    for _n in range(5):
        other, _user = member_with()
        held(other, expires_on=TODAY() + timedelta(days=2))
    assert _queries(client, reverse("admin:index")) == few
    from workbench.selectors import home_queues

    (queue,) = [q for q in home_queues(staff_user, mine=False) if q.key == "documents"]
    assert queue.count == 2 + 5  # the replaced certificate and the one far off do not count
    assert queue.oldest == oldest.document.expires_on and queue.age_days == 9
    assert queue.url.endswith("?validity=attention")
    listing = client.get(queue.url).content.decode()
    assert oldest.document.original_name in listing
    assert listing.count("kp-registration.pdf") == 6


def test_the_documents_queue_shows_only_to_staff_who_may_see_the_list(staff_user):
    from workbench.selectors import home_queues

    assert "documents" in [q.key for q in home_queues(staff_user, mine=False)]
    bare = UserFactory(staff=True)
    bare.groups.clear()
    assert "documents" not in [q.key for q in home_queues(bare, mine=False)]
    assert (
        Group.objects.get(name="Customer policy staff")
        .permissions.filter(codename="change_memberdocumentrecord")
        .exists()
    )


def test_the_dashboard_lists_documents_expired_expiring_or_rejected_only(staff_user):
    cycle = cycle_for("open")
    member, signatory = cycle.member, signatory_of(cycle.member)
    valid = held(member, expires_on=TODAY() + timedelta(days=400))
    rejected = held(member, code="aml-kyc-policy", expires_on=TODAY() + timedelta(days=400))
    services.document_reject(actor=staff_user, document=rejected.document, reason="Blurred")
    soon = evidence_on(cycle, expires_on=TODAY() + timedelta(days=10))
    listed = {row.document.pk for row in documents_to_update_for(signatory)}
    assert listed == {rejected.document.pk, soon.document.pk}
    assert valid.document.pk not in listed
