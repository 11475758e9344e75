"""The periodic jobs: idempotent, no duplicate e-mail, bounded queries, one runner at a time."""

from datetime import timedelta

import pytest
from django.core import mail
from django.core.cache import cache
from django.utils import timezone

from alliance_portal.models import AuditEvent
from compliance.models import CycleStatus, Finding, ForfeitureCase, ReviewCycle
from compliance.services import jobs
from licensing.models import LicenceAgreement
from members.models import Member
from tests.factories import MemberFactory, cycle_for, licence_in, member_with, signatory_of


@pytest.mark.django_db
def test_due_cycles_open_once(django_capture_on_commit_callbacks):
    fresh = licence_in("active")  # never reviewed: its first review falls due now
    reviewed = licence_in("active")
    cycle_for("accepted", licence=reviewed, decided_at=timezone.now())  # next one in a year
    with django_capture_on_commit_callbacks(execute=True):
        assert jobs.cycles_open_due() == 1
    assert jobs.cycles_open_due() == 0
    opened = ReviewCycle.objects.get(member=fresh.member, status=CycleStatus.OPEN)
    assert opened.kind == "initial"
    assert not ReviewCycle.objects.filter(member=reviewed.member, status=CycleStatus.OPEN).exists()
    assert any("Attestation due" in m.subject for m in mail.outbox)


@pytest.mark.django_db
def test_periodic_review_follows_the_risk_rating():
    member, _signatory = member_with()
    Member.objects.filter(pk=member.pk).update(risk_rating="high")
    licence = licence_in("active", member=member)
    cycle_for("accepted", licence=licence, decided_at=timezone.now() - timedelta(days=170))
    assert jobs.cycles_open_due() == 1  # six months for a high risk, within the answering period
    cycle = ReviewCycle.objects.get(status=CycleStatus.OPEN)
    assert cycle.kind == "periodic"


@pytest.mark.django_db
def test_reminders_are_sent_once_per_date(django_capture_on_commit_callbacks):
    cycle = cycle_for("open")
    ReviewCycle.objects.filter(pk=cycle.pk).update(due_on=timezone.localdate() + timedelta(days=7))
    with django_capture_on_commit_callbacks(execute=True):
        assert jobs.reminders_send() == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert jobs.reminders_send() == 0
    reminders = [m for m in mail.outbox if "Reminder" in m.subject]
    assert len(reminders) == 1 and signatory_of(cycle.member).email in reminders[0].to
    assert "in 7 days" in reminders[0].body


@pytest.mark.django_db
def test_a_reminder_counts_as_sent_only_once_the_mail_server_took_it(settings):
    """SMTP down when the job runs: the reminder is recorded (never queued twice) but not
    delivered; when SMTP is back the relay delivers it once and records when."""
    from alliance_portal.models import OutboxMessage
    from alliance_portal.outbox import relay_pending
    from tests.smtp_sink import SmtpSink, smtp_settings

    settings.ALLIANCE_OUTBOX_INLINE = False
    cycle = cycle_for("open")
    ReviewCycle.objects.filter(pk=cycle.pk).update(due_on=timezone.localdate() + timedelta(days=7))
    with SmtpSink() as sink:
        smtp_settings(settings, sink)
        port = sink.port
    assert jobs.reminders_send() == 1
    relay_pending()
    reminder = OutboxMessage.objects.get(template="cycle_reminder", target_id=str(cycle.pk))
    assert reminder.status == "pending" and reminder.delivered_at is None and reminder.last_error
    assert jobs.reminders_send() == 0  # the job again: not a second reminder
    with SmtpSink(port=port) as sink:
        OutboxMessage.objects.update(next_attempt_at=timezone.now())
        relay_pending()
        relay_pending()
        assert [to for to, _m in sink.received] == [signatory_of(cycle.member).email]
    reminder.refresh_from_db()
    assert reminder.status == "delivered" and reminder.delivered_at is not None


