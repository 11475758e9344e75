"""Forfeiture cases: opened → notice sent → response received | window closed → decided.

The decision is taken by someone with the *decide* permission who did not open the case
(four eyes, checked here and by a database constraint), and its effect on the licence is
applied through the licensing services in the same transaction.
"""

from collections.abc import Iterable
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import connection, transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from alliance_portal.audit import audit_record, audit_record_many
from alliance_portal.documents import discard_file_on_rollback, document_store
from alliance_portal.events import EventName, event_record
from alliance_portal.locks import for_update
from alliance_portal.models import OutboxMessage
from alliance_portal.states import move
from licensing import services as licensing
from licensing.models import LicenceAgreement, LicenceStatus
from members.models import User

from ..models import (
    CASE_TRANSITIONS,
    CaseResponseDocument,
    CaseStatus,
    Decision,
    Finding,
    ForfeitureCase,
    Grounds,
    ReviewCycle,
)
from ..permissions import can_decide_cases, can_manage_cases, can_prepare_attestation
from .certificates import certificates_revoke_record, certificates_revoke_rows
from .common import lock, required_text, tell_member, tell_staff


def _case_path(case: ForfeitureCase) -> str:
    return reverse("compliance:case_detail", args=[case.pk])


def _require_case_manager(actor: User) -> None:
    if not can_manage_cases(actor):
        raise PermissionDenied(_("Only customer policy staff may manage forfeiture cases."))


def case_open_problems(
    licence: LicenceAgreement, findings: Iterable[Finding], cycles: Iterable[ReviewCycle]
) -> list[str]:
    problems = []
    if licence.status not in (LicenceStatus.ACTIVE, LicenceStatus.SUSPENDED):
        problems.append(_("A case is opened on a licence in force."))
    if any(f.cycle.member_id != licence.member_id for f in findings) or any(
        c.member_id != licence.member_id for c in cycles
    ):
        problems.append(_("Linked findings and cycles must be the same member's."))
    return problems


def case_open(
    *,
    actor: User,
    licence: LicenceAgreement,
    grounds: str,
    narrative: str,
    findings: Iterable[Finding] = (),
    cycles: Iterable[ReviewCycle] = (),
    request: HttpRequest | None = None,
) -> ForfeitureCase:
    _require_case_manager(actor)
    if grounds not in Grounds.values:
        raise ValidationError(_("Choose the grounds."))
    narrative = required_text(narrative, _("Describe what happened."))
    findings, cycles = list(findings), list(cycles)
    problems = case_open_problems(licence, findings, cycles)
    if problems:
        raise ValidationError(problems)
    with transaction.atomic():
        case = ForfeitureCase.objects.create(
            licence=licence, grounds=grounds, narrative=narrative, opened_by=actor
        )
        case.findings.set(findings)
        case.cycles.set(cycles)
        audit_record(
            actor=actor,
            action="case.opened",
            target=case,
            payload={"grounds": grounds, "licence": licence.number},
            request=request,
        )
    return case


def case_open_by_portal(
    *,
    licence: LicenceAgreement,
    grounds: str,
    narrative: str,
    cycles: Iterable[ReviewCycle] = (),
) -> ForfeitureCase:
    """A case the portal opens itself (an overdue attestation); staff send the notice."""
    with transaction.atomic():
        case = ForfeitureCase.objects.create(
            licence=licence, grounds=grounds, narrative=narrative, opened_by=None
        )
        case.cycles.set(cycles)
        audit_record(actor=None, action="case.opened", target=case, payload={"grounds": grounds})
    return case


def case_send_notice(
    *, actor: User, case: ForfeitureCase, request: HttpRequest | None = None
) -> ForfeitureCase:
    """Send the notice to the member. The window to respond (setting, default 30 days) starts
    when the notice is delivered — see ``case_notice_delivered`` and ``case_confirm_notice``."""
    _require_case_manager(actor)
    with transaction.atomic():
        locked = lock(ForfeitureCase, case.pk)
        locked.status = move(locked, CASE_TRANSITIONS, "send_notice")
        locked.notice_sent_at = timezone.now()
        locked.save(update_fields=["status", "notice_sent_at"])
        audit_record(actor=actor, action="case.notice_sent", target=locked, request=request)
        member = locked.licence.member
        tell_member(
            member,
            "case_notice",
            _case_path(locked),
            about=locked,
            on_delivery="compliance.tasks.case_notice_delivered",
            grounds=locked.grounds,
            days=settings.ALLIANCE_RESPONSE_WINDOW_DAYS,
        )
    return locked


