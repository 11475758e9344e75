"""Which documents a member holds now, and how valid they are.

**The member's current documents** are:

- for each document requirement (application documents): the latest document given for it,
  from the approved application (copied to ``MemberDocument`` on approval) or uploaded since
  on the company's documents page (``members.selectors.current_member_documents``);
- for each criterion: the evidence of the member's review under way (open, submitted, in
  review or changes requested), and, for a criterion that review has no evidence for yet, the
  evidence of the member's latest accepted review.

A document replaced by a newer one for the same requirement, or by evidence for the same
criterion (by code) in the review under way, is no longer current: it neither reminds nor
reopens anything. Only requirements and criteria marked as expiring are kept valid by the
jobs; a rejected document needs an update whatever its requirement.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery
from django.urls import reverse
from django.utils import timezone

from alliance_portal.models import EXPIRING_SOON_DAYS, Document, DocumentReview
from members.models import Member, MemberDocument, User
from members.permissions import member_ids_of
from members.selectors import current_member_documents

from .models import OPEN_CYCLE_STATUSES, AnswerEvidence, CycleStatus, ReviewCycle


def current_evidence() -> QuerySet[AnswerEvidence]:
    """Every member's current evidence (see the module's docstring)."""
    latest_accepted = ReviewCycle.objects.filter(
        member=OuterRef("answer__cycle__member"), status=CycleStatus.ACCEPTED
    ).order_by("-decided_at", "-pk")
    evidenced_under_way = AnswerEvidence.objects.filter(
        answer__cycle__member=OuterRef("answer__cycle__member"),
        answer__cycle__status__in=OPEN_CYCLE_STATUSES,
        answer__criterion__code=OuterRef("answer__criterion__code"),
    )
    return AnswerEvidence.objects.filter(
        Q(answer__cycle__status__in=OPEN_CYCLE_STATUSES)
        | (
            Q(answer__cycle=Subquery(latest_accepted.values("pk")[:1]))
            & ~Exists(evidenced_under_way)
        )
    )


@dataclass
class HeldDocument:
    """One current document of a member, with what it is for and where it is updated."""

    member: Member
    document: Document
    title: str
    url: str
    expires: bool  # its requirement or criterion is kept valid by the jobs
    requirement_id: int | None = None
    criterion_id: int | None = None
    criterion_code: str = ""
    cycle_id: int | None = None

    @property
    def days_left(self) -> int | None:
        if self.document.expires_on is None:
            return None
        return (self.document.expires_on - timezone.localdate()).days


def _requirement_rows(links: Iterable[MemberDocument]) -> list[HeldDocument]:
    return [
        HeldDocument(
            member=link.member,
            document=link.document,
            title=link.requirement.title,
            url=reverse("portal:member_documents", args=[link.member_id])
            + f"?for={link.requirement_id}#upload",
            expires=link.requirement.expires,
            requirement_id=link.requirement_id,
        )
        for link in links
    ]


def _evidence_rows(evidence: Iterable[AnswerEvidence]) -> list[HeldDocument]:
    rows = []
    for item in evidence:
        cycle, criterion = item.answer.cycle, item.answer.criterion
        rows.append(
            HeldDocument(
                member=cycle.member,
                document=item.document,
                title=f"{criterion.code} {criterion.title}",
                url=reverse("compliance:cycle_detail", args=[cycle.pk])
                + f"#criterion-{criterion.pk}",
                expires=criterion.evidence_expires,
                criterion_id=criterion.pk,
                criterion_code=criterion.code,
                cycle_id=cycle.pk,
            )
        )
    return rows


def held_documents(
    member_ids: Iterable[int],
    *,
    expiring_only: bool = False,
    expires_by: date | None = None,
    or_rejected: bool = False,
) -> list[HeldDocument]:
    """The current documents of these members (two queries). ``expiring_only``: only those
    whose requirement or criterion expires; ``expires_by``: only those valid no later (and,
    with ``or_rejected``, those staff rejected)."""
    ids = list(member_ids)
    links = current_member_documents().filter(member_id__in=ids, requirement__active=True)
    evidence = current_evidence().filter(answer__cycle__member_id__in=ids)
    if expiring_only:
        links = links.filter(requirement__expires=True)
        evidence = evidence.filter(answer__criterion__evidence_expires=True)
    if expires_by is not None:
        due = Q(document__expires_on__lte=expires_by)
        if or_rejected:
            due |= Q(document__review_status=DocumentReview.REJECTED)
        links = links.filter(due)
        evidence = evidence.filter(due)
    rows = _requirement_rows(
        links.select_related("member", "document", "requirement").order_by("member_id", "pk")
    ) + _evidence_rows(
        evidence.select_related("document", "answer__criterion", "answer__cycle__member").order_by(
            "answer__cycle__member_id", "answer__criterion__code", "pk"
        )
    )
    seen: set[tuple[int, str]] = set()
    unique = []
    for row in rows:  # a document re-attached to several criteria counts once
        key = (row.member.pk, str(row.document.pk))
        if key not in seen:
            seen.add(key)
            unique.append(row)
    return unique


def documents_to_update_for(user: User) -> list[HeldDocument]:
    """The dashboard's list: the user's companies' current documents that have expired, were
    rejected or expire soon, most urgent first."""
    member_ids = member_ids_of(user)
    soon = timezone.localdate() + timedelta(days=EXPIRING_SOON_DAYS)
    rows = [
        row
        for row in held_documents(member_ids, expires_by=soon, or_rejected=True)
        if row.document.validity_state in ("expired", "rejected", "expiring")
    ]
    return sorted(rows, key=lambda row: (row.document.expires_on or date.min, row.title))


def current_document_ids() -> tuple[QuerySet[MemberDocument, Any], QuerySet[AnswerEvidence, Any]]:
    """The ids of every member's current documents whose requirement or criterion expires, as
    two subqueries (for the staff queue and list)."""
    return (
        current_member_documents().filter(requirement__expires=True).values("document_id"),
        current_evidence().filter(answer__criterion__evidence_expires=True).values("document_id"),
    )


def documents_expired_or_expiring(today: date | None = None) -> QuerySet[Document]:
    """The staff queue: members' current documents that have expired or expire within
    ``EXPIRING_SOON_DAYS`` (a rejected one is staff's own decision, not in the queue)."""
    today = today or timezone.localdate()
    requirement_docs, evidence_docs = current_document_ids()
    return Document.objects.filter(
        Q(pk__in=requirement_docs) | Q(pk__in=evidence_docs),
        expires_on__lte=today + timedelta(days=EXPIRING_SOON_DAYS),
    )


def document_owners(document: Document) -> tuple[list[Member], list[User]]:
    """Who is told about a document: the members holding it, or (before approval) the
    applicants who gave it."""
    members = list(
        Member.objects.filter(
            Q(documents__document=document) | Q(review_cycles__answers__evidence__document=document)
        ).distinct()
    )
    applicants: list[User] = []
    if not members:
        applicants = list(
            User.objects.filter(
                applications__documents__document=document, applications__member__isnull=True
            ).distinct()
        )
    return members, applicants
