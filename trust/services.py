"""Reports of logo misuse and grievances: new → acknowledged → under review → dismissed |
finding raised | case opened → concluded (one appeal takes a closed report back under review).
The transitions are declared in trust.models.

The reporter is the public, not a user: no service records who they are in the audit log (no
actor, no address), in a finding or in a case. Their e-mail and address stay on the report,
for staff with the ``view_reporter_identity`` permission.
"""

import hashlib
import secrets
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from alliance_portal.audit import audit_record
from alliance_portal.documents import discard_file_on_rollback, document_store
from alliance_portal.emails import email_queue
from alliance_portal.locks import lock
from alliance_portal.states import move
from compliance import services as compliance
from compliance.models import Finding, ForfeitureCase, Grounds, ReviewCycle
from licensing.models import LicenceAgreement, LicenceStatus
from members.models import Member, User

from .models import REPORT_TRANSITIONS, Report, ReportCategory, ReportEvidence, ReportStatus
from .permissions import can_triage_reports

# The grounds on which a case may be opened from a report.
REPORT_CASE_GROUNDS = (Grounds.LOGO_MISUSE, Grounds.NON_COMPLIANCE)


def working_days_after(day: date, count: int) -> date:
    """The date ``count`` working days (Monday to Friday) after ``day``."""
    while count > 0:
        day += timedelta(days=1)
        if day.weekday() < 5:
            count -= 1
    return day


def _require_triager(actor: User) -> None:
    if not can_triage_reports(actor):
        raise PermissionDenied(_("Only customer policy staff may handle reports."))


def _required(value: str, message: str) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationError(message)
    return value


def _tell_reporter(report: Report, template: str) -> None:
    """E-mail the reporter, if they gave an address. No status link: only its hash is kept."""
    if not report.reporter_email:
        return
    email_queue(
        to=report.reporter_email,
        template=template,
        context={
            "reference": report.reference,
            "outcome": report.public_outcome,
            "status": str(report.public_stage.label),
        },
        language=report.language,
        about=report,
    )


def report_submit(
    *,
    category: str,
    description: str,
    member: Member | None = None,
    reporter_email: str = "",
    reporter_ip: str | None = None,
    language: str = "en",
    files: Sequence["UploadedFile[bytes]"] = (),
) -> tuple[Report, str]:
    """Record a report from the public, with its evidence; returns it and the status link's
    token (shown once, only its SHA-256 is kept). An upload refused leaves nothing behind.

    No actor: whoever sends it (signed in or not) is recorded nowhere but in the report's own
    identity fields.
    """
    if category not in ReportCategory.values:
        raise ValidationError(_("Choose what the report is about."))
    description = _required(description, _("Describe what you saw."))
    if len(files) > settings.ALLIANCE_REPORT_MAX_FILES:
        raise ValidationError(
            _("Send at most %(count)d files.") % {"count": settings.ALLIANCE_REPORT_MAX_FILES}
        )
    token = secrets.token_urlsafe(32)  # 256 bits
    now = timezone.now()
    today = timezone.localdate(now)
    with discard_file_on_rollback() as keep, transaction.atomic():
        report = Report.objects.create(
            category=category,
            member=member,
            description=description,
            reporter_email=(reporter_email or "").strip(),
            reporter_ip=reporter_ip or None,
            language=language[:8] or "en",
            token_sha256=hashlib.sha256(token.encode()).hexdigest(),
            submitted_at=now,
            acknowledge_due_on=working_days_after(
                today, settings.ALLIANCE_REPORT_ACKNOWLEDGE_WORKING_DAYS
            ),
            conclude_due_on=today + timedelta(days=settings.ALLIANCE_REPORT_CONCLUDE_DAYS),
        )
        report.reference = f"R-{now:%Y}-{report.pk:05d}"
        report.save(update_fields=["reference"])
        quarantined = 0
        for uploaded in files:
            document = document_store(actor=None, uploaded_file=uploaded)
            keep(document)
            if document.quarantined:
                quarantined += 1
                continue
            ReportEvidence.objects.create(report=report, document=document)
        audit_record(
            actor=None,
            action="report.submitted",
            target=report,
            payload={
                "category": category,
                "member": member.pk if member else None,
                "files": len(files) - quarantined,
                "quarantined": quarantined,
            },
        )
    return report, token


def _move(
    *,
    actor: User,
    report: Report,
    action: str,
    request: HttpRequest | None,
    payload: dict[str, Any] | None = None,
    **fields: Any,
) -> Report:
    with transaction.atomic():
        locked = lock(Report, report.pk)
        locked.status = move(locked, REPORT_TRANSITIONS, action)
        locked.handled_by = actor
        for name, value in fields.items():
            setattr(locked, name, value)
        locked.save()
        audit_record(
            actor=actor, action=f"report.{action}", target=locked, payload=payload, request=request
        )
        if action == "acknowledge":
            _tell_reporter(locked, "report_acknowledged")
        elif locked.status in (ReportStatus.DISMISSED, ReportStatus.CONCLUDED):
            _tell_reporter(locked, "report_concluded")
    return locked


