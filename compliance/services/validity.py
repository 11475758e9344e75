"""Documents that stay valid: staff verify or reject them (confirming or correcting their
dates), members are reminded before they expire, and a document left expired past the grace
period raises a finding. Which documents count is ``compliance.selectors_validity``."""

import logging
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from alliance_portal.audit import audit_record
from alliance_portal.emails import absolute_url, email_user
from alliance_portal.jobs import job_lock
from alliance_portal.models import DOCUMENT_REVIEW_TRANSITIONS, Document
from alliance_portal.states import transition_target
from licensing.models import Criterion
from members.models import Member, User

from ..models import (
    OPEN_CYCLE_STATUSES,
    DocumentValidityNotice,
    ReviewCycle,
    Severity,
    ValidityNoticeKind,
)
from ..permissions import can_review
from ..selectors_validity import HeldDocument, document_owners, held_documents
from .common import lock, required_text, tell_member, tell_members
from .findings import finding_raise_by_portal

logger = logging.getLogger(__name__)
BATCH = 200


def _require_reviewer(actor: User) -> None:
    if not can_review(actor):
        raise PermissionDenied(_("Only customer policy staff may review documents."))


def _review_step(document: Document, action: str) -> str:
    return transition_target(
        DOCUMENT_REVIEW_TRANSITIONS,
        action,
        document.review_status,
        current_label=str(document.get_review_status_display()),
    )


def _day(value: date | None) -> str | None:
    return value.isoformat() if value else None


def document_verify(
    *,
    actor: User,
    document: Document,
    issued_on: date | None = None,
    expires_on: date | None = None,
    request: HttpRequest | None = None,
) -> Document:
    """Staff verify a document, confirming its dates or correcting them (a date left empty
    keeps the member's). Audited with the dates before and after."""
    _require_reviewer(actor)
    with transaction.atomic():
        locked = lock(Document, document.pk)
        locked.review_status = _review_step(locked, "verify")
        before = {"issued_on": _day(locked.issued_on), "expires_on": _day(locked.expires_on)}
        new_issued = issued_on or locked.issued_on
        new_expiry = expires_on or locked.expires_on
        if new_issued and new_expiry and new_expiry < new_issued:
            raise ValidationError(
                {"expires_on": _("The document cannot expire before it was issued.")}
            )
        locked.issued_on, locked.expires_on = new_issued, new_expiry
        locked.review_reason = ""
        locked.reviewed_at = timezone.now()
        locked.reviewed_by = actor
        locked.save(
            update_fields=[
                "review_status",
                "issued_on",
                "expires_on",
                "review_reason",
                "reviewed_at",
                "reviewed_by",
            ]
        )
        audit_record(
            actor=actor,
            action="document.verified",
            target=locked,
            payload={
                "before": before,
                "issued_on": _day(locked.issued_on),
                "expires_on": _day(locked.expires_on),
            },
            request=request,
        )
    return locked


def document_reject(
    *, actor: User, document: Document, reason: str, request: HttpRequest | None = None
) -> Document:
    """Staff reject a document with a reason the member reads: its requirement is open again
    and the member is told (e-mail and portal notification) in the same transaction."""
    _require_reviewer(actor)
    reason = required_text(reason, _("Say why the document is rejected."))[:2000]
    with transaction.atomic():
        locked = lock(Document, document.pk)
        locked.review_status = _review_step(locked, "reject")
        locked.review_reason = reason
        locked.reviewed_at = timezone.now()
        locked.reviewed_by = actor
        locked.save(update_fields=["review_status", "review_reason", "reviewed_at", "reviewed_by"])
        audit_record(
            actor=actor,
            action="document.rejected",
            target=locked,
            payload={"reason": reason},
            request=request,
        )
        _tell_rejected(locked)
    return locked


def _tell_rejected(document: Document) -> None:
    members, applicants = document_owners(document)
    held = {
        row.member.pk: row
        for row in held_documents([member.pk for member in members])
        if row.document.pk == document.pk
    }
    for member in members:
        row = held.get(member.pk)
        path = row.url if row else reverse("portal:member_documents", args=[member.pk])
        tell_member(
            member,
            "document_rejected",
            path,
            about=document,
            name=document.original_name,
            reason=document.review_reason,
        )
    for applicant in applicants:
        application = applicant.applications.filter(documents__document=document).first()
        email_user(
            applicant,
            template="document_rejected",
            context={
                "company": application.legal_name if application else "",
                "url": absolute_url(
                    reverse("portal:application_detail", args=[application.pk]) + "#documents"
                    if application
                    else reverse("dashboard")
                ),
                "name": document.original_name,
                "reason": document.review_reason,
            },
            about=document,
        )


# --- The daily job ---------------------------------------------------------------------------


def _reminder_threshold(days_left: int) -> int | None:
    """The reminder due for a document ``days_left`` days from its expiry: the smallest
    threshold not below it (a job that missed a day catches up with the nearer reminder,
    never with the ones already past). An expired document gets the day-0 one."""
    thresholds = sorted(settings.ALLIANCE_DOCUMENT_REMINDER_DAYS)
    due = [t for t in thresholds if t >= max(days_left, 0)]
    return due[0] if due else None


