"""The periodic jobs: each idempotent (a second run changes nothing), safe when two beat
processes run at once (a lock in the shared cache), and working in bounded batches."""

from datetime import date, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Max, Q
from django.urls import reverse
from django.utils import timezone

from alliance_portal.jobs import job_lock
from licensing.models import LicenceStatus
from members.models import Application, Member

from ..models import (
    OPEN_CYCLE_STATUSES,
    CaseStatus,
    CycleKind,
    CycleStatus,
    Finding,
    FindingStatus,
    ForfeitureCase,
    Grounds,
    Notice,
    ReviewCycle,
)
from .cases import case_open_by_portal
from .common import next_review_due, tell_member, tell_staff
from .cycles import cycle_open_by_portal
from .findings import finding_escalate_by_portal

REMINDER_DAYS = (30, 14, 7, 1)
BATCH = 200


def _once(key: str) -> bool:
    """True the first time `key` is seen: a notice is recorded and may be sent."""
    try:
        with transaction.atomic():
            Notice.objects.create(key=key)
    except IntegrityError:
        return False
    return True


def review_due_on(member: Member, last_decided: date | None, licence_start: date | None) -> date:
    if last_decided is not None:
        return next_review_due(member, after=last_decided)
    return (licence_start or timezone.localdate()) + timedelta(
        days=settings.ALLIANCE_CYCLE_ANSWER_DAYS
    )


def cycles_open_due() -> int:
    """Open the periodic (or first) review of every member whose review falls due within the
    answering period. The one-cycle-under-way constraint makes a second run a no-op."""
    opened = 0
    with job_lock("cycles_open_due") as mine:
        if not mine:
            return 0
        today = timezone.localdate()
        horizon = today + timedelta(days=settings.ALLIANCE_CYCLE_ANSWER_DAYS)
        candidates = (
            Member.objects.filter(
                licences__status__in=[LicenceStatus.ACTIVE, LicenceStatus.SUSPENDED]
            )
            .exclude(review_cycles__status__in=OPEN_CYCLE_STATUSES)
            .annotate(
                last_decided=Max(
                    "review_cycles__decided_at",
                    filter=Q(
                        review_cycles__status__in=[CycleStatus.ACCEPTED, CycleStatus.REJECTED]
                    ),
                ),
                licence_start=Max(
                    "licences__starts_on",
                    filter=Q(licences__status__in=[LicenceStatus.ACTIVE, LicenceStatus.SUSPENDED]),
                ),
            )
            .order_by("pk")
        )
        last_pk = 0
        while True:
            batch = list(candidates.filter(pk__gt=last_pk)[:BATCH])
            if not batch:
                return opened
            for member in batch:
                last_pk = member.pk
                decided = member.last_decided.date() if member.last_decided else None
                due = review_due_on(member, decided, member.licence_start)
                if due > horizon:
                    continue
                kind = CycleKind.PERIODIC if decided else CycleKind.INITIAL
                try:
                    cycle_open_by_portal(
                        member=member,
                        kind=kind,
                        due_on=max(due, today + timedelta(days=7)),
                    )
                except IntegrityError:
                    continue  # opened meanwhile by another process
                opened += 1


def reminders_send() -> int:
    """Remind members 30, 14, 7 and 1 days before a cycle or finding is due — once each."""
    sent = 0
    with job_lock("reminders_send") as mine:
        if not mine:
            return 0
        today = timezone.localdate()
        due_days = [today + timedelta(days=n) for n in REMINDER_DAYS]
        cycles = ReviewCycle.objects.filter(
            status__in=[CycleStatus.OPEN, CycleStatus.CHANGES_REQUESTED], due_on__in=due_days
        ).select_related("member")
        for cycle in cycles.iterator(chunk_size=BATCH):
            days = (cycle.due_on - today).days
            # The notice key and the e-mails commit together: a reminder is recorded once,
            # and its outbox rows say when the mail server accepted it.
            with transaction.atomic():
                if _once(f"cycle-{cycle.pk}-due-in-{days}"):
                    tell_member(
                        cycle.member,
                        "cycle_reminder",
                        reverse("compliance:cycle_detail", args=[cycle.pk]),
                        about=cycle,
                        due_on=cycle.due_on.isoformat(),
                        days=days,
                    )
                    sent += 1
        findings = Finding.objects.filter(
            status=FindingStatus.OPEN, due_on__in=due_days
        ).select_related("cycle__member")
        for finding in findings.iterator(chunk_size=BATCH):
            days = (finding.due_on - today).days
            with transaction.atomic():
                if _once(f"finding-{finding.pk}-due-in-{days}"):
                    tell_member(
                        finding.cycle.member,
                        "finding_reminder",
                        reverse("compliance:finding_detail", args=[finding.pk]),
                        about=finding,
                        due_on=finding.due_on.isoformat(),
                        days=days,
                    )
                    sent += 1
    return sent


