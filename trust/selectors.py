"""Reads of the public trust pages and of the report queue.

What a member's public page may show is what the register shows (name, country, licence
number, member since) plus its standing and its current certificate's public status, the same
facts /verify/ gives anyone who holds the certificate's code. Never a reason, a registration
number, an address or anything from a review.
"""

import hashlib
from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.db.models import Case, IntegerField, Q, QuerySet, Value, When
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from compliance.models import CertificateStatus, ComplianceCertificate
from licensing.models import LicenceAgreement, LicenceStatus
from licensing.selectors import public_register
from members.models import Member

from .models import OPEN_STATUSES, Report, ReportStatus


class Standing:
    GOOD = "good_standing"
    SUSPENDED = "suspended"
    FORFEITED = "forfeited"

    LABELS = {
        GOOD: _("In good standing"),
        SUSPENDED: _("Suspended"),
        FORFEITED: _("Forfeited"),
    }


@dataclass(frozen=True)
class MemberPage:
    member: Member
    licence: LicenceAgreement
    standing: str
    standing_since: date | None
    certificate: ComplianceCertificate | None
    certificate_status: str

    @property
    def standing_label(self) -> str:
        return str(Standing.LABELS[self.standing])

    @property
    def member_since(self) -> date:
        return timezone.localdate(self.member.approved_at)

    @property
    def certificate_status_label(self) -> str:
        return str(CertificateStatus(self.certificate_status).label) if self.certificate else ""


def _standing(licence: LicenceAgreement, today: date) -> tuple[str, date | None] | None:
    """The member's standing by its licence, or None when its page is not shown (any more)."""
    shown_for = timedelta(days=settings.ALLIANCE_PUBLIC_STANDING_DAYS)
    if licence.status == LicenceStatus.ACTIVE:
        if licence.ends_on is None or licence.ends_on < today:
            return None  # its term is over: the register no longer lists it either
        return Standing.GOOD, None
    if licence.status == LicenceStatus.SUSPENDED:
        since = timezone.localdate(licence.suspended_at) if licence.suspended_at else None
        if since is not None and today - since > shown_for:
            return None
        return Standing.SUSPENDED, since
    if licence.status == LicenceStatus.FORFEITED and licence.ended_at is not None:
        on = timezone.localdate(licence.ended_at)
        return (Standing.FORFEITED, on) if today - on <= shown_for else None
    return None


def member_page(number: str) -> MemberPage | None:
    """The public page of the member who holds or held licence ``number``: three queries.

    None (the caller answers 404) unless the member consents to being listed and is in good
    standing, or was suspended or forfeited within ``ALLIANCE_PUBLIC_STANDING_DAYS``.
    """
    today = timezone.localdate()
    member_id = (
        LicenceAgreement.objects.filter(number=number, member__public_listing_consent=True)
        .exclude(status=LicenceStatus.DRAFT)
        .values_list("member_id", flat=True)
        .first()
    )
    if member_id is None:
        return None
    # The licence that tells the member's standing: the one in force, else the last forfeited.
    licence = (
        LicenceAgreement.objects.filter(
            member_id=member_id,
            status__in=[LicenceStatus.ACTIVE, LicenceStatus.SUSPENDED, LicenceStatus.FORFEITED],
        )
        .select_related("member")
        .annotate(
            in_force=Case(
                When(status=LicenceStatus.FORFEITED, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            )
        )
        .order_by("-in_force", "-ended_at", "-pk")
        .first()
    )
    if licence is None:
        return None
    standing = _standing(licence, today)
    if standing is None:
        return None
    certificate = (
        ComplianceCertificate.objects.filter(member_id=member_id)
        .exclude(status=CertificateStatus.PENDING)
        .order_by("-issued_at", "-pk")
        .first()
    )
    status = certificate.status if certificate else ""
    # Between the end of its validity and the nightly expiry run it is already not valid.
    if status == CertificateStatus.ISSUED and certificate and certificate.valid_until < today:
        status = CertificateStatus.EXPIRED
    return MemberPage(
        member=licence.member,
        licence=licence,
        standing=standing[0],
        standing_since=standing[1],
        certificate=certificate,
        certificate_status=status,
    )


def members_to_report() -> QuerySet[Member]:
    """The members a reporter may name: those the register lists."""
    return Member.objects.filter(pk__in=public_register().values("member_id")).order_by(
        "legal_name", "pk"
    )


def report_by_token(token: str) -> Report | None:
    """The report whose status link carries ``token`` (only its SHA-256 is kept)."""
    if not token or len(token) > 100:
        return None
    digest = hashlib.sha256(token.encode()).hexdigest()
    return Report.objects.select_related("member").filter(token_sha256=digest).first()


def reports_for_staff() -> QuerySet[Report]:
    return Report.objects.select_related("member", "handled_by", "finding", "case")


def reports_to_acknowledge() -> QuerySet[Report]:
    return Report.objects.filter(status=ReportStatus.NEW)


def reports_overdue(today: date | None = None) -> QuerySet[Report]:
    """Not acknowledged by its date, or not concluded by its date."""
    today = today or timezone.localdate()
    return Report.objects.filter(
        Q(status=ReportStatus.NEW, acknowledge_due_on__lt=today)
        | Q(status__in=OPEN_STATUSES, conclude_due_on__lt=today)
    )
