from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from itertools import islice
from typing import Any

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from alliance_portal.models import Document
from licensing.models import (
    CriterionChange,
    CriterionMapping,
    GuidelinesSection,
    GuidelinesVersion,
    LicenceAgreement,
)
from licensing.selectors import acknowledgement_pending
from members.models import Member, User

from .models import (
    OPEN_CYCLE_STATUSES,
    Answer,
    AnswerChoice,
    AnswerEvidence,
    AuditorGrant,
    CaseStatus,
    CertificateStatus,
    ComplianceCertificate,
    CycleStatus,
    Finding,
    ForfeitureCase,
    ReviewCycle,
    ReviewNote,
    Submission,
    answer_gaps,
)


def cycles_visible_to(user: User) -> QuerySet[ReviewCycle]:
    return ReviewCycle.objects.filter(member__memberships__user=user)


def cycle_for_user(user: User, pk: int) -> ReviewCycle:
    """A cycle with everything the attestation page shows, in a fixed number of queries."""
    return (
        cycles_visible_to(user)
        .select_related("member", "licence__guidelines", "guidelines")
        .prefetch_related(
            Prefetch(
                "answers",
                queryset=Answer.objects.select_related(
                    "criterion__section", "carried_from__cycle"
                ).prefetch_related(
                    Prefetch("evidence", queryset=AnswerEvidence.objects.select_related("document"))
                ),
            ),
            "submissions",
        )
        .get(pk=pk)
    )


def answer_for_user(user: User, cycle_pk: int, criterion_pk: int) -> Answer:
    return (
        Answer.objects.select_related("cycle__member", "criterion__section")
        .prefetch_related(
            Prefetch("evidence", queryset=AnswerEvidence.objects.select_related("document"))
        )
        .get(cycle__in=cycles_visible_to(user).filter(pk=cycle_pk), criterion_id=criterion_pk)
    )


def evidence_for_user(
    user: User, cycle_pk: int, document_pk: str, criterion_pk: int | None = None
) -> AnswerEvidence:
    """One link of a document to an answer of the cycle: the one of ``criterion_pk`` when
    given (a library document may evidence several criteria)."""
    links = AnswerEvidence.objects.select_related("document", "answer__cycle").filter(
        answer__cycle__in=cycles_visible_to(user).filter(pk=cycle_pk), document_id=document_pk
    )
    if criterion_pk is not None:
        links = links.filter(answer__criterion_id=criterion_pk)
    found = links.order_by("added_at", "pk").first()
    if found is None:
        raise AnswerEvidence.DoesNotExist
    return found


def evidence_library_of(member: Member) -> QuerySet[Document]:
    """The member's evidence library: every clean document its attestations have used, to be
    attached again without uploading it again."""
    return (
        Document.objects.filter(
            pk__in=AnswerEvidence.objects.filter(answer__cycle__member=member).values("document_id")
        )
        .exclude(scan_status=Document.ScanStatus.INFECTED)
        .order_by("original_name", "uploaded_at")
    )


def library_document(member: Member, pk: Any) -> Document:
    """One document of the member's library (another company's is not found)."""
    return evidence_library_of(member).get(pk=pk)


@dataclass
class LibraryEntry:
    document: Document
    used_for: list[str]  # the criteria of this cycle it evidences


def evidence_library_for_cycle(cycle: ReviewCycle) -> list[LibraryEntry]:
    """The library with where each document is used in this cycle (prefetched answers)."""
    used: dict[Any, list[str]] = {}
    for answer in cycle.answers.all():
        for link in answer.evidence.all():
            used.setdefault(link.document_id, []).append(answer.criterion.code)
    return [
        LibraryEntry(document=document, used_for=used.get(document.pk, []))
        for document in evidence_library_of(cycle.member)
    ]


def findings_visible_to(user: User) -> QuerySet[Finding]:
    return Finding.objects.filter(cycle__member__memberships__user=user)


def finding_for_user(user: User, pk: int) -> Finding:
    return (
        findings_visible_to(user)
        .select_related("cycle__member", "criterion")
        .prefetch_related("evidence__document")
        .get(pk=pk)
    )


def cases_visible_to(user: User) -> QuerySet[ForfeitureCase]:
    """A member learns of a case with its notice, not before."""
    return ForfeitureCase.objects.filter(licence__member__memberships__user=user).exclude(
        status=CaseStatus.OPENED
    )


