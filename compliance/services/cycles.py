"""Review cycles: open → submitted → in review → accepted | changes requested (→ submitted
again) | rejected. Members answer while a cycle is open or changes were requested; after a
submission the answers are frozen, and every round is kept as a Submission."""

import json
from datetime import date, datetime
from typing import Any

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import connection, transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from alliance_portal.audit import audit_record, audit_record_many, client_ip
from alliance_portal.cache_versions import rows_written_announce
from alliance_portal.documents import discard_file_on_rollback, document_store
from alliance_portal.documents.validity import validity_dates_check
from alliance_portal.events import EventName, event_record
from alliance_portal.locks import for_update
from alliance_portal.models import AuditEvent, Document
from alliance_portal.states import move
from licensing.agreement import sha256_text
from licensing.models import Criterion, LicenceAgreement, LicenceStatus
from licensing.selectors import edition_for_new_cycle, latest_published_guidelines
from members.models import Member, Membership, User

from ..models import (
    CYCLE_TRANSITIONS,
    OPEN_CYCLE_STATUSES,
    Answer,
    AnswerChoice,
    AnswerEvidence,
    CycleKind,
    CycleStatus,
    Grade,
    ReviewCycle,
    ReviewNote,
    Submission,
    answer_gaps,
)
from ..permissions import can_prepare_attestation, can_review, can_submit_attestation
from ..selectors import cycle_awaits_acknowledgement, evidence_library_of
from .carry_forward import Carried, carried_payload, cycle_prefill_from_mapping
from .certificates import certificate_pending_create, certificate_pending_record
from .common import lock, required_text, tell_member, tell_members, tell_staff


def _require_reviewer(actor: User) -> None:
    if not can_review(actor):
        raise PermissionDenied(_("Only customer policy staff may review attestations."))


def _cycle_path(cycle: ReviewCycle) -> str:
    return reverse("compliance:cycle_detail", args=[cycle.pk])


def cycle_open_problems(member: Member, due_on: date | None) -> list[str]:
    """Why a cycle cannot be opened for this member now (empty when it can)."""
    problems = []
    if not member.licences.filter(
        status__in=[LicenceStatus.ACTIVE, LicenceStatus.SUSPENDED]
    ).exists():
        problems.append(_("The member has no licence in force to review."))
    if member.review_cycles.filter(status__in=OPEN_CYCLE_STATUSES).exists():
        problems.append(_("The member already has a review cycle under way."))
    if due_on is not None and due_on <= timezone.localdate():
        problems.append(_("The due date must be in the future."))
    return problems


def cycle_open(
    *,
    actor: User,
    member: Member,
    kind: str,
    due_on: date | None = None,
    request: HttpRequest | None = None,
) -> ReviewCycle:
    """Staff open a cycle (ad hoc, say) on the member's licence in force, with an empty
    answer per criterion."""
    _require_reviewer(actor)
    return _open(actor=actor, member=member, kind=kind, due_on=due_on, request=request)


def cycle_open_by_portal(*, member: Member, kind: str, due_on: date | None = None) -> ReviewCycle:
    """The portal opens a member's periodic (or first) review itself: the scheduled job. Its
    audit event has no actor."""
    return _open(actor=None, member=member, kind=kind, due_on=due_on, request=None)


def _open(
    *,
    actor: User | None,
    member: Member,
    kind: str,
    due_on: date | None,
    request: HttpRequest | None,
) -> ReviewCycle:
    """``actor`` is None only from :func:`cycle_open_by_portal`."""
    if kind not in CycleKind.values:
        raise ValidationError(_("Choose the kind of review."))
    with transaction.atomic():
        locked = lock(Member, member.pk)
        due = due_on or timezone.localdate() + relativedelta(
            days=settings.ALLIANCE_CYCLE_ANSWER_DAYS
        )
        problems = cycle_open_problems(locked, due)
        if problems:
            raise ValidationError(problems)
        licence = locked.licences.select_related("guidelines").get(
            status__in=[LicenceStatus.ACTIVE, LicenceStatus.SUSPENDED]
        )
        edition = edition_for_new_cycle(licence)
        cycle = ReviewCycle.objects.create(
            member=locked,
            licence=licence,
            guidelines=edition,
            kind=kind,
            due_on=due,
            opened_by=actor,
        )
        criteria = Criterion.objects.filter(section__version=edition)
        Answer.objects.bulk_create(Answer(cycle=cycle, criterion=c) for c in criteria)
        carried = cycle_prefill_from_mapping(cycle=cycle)
        audit_record(
            actor=actor,
            action="cycle.opened",
            target=cycle,
            payload={
                "kind": kind,
                "due_on": due.isoformat(),
                "edition": edition.edition,
                **({"carried_forward": carried_payload(carried)} if carried else {}),
            },
            request=request,
        )
        tell_member(locked, "cycle_opened", _cycle_path(cycle), about=cycle, due_on=due.isoformat())
    return cycle