def _start_window(case: ForfeitureCase, at: datetime) -> date:
    case.notice_delivered_at = at
    case.response_due_on = timezone.localdate(at) + timedelta(
        days=settings.ALLIANCE_RESPONSE_WINDOW_DAYS
    )
    return case.response_due_on


def case_notice_delivered(*, message_id: int) -> ForfeitureCase | None:
    """The outbox delivered a notice e-mail: the first delivery starts the response window.
    Run by the portal itself (the outbox's follow-up task); a second delivery changes nothing."""
    message = OutboxMessage.objects.get(pk=message_id)
    if message.target_type != ForfeitureCase._meta.label_lower or message.delivered_at is None:
        return None
    with transaction.atomic():
        locked = lock(ForfeitureCase, int(message.target_id))
        if locked.status != CaseStatus.NOTICE_SENT or locked.notice_delivered_at is not None:
            return locked
        due = _start_window(locked, message.delivered_at)
        locked.save(update_fields=["notice_delivered_at", "response_due_on"])
        audit_record(
            actor=None,
            action="case.notice_delivered",
            target=locked,
            payload={
                "recipient": message.recipient,
                "delivered_at": message.delivered_at.isoformat(),
                "response_due_on": due.isoformat(),
            },
        )
    return locked


def cases_start_delivered_windows(*, batch_size: int = 500) -> int:
    """The sweeper: a notice the mail server accepted whose follow-up task was lost (a broker
    outage, a worker that gave up) still starts its window, as :func:`case_notice_delivered`
    would. Cases waiting for their notice are read in batches by id (a batch never rescans
    those before it); each batch's windows start in one transaction, their rows written in
    one go. Returns how many it started."""
    waiting = ForfeitureCase.objects.filter(
        status=CaseStatus.NOTICE_SENT, notice_delivered_at__isnull=True
    ).order_by("pk")
    started = 0
    last_pk = 0
    while batch := list(waiting.filter(pk__gt=last_pk).values_list("pk", flat=True)[:batch_size]):
        last_pk = batch[-1]
        with transaction.atomic():
            cases = list(for_update(waiting.filter(pk__in=batch).select_related("licence__member")))
            first: dict[str, OutboxMessage] = {}
            for delivery in OutboxMessage.objects.filter(
                target_type=ForfeitureCase._meta.label_lower,
                target_id__in=[str(case.pk) for case in cases],
                template="case_notice",
                status=OutboxMessage.Status.DELIVERED,
                delivered_at__isnull=False,
            ).order_by("delivered_at", "pk"):
                first.setdefault(delivery.target_id, delivery)  # later deliveries: no-ops
            entries = []
            for case in cases:
                message = first.get(str(case.pk))
                if message is None or message.delivered_at is None:
                    continue
                due = _start_window(case, message.delivered_at)
                entries.append(
                    (
                        case,
                        {
                            "recipient": message.recipient,
                            "delivered_at": message.delivered_at.isoformat(),
                            "response_due_on": due.isoformat(),
                        },
                    )
                )
            _windows_save([case for case, _payload in entries])
            audit_record_many(actor=None, action="case.notice_delivered", entries=entries)
            started += len(entries)
    return started


def _windows_save(cases: list[ForfeitureCase]) -> None:
    """Write each locked case's delivery time and response date in one statement. On
    PostgreSQL the values go in as arrays (``bulk_update``'s CASE per row cost more than
    the rest of the batch)."""
    if not cases:
        return
    if connection.vendor != "postgresql":
        ForfeitureCase.objects.bulk_update(cases, ["notice_delivered_at", "response_due_on"])
        return
    table = connection.ops.quote_name(ForfeitureCase._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} AS t "  # noqa: S608
            "SET notice_delivered_at = v.delivered_at, response_due_on = v.due_on "
            "FROM unnest(%s::bigint[], %s::timestamptz[], %s::date[]) "
            "AS v(id, delivered_at, due_on) WHERE t.id = v.id",
            [
                [case.pk for case in cases],
                [case.notice_delivered_at for case in cases],
                [case.response_due_on for case in cases],
            ],
        )


