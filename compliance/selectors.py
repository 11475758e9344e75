from dataclasses import dataclass, field

from django.db.models import Prefetch, QuerySet

from licensing.models import LicenceAgreement
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
    Finding,
    ForfeitureCase,
    ReviewCycle,
    answer_gaps,
)


def cycles_visible_to(user: User) -> QuerySet[ReviewCycle]:
    return ReviewCycle.objects.filter(member__memberships__user=user)


def cycle_for_user(user: User, pk: int) -> ReviewCycle:
    """A cycle with everything the attestation page shows, in a fixed number of queries."""
    return (
        cycles_visible_to(user)
        .select_related("member", "licence__guidelines")
        .prefetch_related(
            Prefetch(
                "answers",
                queryset=Answer.objects.select_related("criterion__section").prefetch_related(
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


def evidence_for_user(user: User, cycle_pk: int, document_pk: str) -> AnswerEvidence:
    return AnswerEvidence.objects.select_related("document", "answer__cycle").get(
        answer__cycle__in=cycles_visible_to(user).filter(pk=cycle_pk), document_id=document_pk
    )


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
        if gaps:
            progress.missing.append((answer.criterion.code, ", ".join(gaps)))
        else:
            progress.complete += 1
    return progress


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


def granted_members(user: User) -> QuerySet[Member]:
    """The members an auditor may see today: every member if a grant says so."""
    from django.utils import timezone

    grants = AuditorGrant.objects.filter(auditor=user, expires_on__gte=timezone.localdate())
    if grants.filter(member__isnull=True).exists():
        members = Member.objects.all()
    else:
        members = Member.objects.filter(auditor_grants__in=grants).distinct()
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
    ).order_by("legal_name")


def certificate_for_auditor(user: User, pk: int) -> ComplianceCertificate:
    return ComplianceCertificate.objects.select_related("pdf", "member").get(
        pk=pk, member__in=granted_members(user).values("pk"), pdf__isnull=False
    )