def staff_digest_send() -> bool:
    """One summary a day for customer policy staff of what waits for them."""
    with job_lock("staff_digest_send") as mine:
        if not mine:
            return False
        today = timezone.localdate()
        with transaction.atomic():
            if not _once(f"staff-digest-{today.isoformat()}"):
                return False
            _digest(today)
    return True


def _digest(today: date) -> None:
    tell_staff(
        "staff_digest",
        "admin:index",
        None,
        applications=Application.objects.filter(status__in=["submitted", "under_review"]).count(),
        cycles_submitted=ReviewCycle.objects.filter(status=CycleStatus.SUBMITTED).count(),
        cycles_overdue=ReviewCycle.objects.filter(
            status__in=[CycleStatus.OPEN, CycleStatus.CHANGES_REQUESTED], due_on__lt=today
        ).count(),
        findings_overdue=Finding.objects.filter(
            status=FindingStatus.OPEN, due_on__lt=today
        ).count(),
        cases_to_decide=ForfeitureCase.objects.filter(
            status__in=[CaseStatus.RESPONSE_RECEIVED, CaseStatus.WINDOW_CLOSED]
        ).count(),
    )


def overdue_escalate() -> int:
    """After the grace period: tell staff of overdue cycles (optionally opening a *failure to
    attest* case) and escalate overdue findings. Once per cycle and finding."""
    escalated = 0
    with job_lock("overdue_escalate") as mine:
        if not mine:
            return 0
        cutoff = timezone.localdate() - timedelta(days=settings.ALLIANCE_OVERDUE_GRACE_DAYS)
        overdue = ReviewCycle.objects.filter(
            status__in=[CycleStatus.OPEN, CycleStatus.CHANGES_REQUESTED], due_on__lt=cutoff
        ).select_related("member", "licence")
        for cycle in overdue.iterator(chunk_size=BATCH):
            with transaction.atomic():
                if not _once(f"cycle-{cycle.pk}-overdue"):
                    continue
                tell_staff(
                    "cycle_overdue",
                    "admin:compliance_reviewcycle_change",
                    cycle.pk,
                    about=cycle,
                    member_id=cycle.member_id,
                    company=cycle.member.legal_name,
                    due_on=cycle.due_on.isoformat(),
                )
                if settings.ALLIANCE_OPEN_CASE_WHEN_OVERDUE and cycle.licence.status in (
                    LicenceStatus.ACTIVE,
                    LicenceStatus.SUSPENDED,
                ):
                    case_open_by_portal(
                        licence=cycle.licence,
                        grounds=Grounds.FAILURE_TO_ATTEST,
                        narrative=(
                            f"The attestation due on {cycle.due_on.isoformat()} was not submitted."
                        ),
                        cycles=[cycle],
                    )
                escalated += 1
        findings = Finding.objects.filter(
            status__in=[FindingStatus.OPEN, FindingStatus.ACTION_SUBMITTED], due_on__lt=cutoff
        )
        for finding in findings.iterator(chunk_size=BATCH):
            if finding.status == FindingStatus.OPEN:
                finding_escalate_by_portal(
                    finding=finding, note="Overdue: escalated by the portal."
                )
                escalated += 1
    return escalated
