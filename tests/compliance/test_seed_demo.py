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
]


@pytest.mark.django_db
def test_refuses_to_run_with_debug_off():
    with pytest.raises(CommandError, match="DEBUG"):
        call_command("seed_demo")
    assert not User.objects.exists()


@pytest.mark.django_db
@override_settings(DEBUG=True)
def test_creates_the_demo_users_and_is_idempotent(client):
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
    assert Member.objects.count() == 1 and Application.objects.count() == 2

    for email in DEMO_LOGINS:
        client.logout()
        response = client.post(
            reverse("account_login"), {"login": email, "password": "alliance-demo"}
        )
        assert response.status_code == 302, email