def _record(row: HeldDocument, kind: str, days: int) -> DocumentValidityNotice | None:
    """The notice, or None when it was already recorded (by this job before, or another)."""
    try:
        with transaction.atomic():
            return DocumentValidityNotice.objects.create(
                document=row.document, member=row.member, kind=kind, days=days
            )
    except IntegrityError:
        return None


def _remind_many(rows: list[tuple[HeldDocument, date]], today: date) -> int:
    """Remind a batch of members of their documents (each with its expiry) nearing their
    expiry, once per threshold: the notices and the e-mails commit together, inserted in one
    go (the job's lock keeps a second run from recording the same notice meanwhile).
    Returns how many reminders were sent."""
    due: dict[tuple[Any, int], tuple[HeldDocument, date]] = {}
    for row, expiry in rows:
        threshold = _reminder_threshold((expiry - today).days)
        if threshold is not None:  # a document two members hold: reminded once
            due.setdefault((row.document.pk, threshold), (row, expiry))
    if not due:
        return 0
    with transaction.atomic():
        seen = set(
            DocumentValidityNotice.objects.filter(
                kind=ValidityNoticeKind.REMINDER,
                document_id__in={document_id for document_id, _days in due},
            ).values_list("document_id", "days")
        )
        fresh = [(key, item) for key, item in due.items() if key not in seen]
        DocumentValidityNotice.objects.bulk_create(
            DocumentValidityNotice(
                document=row.document,
                member=row.member,
                kind=ValidityNoticeKind.REMINDER,
                days=threshold,
            )
            for (_document_id, threshold), (row, _expiry) in fresh
        )
        tell_members(
            "document_expiring",
            [
                (
                    row.member,
                    row.url,
                    row.document,
                    {
                        "name": row.document.original_name,
                        "title": row.title,
                        "expires_on": expiry.isoformat(),
                        "days": max((expiry - today).days, 0),
                    },
                )
                for _key, (row, expiry) in fresh
            ],
        )
    return len(fresh)


def _finding_cycle(member: Member) -> ReviewCycle | None:
    """Where a finding about a member's document goes: its review under way, else its latest."""
    cycles = ReviewCycle.objects.filter(member=member).select_related("licence")
    return (
        cycles.filter(status__in=OPEN_CYCLE_STATUSES).first()
        or cycles.order_by("-opened_at", "-pk").first()
    )


def _raise_finding(row: HeldDocument, expiry: date, today: date) -> bool:
    cycle = _finding_cycle(row.member)
    if cycle is None:
        # No review to attach it to yet: tried again by the next run.
        logger.info("No review cycle for member %s: finding postponed", row.member.pk)
        return False
    criterion = None
    if row.criterion_code:
        criterion = Criterion.objects.filter(
            section__version_id=cycle.licence.guidelines_id, code=row.criterion_code
        ).first()
    with transaction.atomic():
        notice = _record(row, ValidityNoticeKind.FINDING, -1)
        if notice is None:
            return False
        finding = finding_raise_by_portal(
            cycle=cycle,
            criterion=criterion,
            severity=Severity.MINOR,
            description=(
                f"“{row.title}” ({row.document.original_name}) expired on "
                f"{expiry.isoformat()} and has not been replaced."
            ),
            corrective_action="Upload a valid document.",
            due_on=today + timedelta(days=settings.ALLIANCE_EXPIRED_DOCUMENT_FINDING_DAYS),
        )
        notice.finding = finding
        notice.save(update_fields=["finding"])
    return True


def document_validity_check(
    *, today: date | None = None, batch_size: int = BATCH
) -> dict[str, Any]:
    """The daily job: remind members of current documents nearing their expiry (once per
    threshold of ``ALLIANCE_DOCUMENT_REMINDER_DAYS``) and raise a finding once a document has
    stayed expired past ``ALLIANCE_EXPIRED_DOCUMENT_GRACE_DAYS`` (once per document).

    Members are read in batches by id; each reminder and finding commits on its own with its
    record, so a run stopped half-way is finished by the next, and a second run does nothing.
    """
    today = today or timezone.localdate()
    done = {"reminders": 0, "findings": 0}
    with job_lock("document_validity_check") as mine:
        if not mine:
            return done
        horizon = today + timedelta(days=max(settings.ALLIANCE_DOCUMENT_REMINDER_DAYS))
        grace = settings.ALLIANCE_EXPIRED_DOCUMENT_GRACE_DAYS
        last_pk = 0
        while True:
            batch = list(
                Member.objects.filter(pk__gt=last_pk)
                .order_by("pk")
                .values_list("pk", flat=True)[:batch_size]
            )
            if not batch:
                return done
            last_pk = batch[-1]
            reminders: list[tuple[HeldDocument, date]] = []
            for row in held_documents(batch, expiring_only=True, expires_by=horizon):
                expiry = row.document.expires_on
                if expiry is None or row.document.review_status == "rejected":
                    continue  # a rejected one: the member was told already
                if (today - expiry).days > grace:
                    done["findings"] += _raise_finding(row, expiry, today)
                else:
                    reminders.append((row, expiry))
            done["reminders"] += _remind_many(reminders, today)