def case_confirm_notice(
    *, actor: User, case: ForfeitureCase, note: str, request: HttpRequest | None = None
) -> ForfeitureCase:
    """Staff confirm that a notice the e-mail could not deliver reached the member another
    way (courier, a call to the signatory): the window starts now."""
    _require_case_manager(actor)
    note = required_text(note, _("Say how the notice reached the member."))
    with transaction.atomic():
        locked = lock(ForfeitureCase, case.pk)
        if locked.status != CaseStatus.NOTICE_SENT or locked.notice_delivered_at is not None:
            raise ValidationError(
                _("The notice has already been delivered; its window is running."),
                code="already_delivered",
            )
        due = _start_window(locked, timezone.now())
        locked.notice_delivery_note = note[:2000]
        locked.save(
            update_fields=["notice_delivered_at", "response_due_on", "notice_delivery_note"]
        )
        audit_record(
            actor=actor,
            action="case.notice_confirmed",
            target=locked,
            payload={"note": note, "response_due_on": due.isoformat()},
            request=request,
        )
    return locked


def _member_may_respond(actor: User, case: ForfeitureCase) -> None:
    if not can_prepare_attestation(actor, case.licence.member):
        raise PermissionDenied(_("Only signatories and compliance officers respond to a notice."))


def _within_window(case: ForfeitureCase) -> None:
    if case.status != CaseStatus.NOTICE_SENT:
        raise ValidationError(_("The case is not waiting for a response."), code="not_waiting")
    if case.response_due_on is not None and timezone.localdate() > case.response_due_on:
        raise ValidationError(_("The response window has closed."), code="window_closed")


def case_add_response_document(
    *,
    actor: User,
    case: ForfeitureCase,
    uploaded_file: "UploadedFile[bytes]",
    request: HttpRequest | None = None,
) -> CaseResponseDocument | None:
    _member_may_respond(actor, case)
    with discard_file_on_rollback() as keep, transaction.atomic():
        locked = lock(ForfeitureCase, case.pk)
        _within_window(locked)
        document = document_store(actor=actor, uploaded_file=uploaded_file, request=request)
        keep(document)
        if document.quarantined:
            return None
        attached = CaseResponseDocument.objects.create(case=locked, document=document)
        audit_record(
            actor=actor,
            action="case.document_added",
            target=locked,
            payload={"document": str(document.pk)},
            request=request,
        )
    return attached


def case_respond(
    *, actor: User, case: ForfeitureCase, response: str, request: HttpRequest | None = None
) -> ForfeitureCase:
    _member_may_respond(actor, case)
    response = required_text(response, _("Write the company's response."))
    with transaction.atomic():
        locked = lock(ForfeitureCase, case.pk)
        _within_window(locked)
        locked.status = move(locked, CASE_TRANSITIONS, "respond")
        locked.response = response[:20000]
        locked.responded_at = timezone.now()
        locked.responded_by = actor
        locked.save()
        audit_record(actor=actor, action="case.responded", target=locked, request=request)
        tell_staff(
            "case_responded",
            "admin:compliance_forfeiturecase_change",
            locked.pk,
            about=locked,
            member_id=locked.licence.member_id,
            company=locked.licence.member.legal_name,
        )
    return locked


def case_close_window(
    *, actor: User, case: ForfeitureCase, request: HttpRequest | None = None
) -> ForfeitureCase:
    """The member did not respond in time: the case may now be decided."""
    _require_case_manager(actor)
    with transaction.atomic():
        locked = lock(ForfeitureCase, case.pk)
        if locked.response_due_on is None:
            raise ValidationError(
                _(
                    "The response window has not started: the notice has not been delivered. "
                    "Confirm how it reached the member first."
                ),
                code="notice_undelivered",
            )
        if timezone.localdate() <= locked.response_due_on:
            raise ValidationError(
                _("The response window is open until %(date)s.")
                % {"date": locked.response_due_on.isoformat()},
                code="window_open",
            )
        locked.status = move(locked, CASE_TRANSITIONS, "close_window")
        locked.save(update_fields=["status"])
        audit_record(actor=actor, action="case.window_closed", target=locked, request=request)
    return locked