def case_for_user(user: User, pk: int) -> ForfeitureCase:
    return (
        cases_visible_to(user)
        .select_related("licence__member", "decided_by")
        .prefetch_related("response_documents__document", "findings__criterion")
        .get(pk=pk)
    )


def open_cycles_for_dashboard(user: User) -> QuerySet[ReviewCycle]:
    """The user's reviews under way (decided ones are history, not work to do)."""
    return (
        cycles_visible_to(user)
        .filter(status__in=OPEN_CYCLE_STATUSES)
        .select_related("member")
        .order_by("-opened_at")[:10]
    )


def open_findings_for_dashboard(user: User) -> QuerySet[Finding]:
    return (
        findings_visible_to(user)
        .filter(status__in=["open", "action_submitted"])
        .select_related("cycle__member", "criterion")
        .order_by("due_on")
    )


def cases_for_dashboard(user: User) -> QuerySet[ForfeitureCase]:
    return cases_visible_to(user).select_related("licence__member").order_by("-opened_at")


@dataclass
class Progress:
    total: int = 0
    answered: int = 0
    evidenced: int = 0
    complete: int = 0
    missing: list[tuple[str, str]] = field(default_factory=list)
    next_unanswered: str | None = None  # the code of the first criterion not answered

    @property
    def percent(self) -> int:
        return round(100 * self.complete / self.total) if self.total else 0


def cycle_progress(cycle: ReviewCycle) -> Progress:
    """Answered and evidenced out of the total, and what is missing (uses prefetched rows)."""
    progress = Progress()
    for answer in cycle.answers.all():
        progress.total += 1
        gaps = answer_gaps(answer)
        progress.answered += bool(answer.answer)
        progress.evidenced += answer.answer == AnswerChoice.NOT_APPLICABLE or bool(
            answer.evidence.all()
        )
        if not answer.answer and progress.next_unanswered is None:
            progress.next_unanswered = answer.criterion.code
        if gaps:
            progress.missing.append((answer.criterion.code, ", ".join(gaps)))
        else:
            progress.complete += 1
    return progress


@dataclass
class AnswerRow:
    answer: Answer
    gaps: list[str]  # what it still lacks before the cycle can be submitted, in words
    offer: "CarryOffer | None" = None  # the last accepted answer, to keep with one click
    change: CriterionMapping | None = None  # how the criterion differs from the last review's


@dataclass
class SectionProgress:
    """One section of the questionnaire with its answers, answered and complete."""

    section: GuidelinesSection
    rows: list[AnswerRow] = field(default_factory=list)
    answered: int = 0
    complete: int = 0

    @property
    def total(self) -> int:
        return len(self.rows)

    @property
    def done(self) -> bool:
        return self.complete == self.total


def cycle_sections(
    cycle: ReviewCycle, carry: "CarryForward | None" = None
) -> list[SectionProgress]:
    """The cycle's answers by section, in order, with each section's progress (prefetched),
    and what the last accepted review offers for each when ``carry`` is given."""
    sections: dict[int, SectionProgress] = {}
    for answer in cycle.answers.all():
        criterion = answer.criterion
        entry = sections.setdefault(
            criterion.section_id, SectionProgress(section=criterion.section)
        )
        gaps = answer_gaps(answer)
        entry.rows.append(
            AnswerRow(
                answer=answer,
                gaps=gaps,
                offer=carry.offers.get(criterion.pk) if carry else None,
                change=carry.changes.get(criterion.pk) if carry else None,
            )
        )
        entry.answered += bool(answer.answer)
        entry.complete += not gaps
    return sorted(sections.values(), key=lambda entry: entry.section.number)


# --- Carrying answers forward from the last accepted review ---------------------------


@dataclass
class CarryOffer:
    """The member's accepted answer to a criterion (or to the same criterion of the previous
    edition), and its evidence split into still valid and expired."""

    source: Answer
    confirmed_at: datetime | None  # when the review that accepted it was decided
    valid: list[Document]
    expired: list[Document]


@dataclass
class CarryForward:
    """What a cycle may carry forward, by criterion of the cycle's edition."""

    last: ReviewCycle | None = None
    offers: dict[int, CarryOffer] = field(default_factory=dict)
    # When the last review was under another edition: the mapping line of each criterion.
    changes: dict[int, CriterionMapping] = field(default_factory=dict)
    edition: GuidelinesVersion | None = None

    def offer_for(self, answer: Answer) -> CarryOffer | None:
        """An offer still to take: none once kept, or while the answer is the member's own."""
        offer = self.offers.get(answer.criterion_id)
        if offer is None or answer.carried_from_id is not None:
            return None
        return offer

    @property
    def open_offers(self) -> int:
        return len(self.offers)


