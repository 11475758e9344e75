"""Triage of hits: new → under review → false positive | confirmed.

A false positive needs a reason and holds until the person or the list entry changes. A
confirmation is proposed by one person and confirmed by a second one with the decision-maker
permission (four eyes, also a database constraint); it then blocks the application, or opens
a forfeiture case on the grounds "legal or sanctions" against the member's licence in force.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from alliance_portal.audit import audit_record
from alliance_portal.locks import lock
from alliance_portal.states import move
from compliance.models import Grounds
from compliance.permissions import can_manage_cases
from compliance.services.cases import case_open, case_open_by_portal
from licensing.models import LicenceAgreement, LicenceStatus
from members.models import Application, User
from members.services import application_screening_hold

from ..models import HIT_TRANSITIONS, OPEN_HIT_STATUSES, Hit, HitStatus
from ..permissions import can_confirm_hits, can_triage_hits


def _require_triage(actor: User) -> None:
    if not can_triage_hits(actor):
        raise PermissionDenied(_("Only customer policy staff may triage screening hits."))


def _required(value: str, message: str) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationError(message, code="required")
    return value


def confirm_refusal(actor: User, hit: Hit) -> str | None:
    """Why `actor` may not confirm `hit` now, or None."""
    if not can_confirm_hits(actor):
        return _("Only decision makers may confirm a screening match.")
    if hit.proposed_by_id is None:
        return _("A confirmation must first be proposed by the person reviewing the hit.")
    if hit.proposed_by_id == actor.pk:
        return _("A match is confirmed by someone other than the person who proposed it.")
    return None


def hit_start_review(*, actor: User, hit: Hit, request: HttpRequest | None = None) -> Hit:
    _require_triage(actor)
    with transaction.atomic():
        locked = lock(Hit, hit.pk)
        locked.status = move(locked, HIT_TRANSITIONS, "start_review")
        locked.review_started_at = timezone.now()
        locked.review_started_by = actor
        locked.save(update_fields=["status", "review_started_at", "review_started_by"])
        audit_record(
            actor=actor, action="screening.hit_review_started", target=locked, request=request
        )
    return locked


def _release_application(actor: User, application_id: int) -> None:
    """Lift the application's hold once none of its hits is open or confirmed."""
    blocking = Hit.objects.filter(
        subject__application_id=application_id,
        status__in=[*OPEN_HIT_STATUSES, HitStatus.CONFIRMED],
    ).exists()
    if not blocking:
        application_screening_hold(
            actor=actor,
            application=Application(pk=application_id),
            held=False,
            reason="screening matches resolved",
        )


def hit_mark_false_positive(
    *, actor: User, hit: Hit, reason: str, request: HttpRequest | None = None
) -> Hit:
    _require_triage(actor)
    reason = _required(reason, _("Say why this is not the listed person or company."))
    with transaction.atomic():
        locked = lock(Hit, hit.pk)
        application_id = locked.subject.application_id
        if application_id is not None:
            # Locked before any event (docs/architecture.md, "Lock order").
            lock(Application, application_id)
        locked.status = move(locked, HIT_TRANSITIONS, "false_positive")
        locked.false_positive_reason = reason
        locked.resolved_by = actor
        locked.resolved_at = timezone.now()
        locked.save(update_fields=["status", "false_positive_reason", "resolved_by", "resolved_at"])
        if application_id is not None:
            _release_application(actor, application_id)
        audit_record(
            actor=actor,
            action="screening.hit_false_positive",
            target=locked,
            payload={"reason": reason},
            request=request,
        )
    return locked


def hit_propose_confirm(
    *, actor: User, hit: Hit, note: str, request: HttpRequest | None = None
) -> Hit:
    _require_triage(actor)
    note = _required(note, _("Say why this is the listed person or company."))
    with transaction.atomic():
        locked = lock(Hit, hit.pk)
        if locked.status != HitStatus.UNDER_REVIEW:
            raise ValidationError(_("Take the hit under review first."), code="not_under_review")
        if locked.proposed_by_id is not None:
            raise ValidationError(_("A confirmation is already proposed."), code="proposed")
        locked.proposed_by = actor
        locked.proposed_at = timezone.now()
        locked.proposal_note = note
        locked.save(update_fields=["proposed_by", "proposed_at", "proposal_note"])
        audit_record(
            actor=actor,
            action="screening.hit_confirm_proposed",
            target=locked,
            payload={"note": note},
            request=request,
        )
    return locked


def _licence_in_force(member_id: int) -> LicenceAgreement | None:
    return (
        LicenceAgreement.objects.filter(
            member_id=member_id, status__in=[LicenceStatus.ACTIVE, LicenceStatus.SUSPENDED]
        )
        .order_by("-pk")
        .first()
    )


def hit_confirm(*, actor: User, hit: Hit, request: HttpRequest | None = None) -> Hit:
    """The second person confirms the proposed match; its consequence follows at once."""
    with transaction.atomic():
        locked = lock(Hit, hit.pk)
        refusal = confirm_refusal(actor, locked)
        if refusal is not None:
            raise PermissionDenied(refusal)
        if locked.subject.application_id is not None:
            # Locked before any event (docs/architecture.md, "Lock order").
            lock(Application, locked.subject.application_id)
        locked.status = move(locked, HIT_TRANSITIONS, "confirm")
        locked.resolved_by = actor
        locked.resolved_at = timezone.now()
        subject, entry = locked.subject, locked.entry
        consequence: dict[str, object] = {}
        if subject.application_id is not None:
            # Held since the hit was raised; a confirmed match keeps it held.
            application_screening_hold(
                actor=actor,
                application=Application(pk=subject.application_id),
                held=True,
                reason="screening match confirmed",
            )
            consequence["application_blocked"] = subject.application_id
        elif subject.member_id is not None:
            licence = _licence_in_force(subject.member_id)
            if licence is not None:
                narrative = _(
                    "Sanctions screening: %(subject)s matches %(entry)s on the list “%(list)s” "
                    "(list id %(id)s, programme: %(programme)s). Proposed by %(proposer)s, "
                    "confirmed by %(confirmer)s."
                ) % {
                    "subject": subject.name,
                    "entry": entry.caption,
                    "list": entry.source.title,
                    "id": entry.entity_id,
                    "programme": entry.programme or "—",
                    "proposer": locked.proposed_by,
                    "confirmer": actor,
                }
                # Opened in the proposer's name, so that the decision maker who confirmed the
                # match may decide the case (never the one who opened it).
                proposer = locked.proposed_by
                if can_manage_cases(proposer):
                    case = case_open(
                        actor=proposer,  # type: ignore[arg-type]
                        licence=licence,
                        grounds=Grounds.LEGAL_OR_SANCTIONS,
                        narrative=narrative,
                    )
                else:
                    case = case_open_by_portal(
                        licence=licence, grounds=Grounds.LEGAL_OR_SANCTIONS, narrative=narrative
                    )
                locked.case = case
                consequence["case"] = case.pk
            else:
                consequence["case"] = None
        locked.save(update_fields=["status", "resolved_by", "resolved_at", "case"])
        audit_record(
            actor=actor,
            action="screening.hit_confirmed",
            target=locked,
            payload={"proposed_by": locked.proposed_by_id, **consequence},
            request=request,
        )
    return locked
