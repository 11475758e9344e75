"""The periodic jobs: each idempotent (a second run changes nothing), safe when two beat
processes run at once (a lock in the shared cache), and working in bounded batches."""

from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any, TypeVar

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Max, Q, QuerySet
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
from .common import next_review_due, tell_members, tell_staff, tell_staff_many
from .cycles import cycles_open_by_portal
from .findings import findings_escalate_by_portal

REMINDER_DAYS = (30, 14, 7, 1)
BATCH = 200
T = TypeVar("T")


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
    answering period. The one-cycle-under-way constraint makes a second run a no-op.

    Members are read in batches by id (each batch a range of the primary key, so a batch
    never rescans those before it); each batch's cycles open in one transaction."""
    opened = 0
    with job_lock("cycles_open_due") as mine:
        if not mine:
            return 0
        today = timezone.localdate()
        horizon = today + timedelta(days=settings.ALLIANCE_CYCLE_ANSWER_DAYS)
        last_pk = 0
        while True:
            batch = list(
                Member.objects.filter(pk__gt=last_pk)
                .order_by("pk")
                .values_list("pk", flat=True)[:BATCH]
            )
            if not batch:
                return opened
            last_pk = batch[-1]
            openings: list[tuple[Member, str, date]] = []
            for member in _review_candidates(batch):
                decided = member.last_decided.date() if member.last_decided else None
                due = review_due_on(member, decided, member.licence_start)
                if due > horizon:
                    continue
                kind = CycleKind.PERIODIC if decided else CycleKind.INITIAL
                openings.append((member, kind, max(due, today + timedelta(days=7))))
            if openings:
                opened += len(cycles_open_by_portal(openings=openings))


def _review_candidates(member_ids: list[int]) -> list[Any]:
    """Of these members, those with a licence in force and no cycle under way, with the time
    of their last decided review and the start of their licence."""
    in_force = [LicenceStatus.ACTIVE, LicenceStatus.SUSPENDED]
    return list(
        Member.objects.filter(pk__in=member_ids, licences__status__in=in_force)
        .exclude(review_cycles__status__in=OPEN_CYCLE_STATUSES)
        .annotate(
            last_decided=Max(
                "review_cycles__decided_at",
                filter=Q(review_cycles__status__in=[CycleStatus.ACCEPTED, CycleStatus.REJECTED]),
            ),
            licence_start=Max("licences__starts_on", filter=Q(licences__status__in=in_force)),
        )
        .order_by("pk")
    )


def _in_batches(queryset: QuerySet[Any]) -> Iterator[list[int]]:
    """The ids `queryset` selects now, read by one indexed query, a batch at a time: a batch
    never rescans the rows before it. Each batch reads its rows again through the same
    filter, so a row that changed meanwhile is left out."""
    ids = list(queryset.order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(ids), BATCH):
        yield ids[start : start + BATCH]


def _first_time(by_key: dict[str, T]) -> list[T]:
    """Of the items keyed by notice key, those whose key is new, the keys now recorded in the
    caller's transaction (with the messages they stand for). The job's lock keeps a second
    run of the job from recording the same key meanwhile."""
    seen = set(Notice.objects.filter(key__in=by_key).values_list("key", flat=True))
    fresh = {key: item for key, item in by_key.items() if key not in seen}
    Notice.objects.bulk_create(Notice(key=key) for key in fresh)
    return list(fresh.values())


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
        )
        for ids in _in_batches(cycles):
            # The notice keys and the e-mails commit together: a reminder is recorded once,
            # and its outbox rows say when the mail server accepted it.
            with transaction.atomic():
                batch = cycles.filter(pk__in=ids).select_related("member").order_by("pk")
                due = _first_time(
                    {f"cycle-{c.pk}-due-in-{(c.due_on - today).days}": c for c in batch}
                )
                tell_members(
                    "cycle_reminder",
                    [
                        (
                            cycle.member,
                            reverse("compliance:cycle_detail", args=[cycle.pk]),
                            cycle,
                            {
                                "due_on": cycle.due_on.isoformat(),
                                "days": (cycle.due_on - today).days,
                            },
                        )
                        for cycle in due
                    ],
                )
                sent += len(due)
        findings = Finding.objects.filter(status=FindingStatus.OPEN, due_on__in=due_days)
        for ids in _in_batches(findings):
            with transaction.atomic():
                rows = (
                    findings.filter(pk__in=ids)
                    .select_related("cycle__member", "criterion")
                    .order_by("pk")
                )
                found = _first_time(
                    {f"finding-{f.pk}-due-in-{(f.due_on - today).days}": f for f in rows}
                )
                tell_members(
                    "finding_reminder",
                    [
                        (
                            finding.cycle.member,
                            reverse("compliance:finding_detail", args=[finding.pk]),
                            finding,
                            {
                                "due_on": finding.due_on.isoformat(),
                                "days": (finding.due_on - today).days,
                            },
                        )
                        for finding in found
                    ],
                )
                sent += len(found)
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
        )
        for ids in _in_batches(overdue):
            with transaction.atomic():
                batch = overdue.filter(pk__in=ids).select_related("member", "licence")
                due = _first_time(
                    {f"cycle-{cycle.pk}-overdue": cycle for cycle in batch.order_by("pk")}
                )
                tell_staff_many(
                    "cycle_overdue",
                    "admin:compliance_reviewcycle_change",
                    [
                        (
                            cycle.pk,
                            cycle,
                            cycle.member_id,
                            {
                                "company": cycle.member.legal_name,
                                "due_on": cycle.due_on.isoformat(),
                            },
                        )
                        for cycle in due
                    ],
                )
                if settings.ALLIANCE_OPEN_CASE_WHEN_OVERDUE:
                    for cycle in due:
                        if cycle.licence.status in (LicenceStatus.ACTIVE, LicenceStatus.SUSPENDED):
                            case_open_by_portal(
                                licence=cycle.licence,
                                grounds=Grounds.FAILURE_TO_ATTEST,
                                narrative=(
                                    f"The attestation due on {cycle.due_on.isoformat()} "
                                    "was not submitted."
                                ),
                                cycles=[cycle],
                            )
                escalated += len(due)
        findings = Finding.objects.filter(status=FindingStatus.OPEN, due_on__lt=cutoff)
        for ids in _in_batches(findings):
            escalated += len(
                findings_escalate_by_portal(
                    finding_ids=ids, note="Overdue: escalated by the portal."
                )
            )
    return escalated