def cycles_open_by_portal(*, openings: list[tuple[Member, str, date]]) -> list[ReviewCycle]:
    """:func:`cycle_open_by_portal` for a batch of members — each ``(member, kind, due on)``
    — in one transaction: the scheduled job's batch. The members are locked in id order; one
    whose cycle can no longer be opened (one opened meanwhile, no licence in force) is left
    out. The cycles, answers, audit events and e-mails are each inserted in one go, as
    :func:`cycle_open_by_portal` would write them one by one."""
    wanted = {member.pk: (member, kind, due_on) for member, kind, due_on in openings}
    if any(kind not in CycleKind.values for _member, kind, _due in wanted.values()):
        raise ValidationError(_("Choose the kind of review."))
    today = timezone.localdate()
    with transaction.atomic():
        locked = for_update(Member.objects.filter(pk__in=wanted).order_by("pk"))
        members = [wanted[pk][0] for pk in locked.values_list("pk", flat=True)]
        busy = set(
            ReviewCycle.objects.filter(
                member_id__in=wanted, status__in=OPEN_CYCLE_STATUSES
            ).values_list("member_id", flat=True)
        )
        in_force: dict[int, list[LicenceAgreement]] = {}
        for licence in LicenceAgreement.objects.filter(
            member_id__in=wanted, status__in=[LicenceStatus.ACTIVE, LicenceStatus.SUSPENDED]
        ).select_related("guidelines"):
            in_force.setdefault(licence.member_id, []).append(licence)
        latest = latest_published_guidelines()
        cycles = []
        for member in members:
            _member, kind, due = wanted[member.pk]
            licences = in_force.get(member.pk, [])
            if member.pk in busy or len(licences) != 1 or due <= today:
                continue
            cycles.append(
                ReviewCycle(
                    member=member,
                    licence=licences[0],
                    guidelines=edition_for_new_cycle(licences[0], latest),
                    kind=kind,
                    due_on=due,
                    opened_by=None,
                )
            )
        ReviewCycle.objects.bulk_create(cycles)
        rows_written_announce(ReviewCycle, cycles)
        _answers_create_empty(cycles)
        carried = _prefill_new_editions(cycles)
        audit_record_many(
            actor=None,
            action="cycle.opened",
            entries=[
                (
                    cycle,
                    {
                        "kind": cycle.kind,
                        "due_on": cycle.due_on.isoformat(),
                        "edition": cycle.edition.edition,
                        **(
                            {"carried_forward": carried_payload(carried[cycle.pk])}
                            if carried.get(cycle.pk)
                            else {}
                        ),
                    },
                )
                for cycle in cycles
            ],
        )
        tell_members(
            "cycle_opened",
            [
                (cycle.member, _cycle_path(cycle), cycle, {"due_on": cycle.due_on.isoformat()})
                for cycle in cycles
            ],
        )
    return cycles


def _answers_create_empty(cycles: list[ReviewCycle]) -> None:
    """An empty answer per criterion of each cycle's edition. On PostgreSQL the pairs go in
    as two arrays in one statement: building a dozen model objects per cycle for
    ``bulk_create`` was most of the job's time."""
    criteria: dict[int, list[int]] = {}
    for edition_id in {cycle.edition_id for cycle in cycles}:
        criteria[edition_id] = list(
            Criterion.objects.filter(section__version_id=edition_id).values_list("pk", flat=True)
        )
    pairs = [(cycle.pk, pk) for cycle in cycles for pk in criteria[cycle.edition_id]]
    if connection.vendor != "postgresql":
        Answer.objects.bulk_create(
            (Answer(cycle_id=cycle_id, criterion_id=pk) for cycle_id, pk in pairs),
            batch_size=2000,
        )
        return
    table = connection.ops.quote_name(Answer._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} "  # noqa: S608
            "(cycle_id, criterion_id, answer, explanation, reviewer_note, updated_at) "
            "SELECT v.cycle_id, v.criterion_id, '', '', '', %s "
            "FROM unnest(%s::bigint[], %s::bigint[]) AS v(cycle_id, criterion_id)",
            [timezone.now(), [pair[0] for pair in pairs], [pair[1] for pair in pairs]],
        )


