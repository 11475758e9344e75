"""Keeping last review's answers: one criterion at a time or every one still unanswered,
and the answers of a new edition's unchanged criteria when a cycle opens under it.

A carried answer copies the accepted answer and explanation and links the evidence that is
still valid (a document past its expiry date stays behind, and the member is told which);
it is marked with the answer it came from until the member changes it."""

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from alliance_portal.audit import audit_record
from alliance_portal.cache_versions import rows_written_announce
from alliance_portal.locks import for_update
from alliance_portal.models import Document
from licensing.models import Criterion
from members.models import User

from ..models import Answer, AnswerEvidence, ReviewCycle
from ..selectors import CarryOffer, carry_forward_for


@dataclass
class Carried:
    """What one criterion kept: its answer, the documents linked and those left behind."""

    answer: Answer
    linked: list[Document]
    expired: list[Document]


def _carry(row: Answer, offer: CarryOffer, actor: User | None) -> Carried:
    """Copy ``offer`` into the locked ``row``: the caller holds the cycle's lock."""
    row.answer = offer.source.answer
    row.explanation = offer.source.explanation
    row.carried_from = offer.source
    row.updated_at = timezone.now()
    row.updated_by = actor
    row.save(update_fields=["answer", "explanation", "carried_from", "updated_at", "updated_by"])
    attached = set(AnswerEvidence.objects.filter(answer=row).values_list("document_id", flat=True))
    created = AnswerEvidence.objects.bulk_create(
        AnswerEvidence(answer=row, document=document)
        for document in offer.valid
        if document.pk not in attached
    )
    rows_written_announce(AnswerEvidence, created)
    return Carried(answer=row, linked=list(offer.valid), expired=list(offer.expired))


def _payload(carried: list[Carried]) -> dict[str, object]:
    return {
        "criteria": [c.answer.criterion.code for c in carried],
        "from_answers": [c.answer.carried_from_id for c in carried],
        "documents": sorted({str(d.pk) for c in carried for d in c.linked}),
        "expired_left_behind": sorted({str(d.pk) for c in carried for d in c.expired}),
    }


def answer_carry_forward(
    *,
    actor: User,
    cycle: ReviewCycle,
    criterion: Criterion,
    request: HttpRequest | None = None,
) -> Carried:
    """The member keeps last review's answer to one criterion, unchanged."""
    from .cycles import _answerable

    with transaction.atomic():
        locked = _answerable(actor, cycle)
        offer = carry_forward_for(locked).offers.get(criterion.pk)
        if offer is None:
            raise ValidationError(
                _("There is no accepted answer to %(code)s to keep.") % {"code": criterion.code},
                code="nothing",
            )
        row = for_update(Answer.objects.select_related("criterion")).get(
            cycle=locked, criterion=criterion
        )
        carried = _carry(row, offer, actor)
        audit_record(
            actor=actor,
            action="cycle.answers_carried_forward",
            target=locked,
            payload=_payload([carried]),
            request=request,
        )
    return carried


def cycle_carry_forward_all(
    *, actor: User, cycle: ReviewCycle, request: HttpRequest | None = None
) -> list[Carried]:
    """Keep last review's answer for every criterion still unanswered (an answer the member
    already gave stays theirs)."""
    from .cycles import _answerable

    with transaction.atomic():
        locked = _answerable(actor, cycle)
        offers = carry_forward_for(locked).offers
        rows = for_update(
            Answer.objects.select_related("criterion").filter(
                cycle=locked, criterion_id__in=offers, answer="", carried_from__isnull=True
            )
        ).order_by("pk")
        carried = [_carry(row, offers[row.criterion_id], actor) for row in rows]
        if carried:
            audit_record(
                actor=actor,
                action="cycle.answers_carried_forward",
                target=locked,
                payload=_payload(carried),
                request=request,
            )
    return carried


def cycle_prefill_from_mapping(*, cycle: ReviewCycle) -> list[Carried]:
    """In the transaction that opens ``cycle``: when it is the member's first under a new
    edition, the answers of the criteria the mapping calls "same" are carried forward (the
    changed and new ones are asked). The caller records it in the cycle's opening event."""
    carry = carry_forward_for(cycle)
    if carry.last is None or carry.last.edition_id == cycle.edition_id or not carry.offers:
        return []
    rows = Answer.objects.select_related("criterion").filter(
        cycle=cycle, criterion_id__in=carry.offers
    )
    return [_carry(row, carry.offers[row.criterion_id], None) for row in rows.order_by("pk")]


def carried_payload(carried: list[Carried]) -> dict[str, object]:
    return _payload(carried)
