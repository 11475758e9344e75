"""The member calendar: the due dates of the companies where the person is a signatory or
compliance officer, four bounded queries (one per kind), scoped before anything else."""

from datetime import date

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

PER_KIND_LIMIT = 500
AWAITING_MEMBER = [s for s in OPEN_CYCLE_STATUSES if s != CycleStatus.SUBMITTED]


def _member_ids(user: User) -> list[int]:
    return list(
        user.memberships.filter(role__in=CALENDAR_ROLES).values_list("member_id", flat=True)
    )


def member_due_dates(user: User, start: date, end: date) -> list[DueDate]:
    """What the person's companies must do from ``start`` to ``end`` (inclusive)."""
    members = _member_ids(user)
    if not members:
        return []
    cycles = ReviewCycle.objects.filter(
        member_id__in=members, status__in=AWAITING_MEMBER, due_on__range=(start, end)
    ).select_related("member")
    found = [
        DueDate(
            due_uid("member-cycle", c.pk),
            c.due_on,
            "cycle",
            _("Attestation due"),
            _("Attestation due: %(member)s") % {"member": c.member},
            str(c.member),
            reverse("compliance:cycle_detail", args=[c.pk]),
        )
        for c in cycles.order_by("due_on", "pk")[:PER_KIND_LIMIT]
    ]
    findings = Finding.objects.filter(
        cycle__member_id__in=members, status=FindingStatus.OPEN, due_on__range=(start, end)
    ).select_related("cycle__member", "criterion")
    found += [
        DueDate(
            due_uid("member-finding", f.pk),
            f.due_on,
            "finding",
            _("Corrective action due"),
            _("Corrective action due: %(member)s, %(finding)s")
            % {"member": f.cycle.member, "finding": f.criterion.code if f.criterion else "—"},
            str(f.cycle.member),
            reverse("compliance:finding_detail", args=[f.pk]),
        )
        for f in findings.order_by("due_on", "pk")[:PER_KIND_LIMIT]
    ]
    cases = ForfeitureCase.objects.filter(
        licence__member_id__in=members,
        status=CaseStatus.NOTICE_SENT,
        response_due_on__range=(start, end),
    ).select_related("licence__member")
    found += [
        DueDate(
            due_uid("member-case-window", k.pk),
            k.response_due_on,
            "case",
            _("Response window ends"),
            _("Response window ends: %(member)s") % {"member": k.licence.member},
            str(k.licence.member),
            reverse("compliance:case_detail", args=[k.pk]),
        )
        for k in cases.order_by("response_due_on", "pk")[:PER_KIND_LIMIT]
        if k.response_due_on is not None
    ]
    licences = LicenceAgreement.objects.filter(
        member_id__in=members,
        status__in=[LicenceStatus.ACTIVE, LicenceStatus.SUSPENDED],
        ends_on__range=(start, end),
    ).select_related("member")
    found += [
        DueDate(
            due_uid("member-licence-end", lic.pk),
            lic.ends_on,
            "licence",
            _("Licence ends"),
            _("Licence %(number)s ends: %(member)s") % {"number": lic.number, "member": lic.member},
            str(lic.member),
            reverse("licensing:licence_detail", args=[lic.pk]),
        )
        for lic in licences.order_by("ends_on", "pk")[:PER_KIND_LIMIT]
        if lic.ends_on is not None
    ]
    return sorted(found, key=lambda d: (d.day, d.kind, d.uid))


def live_calendar_token(user: User) -> MemberCalendarToken | None:
    return MemberCalendarToken.objects.filter(user=user, revoked_at__isnull=True).first()


def calendar_token_by_hash(digest: str) -> MemberCalendarToken | None:
    return (
        MemberCalendarToken.objects.select_related("user")
        .filter(token_hash=digest, revoked_at__isnull=True)
        .first()
    )