def _prefill_new_editions(cycles: list[ReviewCycle]) -> dict[int, list[Carried]]:
    """Carry forward the answers of the cycles that are their member's first under a new
    edition (the last accepted one attested to another); the others have nothing to carry,
    which one query tells."""
    last: dict[int, tuple[Any, int, int]] = {}
    accepted = ReviewCycle.objects.filter(
        member_id__in=[cycle.member_id for cycle in cycles], status=CycleStatus.ACCEPTED
    ).values_list("member_id", "decided_at", "pk", "guidelines_id", "licence__guidelines_id")
    for member_id, decided_at, pk, guidelines_id, licence_edition_id in accepted:
        edition_id = guidelines_id or licence_edition_id
        if member_id not in last or (decided_at, pk) > last[member_id][:2]:
            last[member_id] = (decided_at, pk, edition_id)
    return {
        cycle.pk: cycle_prefill_from_mapping(cycle=cycle)
        for cycle in cycles
        if cycle.member_id in last and last[cycle.member_id][2] != cycle.edition_id
    }


def _answerable(actor: User, cycle: ReviewCycle) -> ReviewCycle:
    locked = lock(ReviewCycle, cycle.pk)
    if not can_prepare_attestation(actor, cycle.member):
        raise PermissionDenied(_("Only signatories and compliance officers answer attestations."))
    if not locked.is_answerable:
        raise ValidationError(
            _("The answers can no longer be changed: the attestation is “%(status)s”.")
            % {"status": locked.get_status_display()},
            code="frozen",
        )
    _require_acknowledged(locked)
    return locked


def _require_acknowledged(cycle: ReviewCycle) -> None:
    if cycle_awaits_acknowledgement(cycle):
        raise ValidationError(
            _(
                "The attestation follows the %(edition)s of the Guidelines: a signatory of the "
                "company must acknowledge it first."
            )
            % {"edition": cycle.edition.edition_name},
            code="acknowledgement",
        )


def _no_longer_carried(row: Answer) -> None:
    """The member changed a kept answer or its evidence: it is theirs again."""
    if row.carried_from_id is not None:
        Answer.objects.filter(pk=row.pk).update(carried_from=None)
        row.carried_from = None


def answer_save(
    *,
    actor: User,
    cycle: ReviewCycle,
    criterion: Criterion,
    answer: str,
    explanation: str,
    request: HttpRequest | None = None,
) -> Answer:
    """Save one answer as the member works (the page saves as you go)."""
    if answer and answer not in AnswerChoice.values:
        raise ValidationError(_("Choose one of the answers."))
    with transaction.atomic():
        _answerable(actor, cycle)
        row = for_update(Answer.objects.all()).get(cycle=cycle, criterion=criterion)
        if (row.answer, row.explanation) != (answer, explanation[:5000]):
            row.carried_from = None
        row.answer = answer
        row.explanation = explanation[:5000]  # kept as typed: the page saves while you type
        row.updated_at = timezone.now()
        row.updated_by = actor
        row.save(
            update_fields=["answer", "explanation", "carried_from", "updated_at", "updated_by"]
        )
        audit_record(
            actor=actor,
            action="cycle.answer_saved",
            target=cycle,
            payload={"criterion": criterion.code, "answer": answer},
            request=request,
        )
    return row


