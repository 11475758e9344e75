"""The periodic jobs work a batch at a time: a batch's queries do not grow with its items, and
the rows written in bulk are those the one-at-a-time services write."""

from datetime import timedelta
from typing import cast

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from alliance_portal.audit import (
    audit_chain_extend,
    audit_chain_verify,
    audit_record,
    audit_record_many,
)
from alliance_portal.emails import absolute_url, email_render
from alliance_portal.models import AuditEvent, Notification, OutboxMessage
from compliance.models import AuditorGrant, CycleStatus, ForfeitureCase, ReviewCycle
from compliance.services import jobs_registry
from compliance.services.cases import case_notice_delivered
from members.models import Member
from tests.factories import MemberFactory, UserFactory
from tests.job_work import IN_FORCE, arrange


def _queries_for(job: str, members: int) -> tuple[int, int]:
    """Seed `members` more members, give `job` work for them, run it: (items, queries)."""
    call_command("scale_seed", str(members), verbosity=0)
    if job in ("send_reminders", "escalate_overdue"):
        arrange("open_due_cycles")
        jobs_registry.JOBS["open_due_cycles"]()
    arrange(job)
    with CaptureQueriesContext(connection) as queries:
        result = jobs_registry.JOBS[job]()
    items = sum(result.values()) if isinstance(result, dict) else int(cast(int, result))
    return items, len(queries)


# On SQLite an insert of many rows is split by its limit on parameters.
@pytest.mark.postgres
@pytest.mark.django_db
@pytest.mark.parametrize(
    "job",
    [
        "open_due_cycles",
        "send_reminders",
        "escalate_overdue",
        "expire_certificates",
        "expire_licences",
        "send_notification_digests",
        "check_document_validity",
        "notify_expired_auditor_grants",
        "expire_exports",
        "sweep_orphan_files",
        "start_response_windows",
    ],
)
def test_a_batch_costs_the_same_queries_for_3_items_as_for_30(job):
    UserFactory(staff=True)  # staff to tell, and to raise the seeded findings
    few, few_queries = _queries_for(job, 4)  # a seeded member in 20 has no licence in force
    many, many_queries = _queries_for(job, 40)
    assert few >= 3 and many >= 30
    assert many_queries == few_queries


@pytest.mark.django_db
def test_rows_recorded_in_bulk_are_those_recorded_one_by_one_and_chain():
    members = [MemberFactory(), MemberFactory()]
    one = audit_record(actor=None, action="bench.same", target=members[0], payload={"n": 1.5})
    many = audit_record_many(
        actor=None,
        action="bench.same",
        entries=[(members[0], {"n": 1.5}), (members[1], None)],
    )
    columns = ["actor_id", "actor_label", "action", "target_type", "target_id", "target_label"]
    rows = AuditEvent.objects.filter(action="bench.same").order_by("id")
    assert [r.pk for r in rows] == [one.pk, *(e.pk for e in many)]
    first, second, third = rows
    assert [getattr(first, c) for c in columns] == [getattr(second, c) for c in columns]
    assert first.payload == second.payload == {"n": "1.5"} and third.payload == {}
    assert third.target_id == str(members[1].pk) and all(r.seq is None for r in rows)
    audit_chain_extend()
    report = audit_chain_verify()
    assert report.ok and report.unchained == 0
    assert report.checked == AuditEvent.objects.count()


@pytest.mark.django_db
def test_a_batch_of_openings_writes_what_one_opening_writes(django_capture_on_commit_callbacks):
    call_command("scale_seed", "4", verbosity=0)
    arrange("open_due_cycles")
    with django_capture_on_commit_callbacks(execute=True):
        opened = jobs_registry.JOBS["open_due_cycles"]()
    in_force = Member.objects.filter(licences__status__in=IN_FORCE).distinct()
    assert opened == in_force.count()
    assert jobs_registry.JOBS["open_due_cycles"]() == 0
    for cycle in ReviewCycle.objects.filter(status=CycleStatus.OPEN):
        assert cycle.answers.count() == cycle.edition.sections.values("criteria").count()
        event = AuditEvent.objects.get(action="cycle.opened", target_id=str(cycle.pk))
        assert event.actor is None
        assert event.payload == {
            "kind": "periodic",
            "due_on": cycle.due_on.isoformat(),
            "edition": cycle.edition.edition,
        }
        mail = OutboxMessage.objects.get(template="cycle_opened", target_id=str(cycle.pk))
        assert mail.recipient == cycle.member.memberships.get().user.email
        assert mail.member_ref == cycle.member_id and cycle.member.legal_name in mail.body_text
    assert audit_chain_verify().ok


