"""The member calendar: the due dates of the companies where the person is a signatory or
compliance officer, four bounded queries (one per kind), scoped before anything else."""

from collections.abc import Callable
from datetime import date

from django.db.models import QuerySet
from django.urls import reverse
from django.utils.translation import gettext as _

from alliance_portal.calendar import DueDate, due_uid
from licensing.models import LicenceAgreement, LicenceStatus
from members.models import User

from .models import (
    OPEN_CYCLE_STATUSES,
    CaseStatus,
    CycleStatus,
    Finding,
    FindingStatus,
    ForfeitureCase,
    MemberCalendarToken,
    ReviewCycle,
)
from .permissions import CALENDAR_ROLES

# Each kind lists at most this many dates: the page and the feed stay bounded.
PER_KIND_LIMIT = 500
# Cycles the member still has to answer (a submitted one is the staff's work, not a due date).
AWAITING_MEMBER = [s for s in OPEN_CYCLE_STATUSES if s != CycleStatus.SUBMITTED]


def _member_ids(user: User) -> list[int]:
    return list(
        user.memberships.filter(role__in=CALENDAR_ROLES).values_list("member_id", flat=True)
    )


Link = Callable[[int], str]


# One builder per kind, for the member calendar here and the staff calendar in the workbench:
# the caller scopes the rows and chooses the uid prefix and where each date links to.
def cycle_due_dates(
    cycles: QuerySet[ReviewCycle], prefix: str, link: Link, limit: int = PER_KIND_LIMIT
) -> list[DueDate]:
    rows = cycles.select_related("member").order_by("due_on", "pk")[:limit]
    return [
        DueDate(
            due_uid(prefix, c.pk),
            c.due_on,
            "cycle",
            _("Attestation due"),
            _("Attestation due: %(member)s") % {"member": c.member},
            str(c.member),
            link(c.pk),
        )
        for c in rows
    ]


def finding_due_dates(
    findings: QuerySet[Finding], prefix: str, link: Link, limit: int = PER_KIND_LIMIT
) -> list[DueDate]:
    rows = findings.select_related("cycle__member", "criterion").order_by("due_on", "pk")
    return [
        DueDate(
            due_uid(prefix, f.pk),
            f.due_on,
            "finding",
            _("Corrective action due"),
            _("Corrective action due: %(member)s, %(finding)s")
            % {"member": f.cycle.member, "finding": f.criterion.code if f.criterion else "—"},
            str(f.cycle.member),
            link(f.pk),
        )
        for f in rows[:limit]
    ]


def case_due_dates(
    cases: QuerySet[ForfeitureCase], prefix: str, link: Link, limit: int = PER_KIND_LIMIT
) -> list[DueDate]:
    rows = cases.select_related("licence__member").order_by("response_due_on", "pk")
    return [
        DueDate(
            due_uid(prefix, k.pk),
            k.response_due_on,
            "case",
            _("Response window ends"),
            _("Response window ends: %(member)s") % {"member": k.licence.member},
            str(k.licence.member),
            link(k.pk),
        )
        for k in rows[:limit]
        if k.response_due_on is not None
    ]


def licence_end_dates(
    licences: QuerySet[LicenceAgreement], prefix: str, link: Link, limit: int = PER_KIND_LIMIT
) -> list[DueDate]:
    rows = licences.select_related("member").order_by("ends_on", "pk")[:limit]
    return [
        DueDate(
            due_uid(prefix, lic.pk),
            lic.ends_on,
            "licence",
            _("Licence ends"),
            _("Licence %(number)s ends: %(member)s") % {"number": lic.number, "member": lic.member},
            str(lic.member),
            link(lic.pk),
        )
        for lic in rows
        if lic.ends_on is not None
    ]


def member_due_dates(user: User, start: date, end: date) -> list[DueDate]:
    """What the person's companies must do from ``start`` to ``end`` (inclusive)."""
    members = _member_ids(user)
    if not members:
        return []
    found = cycle_due_dates(
        ReviewCycle.objects.filter(
            member_id__in=members, status__in=AWAITING_MEMBER, due_on__range=(start, end)
        ),
        "member-cycle",
        lambda pk: reverse("compliance:cycle_detail", args=[pk]),
    )
    found += finding_due_dates(
        Finding.objects.filter(
            cycle__member_id__in=members, status=FindingStatus.OPEN, due_on__range=(start, end)
        ),
        "member-finding",
        lambda pk: reverse("compliance:finding_detail", args=[pk]),
    )
    found += case_due_dates(
        ForfeitureCase.objects.filter(
            licence__member_id__in=members,
            status=CaseStatus.NOTICE_SENT,
            response_due_on__range=(start, end),
        ),
        "member-case-window",
        lambda pk: reverse("compliance:case_detail", args=[pk]),
    )
    found += licence_end_dates(
        LicenceAgreement.objects.filter(
            member_id__in=members,
            status__in=[LicenceStatus.ACTIVE, LicenceStatus.SUSPENDED],
            ends_on__range=(start, end),
        ),
        "member-licence-end",
        lambda pk: reverse("licensing:licence_detail", args=[pk]),
    )
    return sorted(found, key=lambda d: (d.day, d.kind, d.uid))


def live_calendar_token(user: User) -> MemberCalendarToken | None:
    return MemberCalendarToken.objects.filter(user=user, revoked_at__isnull=True).first()


def calendar_token_by_hash(digest: str) -> MemberCalendarToken | None:
    return (
        MemberCalendarToken.objects.select_related("user")
        .filter(token_hash=digest, revoked_at__isnull=True)
        .first()
    )