def still_valid(document: Document, today: date | None = None) -> bool:
    """Evidence counts while its document has not expired (no expiry date: always)."""
    if document.quarantined:
        return False
    return document.expires_on is None or document.expires_on >= (today or timezone.localdate())


def last_accepted_cycle(member_id: int, before: ReviewCycle | None = None) -> ReviewCycle | None:
    cycles = ReviewCycle.objects.filter(member_id=member_id, status=CycleStatus.ACCEPTED)
    if before is not None:
        cycles = cycles.exclude(pk=before.pk)
    return cycles.select_related("licence", "guidelines").order_by("-decided_at", "-pk").first()


def carry_forward_for(cycle: ReviewCycle) -> CarryForward:
    """Per criterion of the cycle, the last accepted answer that may be kept unchanged: the
    same criterion under the same edition, or the one the mapping calls "same" under a new
    edition (a changed or new criterion is asked again). A fixed number of queries, however
    many criteria and documents."""
    last = last_accepted_cycle(cycle.member_id, before=cycle)
    result = CarryForward(last=last, edition=cycle.edition)
    if last is None:
        return result
    if last.edition_id == cycle.edition_id:
        pairs = {pk: pk for pk in (a.criterion_id for a in cycle.answers.all())}
    else:
        lines = CriterionMapping.objects.filter(version_id=cycle.edition_id).select_related(
            "previous"
        )
        result.changes = {line.criterion_id: line for line in lines if line.criterion_id}
        pairs = {
            new_id: line.previous_id
            for new_id, line in result.changes.items()
            if line.change == CriterionChange.SAME and line.previous_id
        }
    sources = (
        Answer.objects.filter(cycle=last, criterion_id__in=set(pairs.values()))
        .exclude(answer="")
        .prefetch_related(
            Prefetch("evidence", queryset=AnswerEvidence.objects.select_related("document"))
        )
    )
    by_criterion = {source.criterion_id: source for source in sources}
    today = timezone.localdate()
    for new_id, old_id in pairs.items():
        source = by_criterion.get(old_id)
        if source is None:
            continue
        documents = [link.document for link in source.evidence.all()]
        result.offers[new_id] = CarryOffer(
            source=source,
            confirmed_at=last.decided_at,
            valid=[d for d in documents if still_valid(d, today)],
            expired=[d for d in documents if not still_valid(d, today)],
        )
    return result


def cycle_awaits_acknowledgement(cycle: ReviewCycle) -> bool:
    """The cycle attests to an edition the member's licence did not incorporate, and no
    signatory of the member has acknowledged it yet."""
    return acknowledgement_pending(cycle.licence, cycle.edition_id)


def certificate_by_code(code: str) -> ComplianceCertificate | None:
    return (
        ComplianceCertificate.objects.select_related("member", "licence", "pdf")
        .filter(verification_code=code)
        .exclude(status=CertificateStatus.PENDING)
        .first()
    )


def certificate_by_sha256(digest: str) -> ComplianceCertificate | None:
    return (
        ComplianceCertificate.objects.select_related("member", "licence", "pdf")
        .filter(pdf__sha256=digest)
        .first()
    )


def certificate_revoking_case(certificate: ComplianceCertificate) -> ForfeitureCase | None:
    """The decided case whose suspension or forfeiture revoked the certificate (decisions are
    the only thing that revokes one; None if none is found)."""
    from .models import Decision

    if certificate.status != CertificateStatus.REVOKED or certificate.ended_at is None:
        return None
    return (
        ForfeitureCase.objects.filter(
            licence_id=certificate.licence_id,
            decision__in=[Decision.SUSPENSION, Decision.FORFEITURE],
            decided_at__lte=certificate.ended_at,
        )
        .order_by("-decided_at")
        .first()
    )


def certificate_successor(certificate: ComplianceCertificate) -> ComplianceCertificate | None:
    """The member's newest certificate issued after this one: where a superseded one points."""
    if certificate.issued_at is None:
        return None
    return (
        ComplianceCertificate.objects.filter(
            member_id=certificate.member_id, issued_at__gt=certificate.issued_at
        )
        .exclude(status=CertificateStatus.PENDING)
        .order_by("-issued_at", "-pk")
        .first()
    )