@pytest.mark.django_db
def test_each_person_in_a_batch_is_written_to_in_their_language():
    english, russian = UserFactory(staff=True), UserFactory(staff=True, language="ru")
    call_command("scale_seed", "2", verbosity=0)
    arrange("open_due_cycles")
    jobs_registry.JOBS["open_due_cycles"]()
    arrange("escalate_overdue")
    assert jobs_registry.JOBS["escalate_overdue"]() >= 2
    mails = OutboxMessage.objects.filter(template="cycle_overdue")
    by_language = {m.recipient: (m.language, m.subject) for m in mails}
    assert by_language[english.email][0] == "en" and by_language[russian.email][0] == "ru"
    assert by_language[english.email][1] != by_language[russian.email][1]
    assert mails.count() == 2 * ReviewCycle.objects.filter(status=CycleStatus.OPEN).count()


@pytest.mark.django_db
def test_a_batch_of_windows_writes_what_one_delivery_writes():
    call_command("scale_seed", "3", verbosity=0)
    arrange("start_response_windows")
    notices = list(OutboxMessage.objects.filter(template="case_notice").order_by("pk"))
    one = case_notice_delivered(message_id=notices[0].pk)  # the follow-up task's path
    assert one is not None
    assert jobs_registry.JOBS["start_response_windows"]() == len(notices) - 1
    assert jobs_registry.JOBS["start_response_windows"]() == 0
    events = AuditEvent.objects.filter(action="case.notice_delivered").order_by("pk")
    assert [e.target_id for e in events] == [n.target_id for n in notices]
    for event, notice in zip(events, notices, strict=True):
        case = ForfeitureCase.objects.get(pk=notice.target_id)
        assert case.notice_delivered_at == notice.delivered_at
        assert case.response_due_on == timezone.localdate(notice.delivered_at) + timedelta(
            days=settings.ALLIANCE_RESPONSE_WINDOW_DAYS
        )
        assert event.actor is None and event.target_label == str(case)[:255]
        assert event.payload == {
            "recipient": notice.recipient,
            "delivered_at": notice.delivered_at.isoformat(),
            "response_due_on": case.response_due_on.isoformat(),
        }


@pytest.mark.django_db
def test_each_auditor_in_a_batch_is_told_in_their_language_as_one_e_mail_would():
    call_command("scale_seed", "3", verbosity=0)
    arrange("notify_expired_auditor_grants")
    grant = AuditorGrant.objects.order_by("pk").first()
    assert grant is not None
    AuditorGrant.objects.create(  # a grant to every member
        auditor=grant.auditor, member=None, expires_on=grant.expires_on, granted_by=grant.auditor
    )
    grants = list(AuditorGrant.objects.select_related("auditor", "member").order_by("pk"))
    assert {g.auditor.language for g in grants} == {"en", "ru"}
    assert jobs_registry.JOBS["notify_expired_auditor_grants"]() == len(grants)
    assert jobs_registry.JOBS["notify_expired_auditor_grants"]() == 0
    url = absolute_url(reverse("auditor:members"))
    for g in grants:
        mail = OutboxMessage.objects.get(template="auditor_grant_expired", target_id=str(g.pk))
        with translation.override(g.auditor.language):
            scope = g.member.legal_name if g.member else translation.gettext("all members")
        context = {"scope": scope, "expires_on": g.expires_on, "url": url}
        subject, text, html = email_render("auditor_grant_expired", context, g.auditor.language)
        assert (mail.recipient, mail.language) == (g.auditor.email, g.auditor.language)
        assert (mail.subject, mail.body_text, mail.body_html) == (subject, text, html)
        assert mail.member_ref == g.member_id
    assert Notification.objects.filter(template="auditor_grant_expired").count() == len(grants)
