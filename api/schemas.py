"""What the API says about each record. One function per record builds its dict, so the same
shape can later be the payload of a webhook event."""

import re
from datetime import UTC, date, datetime
from typing import Annotated, Any

from django.conf import settings
from django.urls import reverse
from ninja import Field, Schema
from pydantic import AfterValidator, BeforeValidator, StrictInt, StringConstraints

from alliance_portal import text_limits
from compliance.models import (
    CaseStatus,
    CertificateStatus,
    ComplianceCertificate,
    CycleStatus,
    FindingStatus,
    ForfeitureCase,
    Grade,
    ReviewCycle,
    Severity,
)
from compliance.models import Finding as FindingModel
from licensing.models import LicenceAgreement, LicenceStatus
from members.models import Application, ApplicationStatus, Member, RiskRating

# Identifiers as the database stores them (a bigint): anything larger is refused as invalid
# input instead of overflowing in the query.
MAX_ID = 2**63 - 1


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("NUL characters are not allowed")
    return value


# RFC 3339, as the schema's "date-time" and "date" formats say: pydantic alone would also take
# a number of seconds, or a date for a date-time.
_DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _rfc3339(pattern: re.Pattern[str]) -> Any:
    def check(value: Any) -> Any:
        if not isinstance(value, str) or not pattern.match(value):
            raise ValueError("not an RFC 3339 date-time" if pattern is _DATE_TIME else "not a date")
        return value

    return BeforeValidator(check)