def granted_members(user: User, query: str = "") -> QuerySet[Member]:
    """The members an auditor may see today (every member if a grant says so), searched by
    name, registration, Kimberley Process or contract number (in part) or country code, by
    name then id (stable pages)."""
    from django.utils import timezone

    grants = AuditorGrant.objects.filter(auditor=user, expires_on__gte=timezone.localdate())
    if grants.filter(member__isnull=True).exists():
        members = Member.objects.all()
    else:
        members = Member.objects.filter(pk__in=grants.values("member_id"))
    query = query.strip()
    if query:
        # Both conditions have an index (search_text's trigram index, the country first in
        # member_registration_unique): no search reads the whole table.
        members = members.filter(Q(search_text__icontains=query) | Q(country=query.upper()))
    return members.prefetch_related(
        Prefetch(
            "licences",
            queryset=LicenceAgreement.objects.exclude(status="draft").order_by("-created_at"),
        ),
        Prefetch(
            "review_cycles",
            queryset=ReviewCycle.objects.filter(status__in=["accepted", "rejected"]).order_by(
                "-decided_at"
            ),
        ),
        Prefetch(
            "certificates",
            queryset=ComplianceCertificate.objects.select_related("pdf", "licence").order_by(
                "-created_at"
            ),
        ),
    ).order_by("legal_name", "pk")


def certificate_for_auditor(user: User, pk: int) -> ComplianceCertificate:
    return ComplianceCertificate.objects.select_related("pdf", "member").get(
        pk=pk, member__in=granted_members(user).values("pk"), pdf__isnull=False
    )


def certificates_visible_to(user: User) -> QuerySet[ComplianceCertificate]:
    """The certificates of the members the user acts for, newest first."""
    return (
        ComplianceCertificate.objects.filter(member__memberships__user=user)
        .select_related("member", "licence", "pdf")
        .order_by("-created_at", "-pk")
    )


def certificate_pdf_for_user(user: User, pk: int) -> ComplianceCertificate:
    return certificates_visible_to(user).get(pk=pk, pdf__isnull=False)


# --- The staff review screen ----------------------------------------------------------


@dataclass
class ReviewRow:
    """One criterion on the review screen: the answer (with its evidence and notes
    prefetched), the previous round's answer when it differs, and the findings raised on it."""

    answer: Answer
    previous: dict[str, Any] | None = None
    findings: list[Finding] = field(default_factory=list)
    # Against the last accepted review: kept unchanged with one click (or pre-filled under a
    # new edition), and how the criterion changed when that review was under another edition.
    carried: bool = False
    change: CriterionMapping | None = None

    @property
    def previous_answer_label(self) -> str:
        value = (self.previous or {}).get("answer", "")
        return str(AnswerChoice(value).label) if value in AnswerChoice.values else ""


@dataclass
class ReviewScreen:
    cycle: ReviewCycle
    previous: Submission | None
    sections: list[tuple[GuidelinesSection, list[ReviewRow]]]


def previous_submission(cycle: ReviewCycle) -> Submission | None:
    """What the current answers are compared with: the cycle's previous round, or for a first
    round the last round of the member's last accepted review."""
    if cycle.round > 1:
        return (
            Submission.objects.filter(cycle=cycle, round__lt=cycle.round)
            .select_related("cycle")
            .order_by("-round")
            .first()
        )
    return (
        Submission.objects.filter(cycle__member_id=cycle.member_id, cycle__status="accepted")
        .exclude(cycle=cycle)
        .select_related("cycle")
        .order_by("-cycle__decided_at", "-round")
        .first()
    )


def _changed(answer: Answer, before: dict[str, Any]) -> bool:
    evidence_now = sorted(e.document.sha256 for e in answer.evidence.all())
    evidence_before = sorted(e.get("sha256", "") for e in before.get("evidence", []))
    return (
        before.get("answer", "") != answer.answer
        or before.get("explanation", "") != answer.explanation
        or evidence_before != evidence_now
    )


