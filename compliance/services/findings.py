"""Findings: open → action submitted → closed | escalated (staff may reopen a submitted one)."""

from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from alliance_portal.audit import audit_record, audit_record_many
from alliance_portal.documents import discard_file_on_rollback, document_store
from alliance_portal.events import EventName, event_record
from alliance_portal.locks import for_update
from alliance_portal.states import move, statuses_save
from licensing.models import Criterion
from members.models import User

from ..models import (
    FINDING_TRANSITIONS,
    Finding,
    FindingEvidence,
    FindingStatus,
    ReviewCycle,
    Severity,
)
from ..permissions import can_prepare_attestation, can_review
from .common import lock, required_text, tell_member, tell_members


def _require_reviewer(actor: User) -> None:
    if not can_review(actor):
        raise PermissionDenied(_("Only customer policy staff may manage findings."))


def _finding_path(finding: Finding) -> str:
    return reverse("compliance:finding_detail", args=[finding.pk])


def finding_raise_problems(
    cycle: ReviewCycle, criterion: Criterion | None, due_on: date | None
) -> list[str]:
    problems = []
    if due_on is not None and due_on <= timezone.localdate():
        problems.append(_("The due date must be in the future."))
    if criterion is not None and criterion.section.version_id != cycle.edition_id:
        problems.append(_("The criterion is not one of this cycle's Guidelines."))
    return problems


def finding_raise(
    *,
    actor: User,
    cycle: ReviewCycle,
    severity: str,
    description: str,
    corrective_action: str,
    due_on: date,
    criterion: Criterion | None = None,
    request: HttpRequest | None = None,
) -> Finding:
    _require_reviewer(actor)
    if severity not in Severity.values:
        raise ValidationError(_("Choose a severity."))
    description = required_text(description, _("Describe what was found."))
    corrective_action = required_text(corrective_action, _("Say what must be done."))
    problems = finding_raise_problems(cycle, criterion, due_on)
    if problems:
        raise ValidationError(problems)
    with transaction.atomic():
        finding = Finding.objects.create(
            cycle=cycle,
            criterion=criterion,
            severity=severity,
            description=description,
            corrective_action=corrective_action,
            due_on=due_on,
            raised_by=actor,
        )
        audit_record(
            actor=actor,
            action="finding.raised",
            target=finding,
            payload={"severity": severity, "due_on": due_on.isoformat()},
            request=request,
        )
        event_record(EventName.FINDING_RAISED, finding)
        tell_member(
            cycle.member,
            "finding_raised",
            _finding_path(finding),
            about=finding,
            due_on=due_on.isoformat(),
        )
    return finding


def finding_raise_by_portal(
    *,
    cycle: ReviewCycle,
    severity: str,
    description: str,
    corrective_action: str,
    due_on: date,
    criterion: Criterion | None = None,
) -> Finding:
    """The portal raises a finding itself (a document left expired past the grace period,
    by the scheduled job): no one raised it, and its audit event has no actor."""
    with transaction.atomic():
        finding = Finding.objects.create(
            cycle=cycle,
            criterion=criterion,
            severity=severity,
            description=description,
            corrective_action=corrective_action,
            due_on=due_on,
            raised_by=None,
        )
        audit_record(
            actor=None,
            action="finding.raised",
            target=finding,
            payload={"severity": severity, "due_on": due_on.isoformat(), "by_portal": True},
        )
        tell_member(
            cycle.member,
            "finding_raised",
            _finding_path(finding),
            about=finding,
            due_on=due_on.isoformat(),
        )
    return finding


def _member_may_answer(actor: User, finding: Finding) -> None:
    if not can_prepare_attestation(actor, finding.cycle.member):
        raise PermissionDenied(_("Only signatories and compliance officers answer findings."))


def finding_add_evidence(
    *,
    actor: User,
    finding: Finding,
    uploaded_file: "UploadedFile[bytes]",
    request: HttpRequest | None = None,
) -> FindingEvidence | None:
    _member_may_answer(actor, finding)
    with discard_file_on_rollback() as keep, transaction.atomic():
        locked = lock(Finding, finding.pk)
        if locked.status != FindingStatus.OPEN:
            raise ValidationError(_("Evidence can be added while the finding is open."))
        document = document_store(actor=actor, uploaded_file=uploaded_file, request=request)
        keep(document)
        if document.quarantined:
            return None
        evidence = FindingEvidence.objects.create(finding=locked, document=document)
        audit_record(
            actor=actor,
            action="finding.evidence_added",
            target=locked,
            payload={"document": str(document.pk)},
            request=request,
        )
    return evidence