def evidence_add(
    *,
    actor: User,
    cycle: ReviewCycle,
    criterion: Criterion,
    uploaded_file: "UploadedFile[bytes]",
    issued_on: date | None = None,
    expires_on: date | None = None,
    request: HttpRequest | None = None,
) -> AnswerEvidence | None:
    """Add a document to an answer; None when the file was quarantined. Its dates are
    checked against the criterion's evidence validity."""
    issued_on, expires_on = validity_dates_check(
        issued_on=issued_on,
        expires_on=expires_on,
        expires=criterion.evidence_expires,
        validity_months=criterion.evidence_validity_months,
        required=False,
    )
    with discard_file_on_rollback() as keep, transaction.atomic():
        _answerable(actor, cycle)
        row = Answer.objects.get(cycle=cycle, criterion=criterion)
        document = document_store(
            actor=actor,
            uploaded_file=uploaded_file,
            request=request,
            issued_on=issued_on,
            expires_on=expires_on,
        )
        keep(document)
        if document.quarantined:
            return None
        evidence = AnswerEvidence.objects.create(answer=row, document=document)
        _no_longer_carried(row)
        audit_record(
            actor=actor,
            action="cycle.evidence_added",
            target=cycle,
            payload={"criterion": criterion.code, "document": str(document.pk)},
            request=request,
        )
    return evidence


def evidence_remove(
    *, actor: User, evidence: AnswerEvidence, request: HttpRequest | None = None
) -> None:
    with transaction.atomic():
        cycle = _answerable(actor, evidence.answer.cycle)
        criterion = evidence.answer.criterion.code
        evidence.delete()
        _no_longer_carried(evidence.answer)
        audit_record(
            actor=actor,
            action="cycle.evidence_removed",
            target=cycle,
            # The criterion lets the removal be undone (evidence_restore).
            payload={"criterion": criterion, "document": str(evidence.document_id)},
            request=request,
        )


def evidence_attach(
    *,
    actor: User,
    cycle: ReviewCycle,
    criterion: Criterion,
    document: Document,
    request: HttpRequest | None = None,
) -> AnswerEvidence:
    """Attach a document from the member's evidence library to another answer: uploaded
    once, it may evidence several criteria. Only the member's own documents qualify."""
    with transaction.atomic():
        _answerable(actor, cycle)
        row = Answer.objects.get(cycle=cycle, criterion=criterion)
        if not evidence_library_of(cycle.member).filter(pk=document.pk).exists():
            raise ValidationError(
                _("Only a document from the company's evidence library can be attached."),
                code="not_in_library",
            )
        if AnswerEvidence.objects.filter(answer=row, document=document).exists():
            raise ValidationError(
                _("This document is already attached to %(code)s.") % {"code": criterion.code},
                code="attached",
            )
        evidence = AnswerEvidence.objects.create(answer=row, document=document)
        _no_longer_carried(row)
        audit_record(
            actor=actor,
            action="cycle.evidence_attached",
            target=cycle,
            payload={"criterion": criterion.code, "document": str(document.pk)},
            request=request,
        )
    return evidence


def evidence_restore(
    *, actor: User, cycle: ReviewCycle, document_id: str, request: HttpRequest | None = None
) -> AnswerEvidence:
    """Undo a removal: the document goes back to the answer it was removed from. Only a
    document this cycle's audit log shows removed qualifies, so no other stored file can be
    attached (and so become downloadable) this way."""
    with transaction.atomic():
        locked = _answerable(actor, cycle)
        removal = (
            AuditEvent.objects.filter(
                action="cycle.evidence_removed",
                target_type=ReviewCycle._meta.label_lower,
                target_id=str(locked.pk),
                payload__document=str(document_id),
            )
            .order_by("-id")
            .first()
        )
        if removal is None or "criterion" not in removal.payload:
            raise ValidationError(_("This file cannot be put back."), code="not_removed")
        row = Answer.objects.get(cycle=locked, criterion__code=removal.payload["criterion"])
        if AnswerEvidence.objects.filter(answer=row, document_id=document_id).exists():
            raise ValidationError(_("This file is already attached."), code="attached")
        evidence = AnswerEvidence.objects.create(answer=row, document_id=document_id)
        _no_longer_carried(row)
        audit_record(
            actor=actor,
            action="cycle.evidence_restored",
            target=locked,
            payload={"criterion": removal.payload["criterion"], "document": str(document_id)},
            request=request,
        )
    return evidence