def cycle_for_review(pk: int) -> ReviewScreen:
    """Everything the staff review screen shows of a cycle, in a number of queries that does
    not grow with its criteria, their evidence and notes, or the number of members."""
    cycle = ReviewCycle.objects.select_related("member", "licence__guidelines", "guidelines").get(
        pk=pk
    )
    answers = (
        Answer.objects.filter(cycle=cycle)
        .select_related("criterion__section", "carried_from__cycle")
        .prefetch_related(
            Prefetch("evidence", queryset=AnswerEvidence.objects.select_related("document")),
            Prefetch("notes", queryset=ReviewNote.objects.select_related("author")),
        )
        .order_by("criterion__section__number", "criterion__position", "criterion__code")
    )
    findings: dict[int, list[Finding]] = {}
    for finding in Finding.objects.filter(cycle=cycle, criterion__isnull=False).order_by("pk"):
        findings.setdefault(finding.criterion_id or 0, []).append(finding)
    previous = previous_submission(cycle)
    before = {entry["criterion"]: entry for entry in (previous.answers if previous else [])}
    changes: dict[int, CriterionMapping] = {}
    # For a first round the review compared with is the last accepted one already (none:
    # nothing to compare with); a later round looks it up.
    last: ReviewCycle | None = None
    if previous is not None and previous.cycle_id != cycle.pk:
        last = previous.cycle
    elif previous is not None:
        last = last_accepted_cycle(cycle.member_id, before=cycle)
    if last is not None and last.edition_id != cycle.edition_id:
        # The last accepted review was under the previous edition: each criterion is the
        # same as, changed from or new to one of it, and is compared with the one it maps from.
        lines = CriterionMapping.objects.filter(version_id=cycle.edition_id).select_related(
            "criterion", "previous"
        )
        changes = {line.criterion_id: line for line in lines if line.criterion_id}
        if previous is not None and previous.cycle_id == last.pk:
            before = {
                line.criterion.code: before[line.previous.code]
                for line in changes.values()
                if line.criterion and line.previous and line.previous.code in before
            }
    sections: list[tuple[GuidelinesSection, list[ReviewRow]]] = []
    for answer in answers:
        entry = before.get(answer.criterion.code)
        row = ReviewRow(
            answer=answer,
            previous=entry if entry is not None and _changed(answer, entry) else None,
            findings=findings.get(answer.criterion_id, []),
            carried=answer.carried_from_id is not None,
            change=changes.get(answer.criterion_id),
        )
        if not sections or sections[-1][0].pk != answer.criterion.section_id:
            sections.append((answer.criterion.section, []))
        sections[-1][1].append(row)
    return ReviewScreen(cycle=cycle, previous=previous, sections=sections)


# --- The auditor area: only members granted today, and never a cycle not yet submitted -----


def granted_member_ids(user: User) -> QuerySet[Member, int]:
    """The primary keys of the members an auditor may see today (a subquery)."""
    from django.utils import timezone

    grants = AuditorGrant.objects.filter(auditor=user, expires_on__gte=timezone.localdate())
    if grants.filter(member__isnull=True).exists():
        return Member.objects.values_list("pk", flat=True)
    return Member.objects.filter(auditor_grants__in=grants).values_list("pk", flat=True)


@dataclass(frozen=True)
class ExportRow:
    """One granted member as the auditor's CSV shows it: plain values, no model instances."""

    name: str
    country: str
    licence_number: str
    licence_status: str
    decided_at: datetime | None
    outcome: str
    certificate_number: str
    certificate_status: str


def _first_per_member(rows: Iterable[tuple[Any, ...]]) -> dict[int, tuple[Any, ...]]:
    """The first row of each member (``rows`` ordered by member, newest first)."""
    first: dict[int, tuple[Any, ...]] = {}
    for row in rows:
        first.setdefault(row[0], row)
    return first


