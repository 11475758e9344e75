"""Due dates for the staff calendar and its ICS feed: five bounded queries, one per kind."""

from datetime import date

from django.urls import reverse
from django.utils.translation import gettext as _

from alliance_portal.calendar import DueDate, due_uid
from compliance.models import (
    CaseStatus,
    CertificateStatus,
    ComplianceCertificate,
    Finding,
    FindingStatus,
    ForfeitureCase,
    ReviewCycle,
)
from compliance.selectors_calendar import (
    AWAITING_MEMBER,
    PER_KIND_LIMIT,
    case_due_dates,
    cycle_due_dates,
    finding_due_dates,
    licence_end_dates,
)
from licensing.models import LicenceAgreement, LicenceStatus
from members.models import User

from .permissions import can_see


def due_dates(user: User, start: date, end: date, *, limit: int = PER_KIND_LIMIT) -> list[DueDate]:
    """Due dates from ``start`` to ``end`` (inclusive) of the records this person may see, the
    first ``limit`` of each kind."""
    found: list[DueDate] = []
    if can_see(user, "compliance", "reviewcycle"):
        found += cycle_due_dates(
            ReviewCycle.objects.filter(status__in=AWAITING_MEMBER, due_on__range=(start, end)),
            "cycle",
            lambda pk: reverse("admin:compliance_reviewcycle_change", args=[pk]),
            limit,
        )
    if can_see(user, "compliance", "finding"):
        found += finding_due_dates(
            Finding.objects.filter(
                status__in=[FindingStatus.OPEN, FindingStatus.ACTION_SUBMITTED],
                due_on__range=(start, end),
            ),
            "finding",
            lambda pk: reverse("admin:compliance_finding_change", args=[pk]),
            limit,
        )
    if can_see(user, "compliance", "forfeiturecase"):
        found += case_due_dates(
            ForfeitureCase.objects.filter(
                status=CaseStatus.NOTICE_SENT, response_due_on__range=(start, end)
            ),
            "case-window",
            lambda pk: reverse("admin:compliance_forfeiturecase_change", args=[pk]),
            limit,
        )
    if can_see(user, "licensing", "licenceagreement"):
        found += licence_end_dates(
            LicenceAgreement.objects.filter(
                status__in=[LicenceStatus.ACTIVE, LicenceStatus.SUSPENDED],
                ends_on__range=(start, end),
            ),
            "licence-end",
            lambda pk: reverse("admin:licensing_licenceagreement_change", args=[pk]),
            limit,
        )
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
            for cert in certificates.order_by("valid_until", "pk")[:limit]
        ]
    return sorted(found, key=lambda d: (d.day, d.kind, d.uid))