def case_decide(
    *,
    actor: User,
    case: ForfeitureCase,
    decision: str,
    reasons: str,
    suspended_until: date | None = None,
    request: HttpRequest | None = None,
) -> ForfeitureCase:
    """Decide, and apply the effect on the licence in the same transaction.

    Refused unless the actor may decide cases and did not open this one. If applying the
    effect fails, nothing of the decision remains.
    """
    if not can_decide_cases(actor):
        raise PermissionDenied(_("Only decision makers may decide forfeiture cases."))
    if decision not in Decision.values:
        raise ValidationError(_("Choose a decision."))
    reasons = required_text(reasons, _("Give the reasons for the decision."))
    with transaction.atomic():
        locked = for_update(ForfeitureCase.objects.select_related("licence__member")).get(
            pk=case.pk
        )
        if locked.opened_by_id == actor.pk:
            raise PermissionDenied(
                _("A case is decided by someone other than the person who opened it.")
            )
        locked.status = move(locked, CASE_TRANSITIONS, "decide")
        locked.decision = decision
        locked.decision_reasons = reasons
        locked.suspended_until = suspended_until if decision == Decision.SUSPENSION else None
        locked.decided_by = actor
        locked.decided_at = timezone.now()
        locked.save()
        licence = locked.licence
        if decision in (Decision.SUSPENSION, Decision.FORFEITURE):
            # Every lock and write before any event (the lock order, docs/architecture.md):
            # the revocation locks the licence, then its certificates, and writes; the licence
            # service writes and records its event; the revocations' events follow, and the
            # case's comes last.
            revoke_reason = f"{Decision(decision).label}: {reasons}"
            revoked = certificates_revoke_rows(licence=licence, reason=revoke_reason)
            if decision == Decision.SUSPENSION:
                licensing.licence_suspend(
                    actor=actor,
                    licence=licence,
                    reason=reasons,
                    until=suspended_until,
                    request=request,
                )
            else:
                licensing.licence_forfeit(
                    actor=actor, licence=licence, reason=reasons, request=request
                )
            certificates_revoke_record(revoked, actor=actor, reason=revoke_reason, request=request)
        audit_record(
            actor=actor,
            action="case.decided",
            target=locked,
            payload={"decision": decision, "reasons": reasons},
            request=request,
        )
        event_record(EventName.CASE_DECIDED, locked)
        tell_member(
            licence.member,
            "case_decided",
            _case_path(locked),
            about=locked,
            decision=decision,
            reasons=reasons,
        )
    return locked


def case_reinstate(
    *, actor: User, case: ForfeitureCase, reason: str, request: HttpRequest | None = None
) -> ForfeitureCase:
    """End a suspension decided in this case: the member has remedied the failure."""
    if not can_decide_cases(actor):
        raise PermissionDenied(_("Only decision makers may reinstate a licence."))
    reason = required_text(reason, _("Say how the failure was remedied."))
    with transaction.atomic():
        locked = for_update(ForfeitureCase.objects.select_related("licence")).get(pk=case.pk)
        if locked.decision != Decision.SUSPENSION or locked.reinstated_at is not None:
            raise ValidationError(_("Only a suspension not yet ended can be lifted."))
        if locked.opened_by_id == actor.pk:
            raise PermissionDenied(
                _("A case is decided by someone other than the person who opened it.")
            )
        locked.reinstated_at = timezone.now()
        locked.save(update_fields=["reinstated_at"])
        # Locks the licence and records its event: the case's own event comes last.
        licensing.licence_reinstate(
            actor=actor, licence=locked.licence, reason=reason, request=request
        )
        audit_record(
            actor=actor,
            action="case.reinstated",
            target=locked,
            payload={"reason": reason},
            request=request,
        )
    return locked