def report_acknowledge(
    *, actor: User, report: Report, request: HttpRequest | None = None
) -> Report:
    _require_triager(actor)
    return _move(
        actor=actor,
        report=report,
        action="acknowledge",
        request=request,
        acknowledged_at=timezone.now(),
    )


def report_start_review(
    *, actor: User, report: Report, request: HttpRequest | None = None
) -> Report:
    _require_triager(actor)
    return _move(actor=actor, report=report, action="start_review", request=request)


def report_dismiss(
    *,
    actor: User,
    report: Report,
    reason: str,
    public_outcome: str,
    request: HttpRequest | None = None,
) -> Report:
    """Dismiss with a reason (kept for staff) and what the reporter is told."""
    _require_triager(actor)
    reason = _required(reason, _("Give the reason for dismissing the report."))
    public_outcome = _required(public_outcome, _("Say what the reporter is told."))
    return _move(
        actor=actor,
        report=report,
        action="dismiss",
        request=request,
        payload={"reason": reason},
        dismissal_reason=reason,
        public_outcome=public_outcome,
        concluded_at=timezone.now(),
    )


def report_conclude(
    *, actor: User, report: Report, public_outcome: str, request: HttpRequest | None = None
) -> Report:
    _require_triager(actor)
    public_outcome = _required(public_outcome, _("Say what the reporter is told."))
    return _move(
        actor=actor,
        report=report,
        action="conclude",
        request=request,
        public_outcome=public_outcome,
        concluded_at=timezone.now(),
    )


def _licence_in_force(member: Member | None) -> LicenceAgreement:
    licence = (
        LicenceAgreement.objects.filter(
            member=member, status__in=[LicenceStatus.ACTIVE, LicenceStatus.SUSPENDED]
        ).first()
        if member is not None
        else None
    )
    if licence is None:
        raise ValidationError(
            _("Name the member concerned: a member with a licence in force."), code="no_member"
        )
    return licence


def report_raise_finding(
    *,
    actor: User,
    report: Report,
    severity: str,
    description: str,
    corrective_action: str,
    due_on: date,
    member: Member | None = None,
    request: HttpRequest | None = None,
) -> Report:
    """Raise a finding on the member's latest review cycle (compliance's service), linked to
    the report. The finding carries only what staff write: nothing of the reporter."""
    _require_triager(actor)
    member = member or report.member
    licence = _licence_in_force(member)
    cycle = ReviewCycle.objects.filter(licence=licence).order_by("-opened_at", "-pk").first()
    if cycle is None:
        raise ValidationError(
            _("This member has no review cycle to raise a finding in; open a case instead."),
            code="no_cycle",
        )
    with transaction.atomic():
        locked = lock(Report, report.pk)
        move(locked, REPORT_TRANSITIONS, "raise_finding")  # refused before anything is written
        finding: Finding = compliance.finding_raise(
            actor=actor,
            cycle=cycle,
            severity=severity,
            description=description,
            corrective_action=corrective_action,
            due_on=due_on,
            request=request,
        )
        return _move(
            actor=actor,
            report=locked,
            action="raise_finding",
            request=request,
            payload={"finding": finding.pk},
            finding=finding,
            member=member,
        )


def report_open_case(
    *,
    actor: User,
    report: Report,
    grounds: str,
    narrative: str,
    member: Member | None = None,
    request: HttpRequest | None = None,
) -> Report:
    """Open a forfeiture case (compliance's service) on the grounds of logo misuse or
    non-compliance, linked to the report. The case carries only what staff write."""
    _require_triager(actor)
    if grounds not in REPORT_CASE_GROUNDS:
        raise ValidationError(_("A case from a report is about logo misuse or non-compliance."))
    member = member or report.member
    licence = _licence_in_force(member)
    with transaction.atomic():
        locked = lock(Report, report.pk)
        move(locked, REPORT_TRANSITIONS, "open_case")
        case: ForfeitureCase = compliance.case_open(
            actor=actor, licence=licence, grounds=grounds, narrative=narrative, request=request
        )
        return _move(
            actor=actor,
            report=locked,
            action="open_case",
            request=request,
            payload={"case": case.pk},
            case=case,
            member=member,
        )


def report_appeal(*, report: Report, text: str) -> Report:
    """The reporter's one appeal against the outcome, through the status link: the report goes
    back under review with a new deadline to conclude."""
    text = _required(text, _("Say why you disagree with the outcome."))
    with transaction.atomic():
        locked = lock(Report, report.pk)
        if locked.appealed_at is not None:
            raise ValidationError(_("This report has already been appealed once."))
        locked.status = move(locked, REPORT_TRANSITIONS, "appeal")
        locked.appeal_text = text
        locked.appealed_at = timezone.now()
        locked.concluded_at = None
        locked.conclude_due_on = timezone.localdate() + timedelta(
            days=settings.ALLIANCE_REPORT_CONCLUDE_DAYS
        )
        locked.save()
        audit_record(actor=None, action="report.appealed", target=locked)
    return locked