def _storable_time(value: datetime) -> datetime:
    """Aware and within what the database can store in UTC (a naive time is taken as UTC)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise ValueError("date-time out of range") from None


def _text(limit: int) -> Any:
    return Annotated[
        str,
        StringConstraints(strip_whitespace=True, min_length=1, max_length=limit),
        AfterValidator(_no_nul),
    ]


Since = Annotated[datetime, _rfc3339(_DATE_TIME), AfterValidator(_storable_time)]
Day = Annotated[date, _rfc3339(_DATE)]
BodyId = Annotated[StrictInt, Field(ge=1, le=MAX_ID)]


class Problem(Schema):
    """RFC 9457 problem details."""

    type: str = Field(examples=["about:blank"])
    title: str = Field(examples=["Not Found"])
    status: int = Field(examples=[404])
    detail: str
    errors: list[dict[str, Any]] | None = None


# --- records ----------------------------------------------------------------------------


class MemberOut(Schema):
    id: int
    legal_name: str
    registration_number: str
    country: str
    address: str
    website: str
    kp_registration: str
    contract_reference: str
    risk_rating: RiskRating
    public_listing_consent: bool
    approved_at: datetime
    created_at: datetime


def member_data(member: Member) -> dict[str, Any]:
    return {
        "id": member.pk,
        "legal_name": member.legal_name,
        "registration_number": member.registration_number,
        "country": str(member.country.code),
        "address": member.address,
        "website": member.website,
        "kp_registration": member.kp_registration,
        "contract_reference": member.contract_reference,
        "risk_rating": member.risk_rating,
        "public_listing_consent": member.public_listing_consent,
        "approved_at": member.approved_at,
        "created_at": member.created_at,
    }


class ApplicationOut(Schema):
    id: int
    status: ApplicationStatus
    applicant_email: str
    member_id: int | None
    legal_name: str
    registration_number: str
    country: str
    created_at: datetime
    submitted_at: datetime | None
    decided_at: datetime | None
    decision_reason: str


def application_data(application: Application) -> dict[str, Any]:
    return {
        "id": application.pk,
        "status": application.status,
        "applicant_email": application.applicant.email,
        "member_id": application.member_id,
        "legal_name": application.legal_name,
        "registration_number": application.registration_number,
        "country": str(application.country.code or ""),
        "created_at": application.created_at,
        "submitted_at": application.submitted_at,
        "decided_at": application.decided_at,
        "decision_reason": application.decision_reason,
    }


class LicenceOut(Schema):
    id: int
    number: str | None
    member_id: int
    member_name: str
    status: LicenceStatus
    guidelines_edition: str
    term_years: int
    issued_at: datetime | None
    starts_on: date | None
    ends_on: date | None
    suspended_until: date | None
    ended_at: datetime | None
    previous_id: int | None


def licence_data(licence: LicenceAgreement) -> dict[str, Any]:
    return {
        "id": licence.pk,
        "number": licence.number,
        "member_id": licence.member_id,
        "member_name": licence.member.legal_name,
        "status": licence.status,
        "guidelines_edition": licence.guidelines.edition,
        "term_years": licence.term_years,
        "issued_at": licence.issued_at,
        "starts_on": licence.starts_on,
        "ends_on": licence.ends_on,
        "suspended_until": licence.suspended_until,
        "ended_at": licence.ended_at,
        "previous_id": licence.previous_id,
    }


class CycleOut(Schema):
    id: int
    member_id: int
    licence_id: int
    kind: str
    status: CycleStatus
    due_on: date
    opened_at: datetime
    round: int
    outcome: Grade | None
    decision_note: str
    decided_at: datetime | None


def cycle_data(cycle: ReviewCycle) -> dict[str, Any]:
    return {
        "id": cycle.pk,
        "member_id": cycle.member_id,
        "licence_id": cycle.licence_id,
        "kind": cycle.kind,
        "status": cycle.status,
        "due_on": cycle.due_on,
        "opened_at": cycle.opened_at,
        "round": cycle.round,
        "outcome": cycle.outcome or None,
        "decision_note": cycle.decision_note,
        "decided_at": cycle.decided_at,
    }


class FindingOut(Schema):
    id: int
    cycle_id: int
    member_id: int
    criterion: str | None
    severity: Severity
    status: FindingStatus
    description: str
    corrective_action: str
    due_on: date
    raised_at: datetime
    action_submitted_at: datetime | None
    resolved_at: datetime | None


def finding_data(finding: FindingModel) -> dict[str, Any]:
    return {
        "id": finding.pk,
        "cycle_id": finding.cycle_id,
        "member_id": finding.cycle.member_id,
        "criterion": finding.criterion.code if finding.criterion else None,
        "severity": finding.severity,
        "status": finding.status,
        "description": finding.description,
        "corrective_action": finding.corrective_action,
        "due_on": finding.due_on,
        "raised_at": finding.raised_at,
        "action_submitted_at": finding.action_submitted_at,
        "resolved_at": finding.resolved_at,
    }


class CaseOut(Schema):
    id: int
    licence_id: int
    member_id: int
    grounds: str
    status: CaseStatus
    opened_at: datetime
    notice_sent_at: datetime | None
    response_due_on: date | None
    responded_at: datetime | None
    decision: str | None
    decided_at: datetime | None
    suspended_until: date | None


def case_data(case: ForfeitureCase) -> dict[str, Any]:
    return {
        "id": case.pk,
        "licence_id": case.licence_id,
        "member_id": case.licence.member_id,
        "grounds": case.grounds,
        "status": case.status,
        "opened_at": case.opened_at,
        "notice_sent_at": case.notice_sent_at,
        "response_due_on": case.response_due_on,
        "responded_at": case.responded_at,
        "decision": case.decision or None,
        "decided_at": case.decided_at,
        "suspended_until": case.suspended_until,
    }


class CertificateOut(Schema):
    id: int
    number: str
    member_id: int
    licence_id: int
    cycle_id: int
    outcome: Grade
    status: CertificateStatus
    valid_from: date
    valid_until: date
    issued_at: datetime | None
    ended_at: datetime | None
    verification_url: str
    pdf_sha256: str | None


def certificate_data(certificate: ComplianceCertificate) -> dict[str, Any]:
    path = reverse("verify:code", args=[certificate.verification_code])
    return {
        "id": certificate.pk,
        "number": certificate.number,
        "member_id": certificate.member_id,
        "licence_id": certificate.licence_id,
        "cycle_id": certificate.cycle_id,
        "outcome": certificate.outcome,
        "status": certificate.status,
        "valid_from": certificate.valid_from,
        "valid_until": certificate.valid_until,
        "issued_at": certificate.issued_at,
        "ended_at": certificate.ended_at,
        "verification_url": settings.ALLIANCE_BASE_URL.rstrip("/") + path,
        "pdf_sha256": certificate.pdf.sha256 if certificate.pdf else None,
    }


# --- pages ------------------------------------------------------------------------------


class PageBase(Schema):
    count: int
    next: str | None
    previous: str | None


class MemberPage(PageBase):
    results: list[MemberOut]


class ApplicationPage(PageBase):
    results: list[ApplicationOut]


class LicencePage(PageBase):
    results: list[LicenceOut]


class CyclePage(PageBase):
    results: list[CycleOut]


class FindingPage(PageBase):
    results: list[FindingOut]


class CasePage(PageBase):
    results: list[CaseOut]


class CertificatePage(PageBase):
    results: list[CertificateOut]


# --- public -----------------------------------------------------------------------------


class RegisterEntry(Schema):
    member: str
    country: str
    country_name: str
    licence_number: str
    member_since: date


class RegisterOut(Schema):
    query: str
    count: int
    next: str | None
    previous: str | None
    results: list[RegisterEntry]
    members: list[RegisterEntry] = Field(description="The same as results (the earlier format).")


class VerificationOut(Schema):
    found: bool
    status: str
    status_label: str | None = None
    valid: bool | None = None
    number: str | None = None
    member: str | None = None
    licence_number: str | None = None
    valid_from: date | None = None
    valid_until: date | None = None
    ended_on: date | None = None
    pdf_sha256: str | None = None


# --- writes -----------------------------------------------------------------------------


class RiskRatingIn(Schema):
    risk_rating: RiskRating


class CycleOpenIn(Schema):
    member_id: BodyId
    due_on: Day | None = Field(
        None, description="When the member must answer; by default in the usual answer time."
    )


class FindingIn(Schema):
    cycle_id: BodyId
    severity: Severity
    description: _text(text_limits.TEXT)  # type: ignore[valid-type]
    corrective_action: _text(text_limits.TEXT)  # type: ignore[valid-type]
    due_on: Day
    criterion: Annotated[str, StringConstraints(max_length=10), AfterValidator(_no_nul)] | None = (
        Field(None, description="The Guidelines criterion's code, e.g. 2.2.1.")
    )