def auditor_export_rows(user: User, *, chunk_size: int = 1000) -> Iterator[ExportRow]:
    """Every member granted to the auditor, by name: a chunk of members at a time with their
    newest licence, last decided review and newest certificate in three more queries, read as
    plain values (at 100,000 members, model instances would cost more than the queries)."""
    members = (
        Member.objects.filter(pk__in=granted_member_ids(user))
        .order_by("legal_name", "pk")
        .values_list("pk", "legal_name", "country")
        .iterator(chunk_size=chunk_size)
    )
    while chunk := list(islice(members, chunk_size)):
        ids = [pk for pk, _name, _country in chunk]
        licences = _first_per_member(
            LicenceAgreement.objects.filter(member_id__in=ids)
            .exclude(status="draft")
            .order_by("member_id", "-created_at", "-pk")
            .values_list("member_id", "number", "status")
        )
        reviews = _first_per_member(
            ReviewCycle.objects.filter(member_id__in=ids, status__in=["accepted", "rejected"])
            .order_by("member_id", "-decided_at", "-pk")
            .values_list("member_id", "decided_at", "outcome")
        )
        certificates = _first_per_member(
            ComplianceCertificate.objects.filter(member_id__in=ids)
            .order_by("member_id", "-created_at", "-pk")
            .values_list("member_id", "number", "status")
        )
        for pk, name, country in chunk:
            _m, number, status = licences.get(pk, (pk, "", ""))
            _m, decided_at, outcome = reviews.get(pk, (pk, None, ""))
            _m, certificate, certificate_status = certificates.get(pk, (pk, "", ""))
            yield ExportRow(
                name=name,
                country=str(country),
                licence_number=number or "",
                licence_status=status,
                decided_at=decided_at,
                outcome=outcome,
                certificate_number=certificate,
                certificate_status=certificate_status,
            )


def member_for_auditor(user: User, pk: int) -> Member:
    return Member.objects.get(pk=pk, pk__in=granted_member_ids(user))


def cycles_for_auditor(user: User) -> QuerySet[ReviewCycle]:
    """Attestations once submitted: an open cycle's answers are the member's draft."""
    return (
        ReviewCycle.objects.filter(member__in=granted_member_ids(user))
        .exclude(status=CycleStatus.OPEN)
        .select_related("member", "licence__guidelines", "guidelines")
        .order_by("-opened_at", "-pk")
    )


def cycle_for_auditor(user: User, pk: int) -> ReviewCycle:
    """A cycle with its answers, evidence, findings and rounds, in a fixed number of queries."""
    return (
        cycles_for_auditor(user)
        .prefetch_related(
            Prefetch(
                "answers",
                queryset=Answer.objects.select_related("criterion__section").prefetch_related(
                    Prefetch("evidence", queryset=AnswerEvidence.objects.select_related("document"))
                ),
            ),
            Prefetch("findings", queryset=Finding.objects.select_related("criterion")),
            "submissions",
        )
        .get(pk=pk)
    )


def evidence_for_auditor(user: User, cycle_pk: int, document_pk: str) -> AnswerEvidence:
    found = (
        AnswerEvidence.objects.select_related("document", "answer__cycle")
        .filter(answer__cycle__in=cycles_for_auditor(user).filter(pk=cycle_pk))
        .filter(document_id=document_pk)
        .order_by("added_at", "pk")
        .first()
    )
    if found is None:
        raise AnswerEvidence.DoesNotExist
    return found


def findings_for_auditor(member: Member) -> QuerySet[Finding]:
    return (
        Finding.objects.filter(cycle__member=member)
        .exclude(cycle__status=CycleStatus.OPEN)
        .select_related("criterion", "cycle")
        .order_by("-raised_at", "-pk")
    )


def cases_for_auditor(member: Member) -> QuerySet[ForfeitureCase]:
    """Cases the member has been told of, with their decisions."""
    return (
        ForfeitureCase.objects.filter(licence__member=member)
        .exclude(status=CaseStatus.OPENED)
        .select_related("licence")
        .order_by("-opened_at", "-pk")
    )


# Staff reads (the API's lists; callers check the model permission, as the admin does).


def cycles_for_staff() -> QuerySet[ReviewCycle]:
    return ReviewCycle.objects.order_by("-opened_at", "-pk")


def cycles_of_user(user: User) -> QuerySet[ReviewCycle]:
    return cycles_visible_to(user).order_by("-opened_at", "-pk")


def findings_for_staff() -> QuerySet[Finding]:
    return Finding.objects.select_related("cycle", "criterion").order_by("-raised_at", "-pk")


def cases_for_staff() -> QuerySet[ForfeitureCase]:
    return ForfeitureCase.objects.select_related("licence").order_by("-opened_at", "-pk")


def certificates_for_staff() -> QuerySet[ComplianceCertificate]:
    return ComplianceCertificate.objects.select_related("pdf").order_by("-created_at", "-pk")


def certificates_issued_to(user: User) -> QuerySet[ComplianceCertificate]:
    """The certificates of the user's organisations, once issued (a pending one is not yet a
    certificate)."""
    return certificates_visible_to(user).exclude(status=CertificateStatus.PENDING)
