import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings
from django.urls import reverse

from alliance_portal.models import AuditEvent
from alliance_portal.roles import AUDITORS_GROUP, DECISION_MAKERS_GROUP, STAFF_GROUP
from members.models import Application, ApplicationStatus, Member, Role, User

DEMO_LOGINS = [
    "staff@example.com",
    "decider@example.com",
    "auditor@example.com",
    "member@example.com",
    "officer@example.com",
    "applicant@example.com",
    "member2@example.com",
]


@pytest.mark.django_db
def test_refuses_to_run_with_debug_off():
    with pytest.raises(CommandError, match="DEBUG"):
        call_command("seed_demo")
    assert not User.objects.exists()


@pytest.mark.django_db
@override_settings(DEBUG=True)
def test_creates_the_demo_users_and_is_idempotent(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo")
    snapshot = list(User.objects.order_by("email").values_list("email", "is_staff"))
    events = AuditEvent.objects.count()
    call_command("seed_demo")
    assert list(User.objects.order_by("email").values_list("email", "is_staff")) == snapshot
    assert AuditEvent.objects.count() == events
    assert sorted(email for email, _ in snapshot) == sorted(DEMO_LOGINS)

    groups = {u.email: set(u.groups.values_list("name", flat=True)) for u in User.objects.all()}
    assert groups["staff@example.com"] == {STAFF_GROUP}
    assert groups["decider@example.com"] == {STAFF_GROUP, DECISION_MAKERS_GROUP}
    assert groups["auditor@example.com"] == {AUDITORS_GROUP}

    demo = Member.objects.get(legal_name="Demo Diamonds Ltd")
    roles = dict(demo.memberships.values_list("user__email", "role"))
    assert roles == {
        "member@example.com": Role.SIGNATORY,
        "officer@example.com": Role.COMPLIANCE_OFFICER,
    }
    pending = Application.objects.get(applicant__email="applicant@example.com")
    assert pending.status == ApplicationStatus.UNDER_REVIEW
    assert pending.documents.count() == 4
    assert Member.objects.count() == 2 and Application.objects.count() == 3

    from compliance.models import CaseStatus, FindingStatus, ForfeitureCase
    from licensing.models import LicenceStatus

    licence = demo.licences.get()
    assert licence.status == LicenceStatus.ACTIVE and licence.signed_pdf is not None
    statuses = sorted(demo.review_cycles.values_list("status", flat=True))
    assert statuses == ["accepted", "open"]
    past = demo.review_cycles.get(status="accepted")
    assert past.findings.get(criterion__code="2.4").status == FindingStatus.OPEN
    case = ForfeitureCase.objects.get()
    assert case.licence.member.legal_name == "Northern Lights Trading FZE"
    assert case.status == CaseStatus.RESPONSE_RECEIVED
    assert case.opened_by.email == "staff@example.com"  # so the decider may decide it
    # The outbox: what was sent about the case, and one bounce for staff to see.
    from alliance_portal.models import OutboxMessage
    from alliance_portal.outbox import messages_about, messages_for_member

    history = messages_about(case)
    assert {m.status for m in history} == {"delivered", "failed"}
    assert history.get(status="failed").recipient == "former.officer@northern-lights.example"
    assert messages_for_member(demo.pk).filter(status="delivered").exists()
    assert not OutboxMessage.objects.filter(status="pending").exists()

    for email in DEMO_LOGINS:
        client.logout()
        response = client.post(
            reverse("account_login"), {"login": email, "password": "alliance-demo"}
        )
        assert response.status_code == 302, email


@pytest.mark.django_db
@override_settings(DEBUG=True, ALLIANCE_BASE_URL="http://127.0.0.1:8401")
def test_prints_the_demo_verify_link_on_the_configured_address(
    client, django_capture_on_commit_callbacks
):
    import io

    from compliance.management.commands.seed_demo import DEMO_VERIFICATION_CODE
    from compliance.models import ComplianceCertificate
    from compliance.services.certificates import verification_url

    out = io.StringIO()
    with django_capture_on_commit_callbacks(execute=True):  # the certificate's render
        call_command("seed_demo", stdout=out)
    (line,) = [line for line in out.getvalue().splitlines() if "Demo certificate:" in line]
    link = line.split("Demo certificate:", 1)[1].strip()
    assert link == f"http://127.0.0.1:8401/verify/{DEMO_VERIFICATION_CODE}/"
    # The link is the one the certificate's QR code carries, and it opens the result.
    certificate = ComplianceCertificate.objects.get(verification_code=DEMO_VERIFICATION_CODE)
    assert verification_url(certificate) == link
    assert client.get(link.removeprefix("http://127.0.0.1:8401")).status_code == 200
