"""Due dates for the staff calendar and its ICS feed: five bounded queries, one per kind."""

from datetime import date

from django.urls import reverse
from django.utils.translation import gettext as _

from alliance_portal.calendar import DueDate, due_uid
from compliance.models import (
    OPEN_CYCLE_STATUSES,
    CaseStatus,
    CertificateStatus,
    ComplianceCertificate,
    CycleStatus,
    Finding,
    FindingStatus,
    ForfeitureCase,
    ReviewCycle,
)
from licensing.models import LicenceAgreement, LicenceStatus
from members.models import User

from .permissions import can_see

# Each kind lists at most this many dates: the page and the feed stay bounded.
PER_KIND_LIMIT = 500
# Cycles the member still has to answer (a submitted one is the staff's work, not a due date).
AWAITING_MEMBER = [s for s in OPEN_CYCLE_STATUSES if s not in (CycleStatus.SUBMITTED,)]


def due_dates(user: User, start: date, end: date) -> list[DueDate]:
    """Due dates from ``start`` to ``end`` (inclusive) of the records this person may see."""
    found: list[DueDate] = []
    if can_see(user, "compliance", "reviewcycle"):
        cycles = ReviewCycle.objects.filter(
            status__in=AWAITING_MEMBER, due_on__range=(start, end)
        ).select_related("member")
        found += [
            DueDate(
                due_uid("cycle", c.pk),
                c.due_on,
                "cycle",
                _("Attestation due"),
                _("Attestation due: %(member)s") % {"member": c.member},
                str(c.member),
                reverse("admin:compliance_reviewcycle_change", args=[c.pk]),
            )
            for c in cycles.order_by("due_on", "pk")[:PER_KIND_LIMIT]
        ]
    if can_see(user, "compliance", "finding"):
        findings = Finding.objects.filter(
            status__in=[FindingStatus.OPEN, FindingStatus.ACTION_SUBMITTED],
            due_on__range=(start, end),
        ).select_related("cycle__member", "criterion")
        found += [
            DueDate(
                due_uid("finding", f.pk),
                f.due_on,
                "finding",
                _("Corrective action due"),
                _("Corrective action due: %(member)s, %(finding)s")
                % {"member": f.cycle.member, "finding": f.criterion.code if f.criterion else "—"},
                str(f.cycle.member),
                reverse("admin:compliance_finding_change", args=[f.pk]),
            )
            for f in findings.order_by("due_on", "pk")[:PER_KIND_LIMIT]
        ]
    if can_see(user, "compliance", "forfeiturecase"):
        cases = ForfeitureCase.objects.filter(
            status=CaseStatus.NOTICE_SENT, response_due_on__range=(start, end)
        ).select_related("licence__member")
        found += [
            DueDate(
                due_uid("case-window", k.pk),
                k.response_due_on,
                "case",
                _("Response window ends"),
                _("Response window ends: %(member)s") % {"member": k.licence.member},
                str(k.licence.member),
                reverse("admin:compliance_forfeiturecase_change", args=[k.pk]),
            )
            for k in cases.order_by("response_due_on", "pk")[:PER_KIND_LIMIT]
            if k.response_due_on is not None
        ]
    if can_see(user, "licensing", "licenceagreement"):
        licences = LicenceAgreement.objects.filter(
            status__in=[LicenceStatus.ACTIVE, LicenceStatus.SUSPENDED],
            ends_on__range=(start, end),
        ).select_related("member")
        found += [
            DueDate(
                due_uid("licence-end", lic.pk),
                lic.ends_on,
                "licence",
                _("Licence ends"),
                _("Licence %(number)s ends: %(member)s")
                % {"number": lic.number, "member": lic.member},
                str(lic.member),
                reverse("admin:licensing_licenceagreement_change", args=[lic.pk]),
            )
            for lic in licences.order_by("ends_on", "pk")[:PER_KIND_LIMIT]
            if lic.ends_on is not None
        ]
    if can_see(user, "compliance", "compliancecertificate"):
        certificates = ComplianceCertificate.objects.filter(
            status=CertificateStatus.ISSUED, valid_until__range=(start, end)
        ).select_related("member")
        found += [
            DueDate(
                due_uid("certificate-end", cert.pk),
                cert.valid_until,
                "certificate",
                _("Certificate ends"),
                _("Certificate %(number)s ends: %(member)s")
                % {"number": cert.number, "member": cert.member},
                str(cert.member),
                reverse("admin:compliance_compliancecertificate_change", args=[cert.pk]),
            )
            for cert in certificates.order_by("valid_until", "pk")[:PER_KIND_LIMIT]
        ]
    return sorted(found, key=lambda d: (d.day, d.kind, d.uid))