def declaration_text(cycle: ReviewCycle, name: str, title: str) -> str:
    """The declaration as signed: it names the signatory and their title."""
    return _(
        "I, %(name)s, %(title)s of %(company)s, declare that the answers and evidence in this "
        "attestation to the ALROSA ALLIANCE Guidelines are true and complete to the best of my "
        "knowledge, and that the company will tell ALROSA of any change that affects them."
    ) % {"name": name, "title": title, "company": cycle.member.legal_name}


def signatory_title(user: User, member: Member) -> str:
    """What the declaration calls the signatory when they give no title: their role."""
    membership = Membership.objects.filter(user=user, member=member).first()
    if membership is None:
        return _("a signatory")
    return str(membership.get_role_display()).lower()


def _answers_snapshot(cycle: ReviewCycle) -> list[dict[str, Any]]:
    answers = (
        Answer.objects.filter(cycle=cycle)
        .select_related("criterion")
        .prefetch_related("evidence__document")
    )
    return [
        {
            "criterion": a.criterion.code,
            "answer": a.answer,
            "explanation": a.explanation,
            "evidence": [
                {"document": str(e.document_id), "sha256": e.document.sha256}
                for e in a.evidence.all()
            ],
        }
        for a in answers
    ]


def cycle_submit(
    *,
    actor: User,
    cycle: ReviewCycle,
    typed_name: str,
    declared: bool,
    title: str = "",
    authenticated_at: datetime | None = None,
    request: HttpRequest | None = None,
) -> Submission:
    """A signatory submits with a declaration recorded like a signature; answers freeze.
    ``title``: the signatory's position, named in the declaration (their role when empty).
    ``authenticated_at``: when they last proved who they are (the view requires it recent)."""
    typed_name = required_text(typed_name, _("Type your full name."))
    title = title.strip()[:200] or signatory_title(actor, cycle.member)
    if not declared:
        raise ValidationError(_("Confirm the declaration to submit."), code="declaration")
    with transaction.atomic():
        locked = lock(ReviewCycle, cycle.pk)
        if not can_submit_attestation(actor, cycle.member):
            raise PermissionDenied(_("Only a signatory of the company may submit the attestation."))
        locked.status = move(locked, CYCLE_TRANSITIONS, "submit")
        _require_acknowledged(locked)
        answers = (
            Answer.objects.filter(cycle=locked)
            .select_related("criterion")
            .prefetch_related("evidence")
        )
        missing = [
            _("%(code)s needs %(what)s.") % {"code": a.criterion.code, "what": ", ".join(gaps)}
            for a in answers
            if (gaps := answer_gaps(a))
        ]
        if missing:
            raise ValidationError(missing, code="incomplete")
        snapshot = _answers_snapshot(locked)
        statement = declaration_text(locked, typed_name, title)
        submission = Submission.objects.create(
            cycle=locked,
            round=locked.round,
            signatory=actor,
            typed_name=typed_name[:200],
            statement=statement,
            statement_sha256=sha256_text(statement),
            answers=snapshot,
            answers_sha256=sha256_text(json.dumps(snapshot, sort_keys=True, ensure_ascii=False)),
            submitted_at=timezone.now(),
            authenticated_at=authenticated_at,
            ip=client_ip(request),
            user_agent=(request.headers.get("User-Agent", "") if request else "")[:500],
        )
        locked.save(update_fields=["status"])
        audit_record(
            actor=actor,
            action="cycle.submitted",
            target=locked,
            payload={
                "round": locked.round,
                "answers_sha256": submission.answers_sha256,
                "authenticated_at": authenticated_at.isoformat() if authenticated_at else None,
            },
            request=request,
        )
        event_record(EventName.CYCLE_SUBMITTED, locked)
        tell_staff(
            "cycle_submitted",
            "admin:compliance_reviewcycle_change",
            locked.pk,
            about=locked,
            member_id=locked.member_id,
            company=locked.member.legal_name,
        )
    return submission


def cycle_start_review(
    *, actor: User, cycle: ReviewCycle, request: HttpRequest | None = None
) -> ReviewCycle:
    _require_reviewer(actor)
    with transaction.atomic():
        locked = lock(ReviewCycle, cycle.pk)
        locked.status = move(locked, CYCLE_TRANSITIONS, "start_review")
        locked.save(update_fields=["status"])
        audit_record(actor=actor, action="cycle.review_started", target=locked, request=request)
    return locked