def finding_submit_action(
    *, actor: User, finding: Finding, action_taken: str, request: HttpRequest | None = None
) -> Finding:
    _member_may_answer(actor, finding)
    action_taken = required_text(action_taken, _("Describe the action taken."))
    with transaction.atomic():
        locked = lock(Finding, finding.pk)
        locked.status = move(locked, FINDING_TRANSITIONS, "submit_action")
        locked.action_taken = action_taken[:5000]
        locked.action_submitted_at = timezone.now()
        locked.action_submitted_by = actor
        locked.save()
        audit_record(actor=actor, action="finding.action_submitted", target=locked, request=request)
    return locked


def _staff_step(
    actor: User, finding: Finding, action: str, note: str, request: HttpRequest | None
) -> Finding:
    _require_reviewer(actor)
    return _step(actor, finding, action, note, request)


def _step(
    actor: User | None, finding: Finding, action: str, note: str, request: HttpRequest | None
) -> Finding:
    """``actor`` is None only from :func:`finding_escalate_by_portal`."""
    with transaction.atomic():
        locked = lock(Finding, finding.pk)
        locked.status = move(locked, FINDING_TRANSITIONS, action)
        locked.resolution_note = note.strip()
        locked.resolved_at = timezone.now() if action in ("close", "escalate") else None
        locked.save()
        audit_record(
            actor=actor,
            action=f"finding.{action}",
            target=locked,
            payload={"note": locked.resolution_note},
            request=request,
        )
        cycle = ReviewCycle.objects.select_related("member").get(pk=locked.cycle_id)
        tell_member(
            cycle.member,
            "finding_updated",
            _finding_path(locked),
            about=locked,
            status=locked.status,
        )
    return locked


def finding_close(
    *, actor: User, finding: Finding, note: str = "", request: HttpRequest | None = None
) -> Finding:
    return _staff_step(actor, finding, "close", note, request)


def finding_escalate(
    *, actor: User, finding: Finding, note: str, request: HttpRequest | None = None
) -> Finding:
    required_text(note, _("Say why the finding is escalated."))
    return _staff_step(actor, finding, "escalate", note, request)


def finding_escalate_by_portal(*, finding: Finding, note: str) -> Finding:
    """The portal escalates an overdue finding itself (the scheduled job); its audit event
    has no actor."""
    return _step(None, finding, "escalate", note, None)


def findings_escalate_by_portal(*, finding_ids: list[int], note: str) -> list[Finding]:
    """:func:`finding_escalate_by_portal` for a batch of open findings, in one transaction
    (the scheduled job's batch): one that is no longer open is left out."""
    with transaction.atomic():
        findings = list(
            for_update(
                Finding.objects.filter(pk__in=finding_ids, status=FindingStatus.OPEN)
                .select_related("cycle__member", "criterion")
                .order_by("pk")
            )
        )
        now = timezone.now()
        for finding in findings:
            finding.status = move(finding, FINDING_TRANSITIONS, "escalate")
            finding.resolution_note = note.strip()
            finding.resolved_at = now
        # Each row's own status, as its transition set it; the other columns are the same.
        statuses_save(findings)
        Finding.objects.filter(pk__in=[finding.pk for finding in findings]).update(
            resolution_note=note.strip(), resolved_at=now
        )
        audit_record_many(
            actor=None,
            action="finding.escalate",
            entries=[(finding, {"note": finding.resolution_note}) for finding in findings],
        )
        tell_members(
            "finding_updated",
            [
                (finding.cycle.member, _finding_path(finding), finding, {"status": finding.status})
                for finding in findings
            ],
        )
    return findings


def finding_reopen(
    *, actor: User, finding: Finding, note: str, request: HttpRequest | None = None
) -> Finding:
    required_text(note, _("Say what is still needed."))
    return _staff_step(actor, finding, "reopen", note, request)
