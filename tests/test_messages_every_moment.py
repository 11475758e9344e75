"""A message at every moment that concerns a person: one e-mail per recipient per moment,
in the recipient's language, branded, with a plain-text part, each mirrored by a
notification. Every moment is driven through the services, as the portal drives them."""

import re
from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from alliance_portal.models import Notification, OutboxMessage
from compliance import services as compliance
from compliance.models import AuditorGrant, ForfeitureCase
from compliance.services.certificates import auditor_grants_expired_notify
from compliance.services.jobs import reminders_send
from licensing import services as licensing
from licensing.agreement import agreement_text, sha256_text
from licensing.signing import consents
from members.models import Membership, Role
from members.services import applications
from tests.factories import (
    CHECKLIST_DONE,
    UserFactory,
    answer_everything,
    auditor,
    complete_application,
    decider,
)

CYRILLIC = re.compile("[А-Яа-яЁё]")


class Moments:
    """The outbox seen moment by moment: each check looks only at what came since the last."""

    def __init__(self) -> None:
        self.mark = OutboxMessage.objects.order_by("-pk").values_list("pk", flat=True).first() or 0

    def expect(self, moment: str, template: str, people: list[Any]) -> None:
        new = list(OutboxMessage.objects.filter(kind="email", pk__gt=self.mark).order_by("pk"))
        mine = [message for message in new if message.template == template]
        assert Counter(message.recipient for message in mine) == Counter(
            person.email for person in people
        ), f"{moment}: {[(m.template, m.recipient) for m in new]}"
        by_address = {person.email: person for person in people}
        for message in mine:
            person = by_address[message.recipient]
            assert message.language == person.language, moment
            # Russian for a Russian speaker, and English (no Cyrillic) for the others.
            assert bool(CYRILLIC.search(message.subject)) == (person.language == "ru"), (
                moment,
                message.subject,
            )
            assert message.subject.startswith("[ALROSA ALLIANCE] ")
            assert message.body_text.strip() and "ALROSA ALLIANCE" in message.body_html
            assert Notification.objects.filter(user=person, template=template).exists(), moment

    def advance(self) -> None:
        """The next moment starts here."""
        self.mark = OutboxMessage.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


@pytest.mark.django_db
def test_exactly_one_email_per_moment_in_the_recipients_language(
    django_capture_on_commit_callbacks, staff_user
):
    moments = Moments()
    applicant = UserFactory(email="olga@example.org", language="ru")
    application = complete_application(applicant=applicant)

    applications.application_submit(actor=applicant, application=application)
    moments.expect("receipt of application", "application_received", [applicant])
    moments.advance()

    applications.application_start_review(actor=staff_user, application=application)
    applications.application_request_information(
        actor=staff_user, application=application, message="Please send the 2025 accounts."
    )
    moments.expect("information requested", "application_information_requested", [applicant])
    moments.advance()

    applications.application_resubmit(actor=applicant, application=application, answer="Sent.")
    # Staff tick the review checklist in the admin before approving (approval requires it).
    type(application).objects.filter(pk=application.pk).update(**CHECKLIST_DONE)
    application.refresh_from_db()
    member = applications.application_approve(
        actor=staff_user, application=application, risk_rating="low"
    )
    moments.expect("decision", "application_approved", [applicant])
    moments.advance()
    officer = UserFactory(email="officer@example.org", language="en")
    Membership.objects.create(member=member, user=officer, role=Role.COMPLIANCE_OFFICER)

    licence = licensing.licence_create_and_issue(actor=staff_user, member=member)
    moments.expect("licence issued", "licence_issued", [applicant])
    moments.advance()
    licensing.licence_sign(
        actor=applicant,
        licence=licence,
        typed_name="Olga Ivanova",
        typed_title="Director",
        accepted=[key for key, _text in consents()],
        shown_sha256=sha256_text(agreement_text(licence)),
    )
    moments.expect("licence signed", "licence_signed", [applicant])
    moments.advance()

    cycle = compliance.cycle_open(actor=staff_user, member=member, kind="ad_hoc")
    moments.expect("cycle opened", "cycle_opened", [applicant, officer])
    moments.advance()

    type(cycle).objects.filter(pk=cycle.pk).update(due_on=timezone.localdate() + timedelta(days=7))
    reminders_send()
    moments.expect("reminder", "cycle_reminder", [applicant, officer])
    moments.advance()

    cycle.refresh_from_db()
    answer_everything(cycle, officer)
    compliance.cycle_submit(actor=applicant, cycle=cycle, typed_name="Olga Ivanova", declared=True)
    compliance.cycle_start_review(actor=staff_user, cycle=cycle)
    with django_capture_on_commit_callbacks(execute=True):
        compliance.cycle_accept(actor=staff_user, cycle=cycle, grade="compliant")
    moments.expect("review decided", "cycle_decided", [applicant, officer])
    # Made with the decision, rendered by its task: announced once the PDF exists.
    moments.expect("certificate issued", "certificate_issued", [applicant, officer])
    moments.advance()

    compliance.finding_raise(
        actor=staff_user,
        cycle=cycle,
        severity="minor",
        description="The supplier register is two months old.",
        corrective_action="Bring it up to date.",
        due_on=timezone.localdate() + timedelta(days=60),
    )
    moments.expect("finding raised", "finding_raised", [applicant, officer])
    moments.advance()

    licence.refresh_from_db()
    case = compliance.case_open(
        actor=staff_user, licence=licence, grounds="non_compliance", narrative="Findings left open."
    )
    compliance.case_send_notice(actor=staff_user, case=case)
    moments.expect("notice", "case_notice", [applicant, officer])
    moments.advance()

    ForfeitureCase.objects.filter(pk=case.pk).update(status="window_closed")
    compliance.case_decide(
        actor=decider(),
        case=case,
        decision="suspension",
        reasons="Breach of 2.2.",
        suspended_until=timezone.localdate() + timedelta(days=90),
    )
    # One decision, three moments, each told once.
    moments.expect("case decision", "case_decided", [applicant, officer])
    moments.expect("certificate revoked", "certificate_revoked", [applicant, officer])
    moments.expect("licence suspended", "licence_status_changed", [applicant])
    moments.advance()

    reader = auditor(email="audra@example.org", language="ru")
    grant = compliance.auditor_grant_save(
        actor=staff_user,
        grant=AuditorGrant(
            auditor=reader, member=member, expires_on=timezone.localdate() + timedelta(days=30)
        ),
    )
    moments.expect("auditor granted", "auditor_granted", [reader])
    moments.advance()

    AuditorGrant.objects.filter(pk=grant.pk).update(
        expires_on=timezone.localdate() - timedelta(days=1)
    )
    assert auditor_grants_expired_notify() == 1
    moments.expect("auditor grant expired", "auditor_grant_expired", [reader])
    moments.advance()
    assert auditor_grants_expired_notify() == 0  # once, however often the job runs
    moments.expect("auditor grant expired, again", "auditor_grant_expired", [])
    moments.advance()
