"""Extending an application's review to up to 90 days: an explicit, reasoned, audited staff
action that the applicant is told about and sees on their application's page."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from alliance_portal.models import AuditEvent, OutboxMessage
from alliance_portal.states import IllegalTransition
from members import services
from members.models import Application
from tests.factories import UserFactory, complete_application
from tests.helpers import login_with_mfa

pytestmark = pytest.mark.django_db
REASON = "The Kimberley Process registration is being confirmed with the authority."


def _open_application(days_ago: int = 25) -> Application:
    application = complete_application(status="under_review")
    Application.objects.filter(pk=application.pk).update(
        submitted_at=timezone.now() - timedelta(days=days_ago)
    )
    application.refresh_from_db()
    opened: Application = application
    return opened


def test_staff_extend_the_review_once_with_a_reason_the_applicant_is_told():
    staff = UserFactory(staff=True)
    application = _open_application()
    until = timezone.localdate(application.submitted_at) + timedelta(days=75)
    services.application_extend_review(
        actor=staff, application=application, until=until, reason=f"  {REASON} "
    )
    application.refresh_from_db()
    assert application.review_extended_until == until
    assert application.review_extension_reason == REASON
    assert application.review_extended_by == staff
    assert application.review_due_on == until
    assert application.review_days_left == 75 - 25
    event = AuditEvent.objects.get(action="application.review_extended")
    assert event.actor == staff and event.payload["until"] == until.isoformat()
    assert event.payload["reason"] == REASON
    mail = OutboxMessage.objects.get(template="application_review_extended")
    assert mail.recipient == application.applicant.email
    assert REASON in mail.body_text and until.isoformat() in mail.body_text

    with pytest.raises(ValidationError, match="already been extended"):
        services.application_extend_review(
            actor=staff, application=application, until=until + timedelta(days=1), reason="x"
        )


@pytest.mark.parametrize(
    ("days_after_submission", "reason", "message"),
    [
        (91, REASON, "90 days from submission"),
        (30, REASON, "later than the current one"),
        (20, REASON, "later than the current one"),
        (60, "   ", "Give the reason"),
        (60, "x" * 5001, "too long"),
    ],
)
def test_an_extension_past_90_days_not_later_or_without_reason_is_refused(
    days_after_submission, reason, message
):
    staff = UserFactory(staff=True)
    application = _open_application()
    until = timezone.localdate(application.submitted_at) + timedelta(days=days_after_submission)
    with pytest.raises(ValidationError, match=message):
        services.application_extend_review(
            actor=staff, application=application, until=until, reason=reason
        )
    application.refresh_from_db()
    assert application.review_extended_until is None
    assert not AuditEvent.objects.filter(action="application.review_extended").exists()
    assert not OutboxMessage.objects.filter(template="application_review_extended").exists()


def test_only_reviewers_extend_and_only_open_applications():
    application = _open_application()
    until = timezone.localdate(application.submitted_at) + timedelta(days=60)
    with pytest.raises(PermissionDenied):
        services.application_extend_review(
            actor=application.applicant, application=application, until=until, reason=REASON
        )
    decided = complete_application(status="approved")
    with pytest.raises(IllegalTransition):
        services.application_extend_review(
            actor=UserFactory(staff=True), application=decided, until=until, reason=REASON
        )


def test_the_admin_button_extends_and_the_applicant_sees_the_new_date(client):
    staff = UserFactory(staff=True)
    application = _open_application()
    change = reverse("admin:members_application_change", args=[application.pk])
    act = reverse("admin:members_application_act", args=[application.pk, "extend_review"])
    login_with_mfa(client, staff)
    assert act in client.get(change).content.decode()
    until = timezone.localdate(application.submitted_at) + timedelta(days=80)
    bad = client.post(act, {"until": (until + timedelta(days=20)).isoformat(), "reason": REASON})
    assert bad.status_code == 400 and "90 days from submission" in bad.content.decode()
    response = client.post(act, {"until": until.isoformat(), "reason": REASON})
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.review_extended_until == until
    # Once only: the button is gone.
    assert act not in client.get(change).content.decode()

    # The applicant's page: a stranger gets 404, the applicant sees the date and the reason.
    detail = reverse("portal:application_detail", args=[application.pk])
    client.force_login(UserFactory())
    assert client.get(detail).status_code == 404
    client.force_login(application.applicant)
    page = client.get(detail).content.decode()
    assert REASON in page and 'id="review-extension"' in page


def test_staff_without_the_change_permission_cannot_extend(client):
    viewer = UserFactory(staff=True)
    viewer.groups.clear()
    from django.contrib.auth.models import Permission

    viewer.user_permissions.add(Permission.objects.get(codename="view_application"))
    application = _open_application()
    act = reverse("admin:members_application_act", args=[application.pk, "extend_review"])
    login_with_mfa(client, viewer)
    until = timezone.localdate(application.submitted_at) + timedelta(days=60)
    assert client.post(act, {"until": until.isoformat(), "reason": REASON}).status_code == 403
    application.refresh_from_db()
    assert application.review_extended_until is None