@pytest.mark.django_db
def test_staff_digest_once_a_day(staff_user, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        assert jobs.staff_digest_send() is True
        assert jobs.staff_digest_send() is False
    assert [m.to for m in mail.outbox] == [[staff_user.email]]


@pytest.mark.django_db
def test_overdue_escalation_once_and_optional_case(settings, staff_user):
    settings.ALLIANCE_OPEN_CASE_WHEN_OVERDUE = True
    cycle = cycle_for("open")
    ReviewCycle.objects.filter(pk=cycle.pk).update(due_on=timezone.localdate() - timedelta(days=30))
    finding = Finding.objects.create(
        cycle=cycle_for("accepted", licence=licence_in("active")),
        severity="minor",
        description="Gap",
        corrective_action="Fix",
        due_on=timezone.localdate() - timedelta(days=30),
        raised_by=staff_user,
    )
    assert jobs.overdue_escalate() == 2
    assert jobs.overdue_escalate() == 0
    finding.refresh_from_db()
    assert finding.status == "escalated"
    case = ForfeitureCase.objects.get()
    assert case.grounds == "failure_to_attest" and case.opened_by is None


@pytest.mark.django_db
def test_a_second_runner_waits_its_turn():
    licence_in("active")
    with jobs.job_lock("cycles_open_due") as mine:
        assert mine
        assert jobs.cycles_open_due() == 0  # the other beat holds the lock
    assert jobs.cycles_open_due() == 1


@pytest.mark.django_db
def test_jobs_run_a_bounded_number_of_queries_for_a_thousand_members(
    django_assert_max_num_queries,
):
    template = licence_in("active", member=MemberFactory())
    members = Member.objects.bulk_create(
        Member(
            legal_name=f"Bulk {i} Ltd",
            registration_number=f"BULK-{i}",
            country="BE",
            address="x",
            kp_registration=f"KP-B{i}",
            contract_reference=f"LTC-B{i}",
            risk_rating="low",
            approved_at=timezone.now(),
        )
        for i in range(1000)
    )
    LicenceAgreement.objects.bulk_create(
        LicenceAgreement(
            member=member,
            template_id=template.template_id,
            guidelines_id=template.guidelines_id,
            status="active",
            number=f"AA-2020-{i:05d}",
            starts_on=timezone.localdate(),
            ends_on=timezone.localdate() + timedelta(days=1000),
        )
        for i, member in enumerate(members)
    )
    ReviewCycle.objects.bulk_create(
        ReviewCycle(
            member=member,
            licence_id=licence.pk,
            kind="periodic",
            status="accepted",
            outcome="compliant",
            due_on=timezone.localdate(),
            decided_at=timezone.now(),
        )
        for member, licence in zip(
            members,
            LicenceAgreement.objects.filter(member__in=members).order_by("member_id"),
            strict=True,
        )
    )
    cache.clear()
    with django_assert_max_num_queries(60):
        jobs.cycles_open_due()  # the template's member is due: one cycle opened
    with django_assert_max_num_queries(10):
        jobs.reminders_send()
    with django_assert_max_num_queries(10):
        jobs.overdue_escalate()
    assert ReviewCycle.objects.filter(status=CycleStatus.OPEN).count() == 1


@pytest.mark.django_db
def test_the_jobs_act_as_the_portal_itself(settings, staff_user):
    """What the portal does by itself is recorded with no actor, through its `*_by_portal`
    services: the staff services it used to call with ``actor=None`` now refuse that."""
    from alliance_portal.models import AuditEvent

    settings.ALLIANCE_OPEN_CASE_WHEN_OVERDUE = True
    fresh = licence_in("active")
    assert jobs.cycles_open_due() == 1
    cycle = ReviewCycle.objects.get(member=fresh.member)
    ReviewCycle.objects.filter(pk=cycle.pk).update(due_on=timezone.localdate() - timedelta(days=30))
    finding = Finding.objects.create(
        cycle=cycle_for("accepted", licence=licence_in("active")),
        severity="minor",
        description="Gap",
        corrective_action="Fix",
        due_on=timezone.localdate() - timedelta(days=30),
        raised_by=staff_user,
    )
    assert jobs.overdue_escalate() == 2
    for action, target in (
        ("cycle.opened", cycle),
        ("finding.escalate", finding),
        ("case.opened", ForfeitureCase.objects.get()),
    ):
        [event] = AuditEvent.objects.filter(action=action, target_id=str(target.pk))
        assert event.actor is None, action


@pytest.mark.django_db
@pytest.mark.parametrize(
    "call",
    [
        "cycle_open",
        "cycle_start_review",
        "cycle_accept",
        "answer_note",
        "finding_raise",
        "finding_escalate",
        "finding_close",
        "case_open",
        "case_send_notice",
        "case_close_window",
        "case_decide",
        "case_reinstate",
        "certificate_batch_start",
        "certificates_revoke_for_licence",
    ],
)
def test_a_staff_service_called_with_no_actor_is_refused(call, staff_user):
    from django.core.exceptions import PermissionDenied

    from compliance import services
    from tests.compliance.test_cases import open_case

    cycle = cycle_for("in_review")
    finding = Finding.objects.create(
        cycle=cycle,
        severity="minor",
        description="Gap",
        corrective_action="Fix",
        due_on=timezone.localdate() + timedelta(days=30),
        raised_by=staff_user,
    )
    case = open_case(staff_user, licence=cycle.licence, status="window_closed")
    new_case = open_case(staff_user, licence=cycle.licence)
    other_member = licence_in("active").member
    later = timezone.localdate() + timedelta(days=30)
    calls = {
        "cycle_open": lambda: services.cycle_open(actor=None, member=other_member, kind="ad_hoc"),
        "cycle_start_review": lambda: services.cycle_start_review(actor=None, cycle=cycle),
        "cycle_accept": lambda: services.cycle_accept(actor=None, cycle=cycle, grade="compliant"),
        "answer_note": lambda: services.answer_note(
            actor=None, answer=cycle.answers.first(), note="Fine."
        ),
        "finding_raise": lambda: services.finding_raise(
            actor=None,
            cycle=cycle,
            severity="minor",
            description="Gap",
            corrective_action="Fix",
            due_on=later,
        ),
        "finding_escalate": lambda: services.finding_escalate(
            actor=None, finding=finding, note="Overdue."
        ),
        "finding_close": lambda: services.finding_close(actor=None, finding=finding),
        "case_open": lambda: services.case_open(
            actor=None, licence=cycle.licence, grounds="logo_misuse", narrative="Misuse."
        ),
        "case_send_notice": lambda: services.case_send_notice(actor=None, case=new_case),
        "case_close_window": lambda: services.case_close_window(actor=None, case=case),
        "case_decide": lambda: services.case_decide(
            actor=None, case=case, decision="warning", reasons="A warning."
        ),
        "case_reinstate": lambda: services.case_reinstate(actor=None, case=case, reason="Fixed."),
        "certificate_batch_start": lambda: services.certificate_batch_start(
            actor=None, members=[cycle.member]
        ),
        "certificates_revoke_for_licence": lambda: services.certificates_revoke_for_licence(
            actor=None, licence=cycle.licence, reason="x"
        ),
    }
    events = AuditEvent.objects.count()
    with pytest.raises(PermissionDenied):
        calls[call]()
    assert AuditEvent.objects.count() == events