def _close_round(locked: ReviewCycle, result: str, note: str) -> None:
    Submission.objects.filter(cycle=locked, round=locked.round).update(
        review_result=result, review_note=note, reviewed_at=timezone.now()
    )


def _decide(
    *,
    actor: User,
    cycle: ReviewCycle,
    action: str,
    grade: str,
    note: str,
    request: HttpRequest | None,
) -> ReviewCycle:
    _require_reviewer(actor)
    if grade not in Grade.values:
        raise ValidationError(_("Grade the outcome."), code="grade")
    with transaction.atomic():
        locked = lock(ReviewCycle, cycle.pk)
        locked.status = move(locked, CYCLE_TRANSITIONS, action)
        locked.outcome = grade
        locked.decision_note = note.strip()
        locked.decided_at = timezone.now()
        locked.decided_by = actor
        locked.save()
        _close_round(locked, action, locked.decision_note)
        # The certificate's rows (and its licence's lock) before any event: events come last.
        certificate = certificate_pending_create(cycle=locked) if action == "accept" else None
        audit_record(
            actor=actor,
            action={"accept": "cycle.accepted", "reject": "cycle.rejected"}[action],
            target=locked,
            payload={"outcome": grade, "note": locked.decision_note},
            request=request,
        )
        if certificate is not None:
            certificate_pending_record(certificate=certificate, actor=actor, request=request)
        event_record(EventName.CYCLE_DECIDED, locked)
        tell_member(
            locked.member,
            "cycle_decided",
            _cycle_path(locked),
            about=locked,
            status=locked.status,
            outcome=grade,
        )
    return locked


def cycle_accept(
    *,
    actor: User,
    cycle: ReviewCycle,
    grade: str,
    note: str = "",
    request: HttpRequest | None = None,
) -> ReviewCycle:
    return _decide(
        actor=actor, cycle=cycle, action="accept", grade=grade, note=note, request=request
    )


def cycle_reject(
    *, actor: User, cycle: ReviewCycle, grade: str, note: str, request: HttpRequest | None = None
) -> ReviewCycle:
    required_text(note, _("Say why the attestation is rejected."))
    return _decide(
        actor=actor, cycle=cycle, action="reject", grade=grade, note=note, request=request
    )


def cycle_request_changes(
    *, actor: User, cycle: ReviewCycle, note: str, request: HttpRequest | None = None
) -> ReviewCycle:
    """Send the attestation back: the member edits and resubmits as the next round."""
    _require_reviewer(actor)
    note = required_text(note, _("Say what must change."))
    with transaction.atomic():
        locked = lock(ReviewCycle, cycle.pk)
        locked.status = move(locked, CYCLE_TRANSITIONS, "request_changes")
        _close_round(locked, "request_changes", note)
        locked.round += 1
        locked.decision_note = note
        locked.save(update_fields=["status", "round", "decision_note"])
        audit_record(
            actor=actor,
            action="cycle.changes_requested",
            target=locked,
            payload={"note": note, "next_round": locked.round},
            request=request,
        )
        tell_member(
            locked.member, "cycle_changes_requested", _cycle_path(locked), about=locked, note=note
        )
    return locked


def answer_note(
    *, actor: User, answer: Answer, note: str, request: HttpRequest | None = None
) -> Answer:
    """The reviewer's note on one criterion. The answer keeps the latest (the member reads
    it); every note written is kept as a ReviewNote of the cycle's round, so a later round's
    note does not erase an earlier one."""
    _require_reviewer(actor)
    with transaction.atomic():
        row = lock(Answer, answer.pk)
        if row.reviewer_note == note.strip():
            return row
        cycle = ReviewCycle.objects.get(pk=row.cycle_id)
        row.reviewer_note = note.strip()
        row.save(update_fields=["reviewer_note"])
        ReviewNote.objects.create(
            answer=row, round=cycle.round, author=actor, text=row.reviewer_note
        )
        audit_record(
            actor=actor,
            action="cycle.reviewer_note",
            target=cycle,
            payload={
                "criterion_id": row.criterion_id,
                "round": cycle.round,
                "note": row.reviewer_note,
            },
            request=request,
        )
    return row
