"""Reads. Staff see what their model permissions show them in the admin; a member user sees
their own organisations' licences, review cycles and certificates; another organisation's
record is a 404, whatever the token."""

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router
from ninja.params import functions as param

from compliance import selectors as compliance_selectors
from compliance.models import CaseStatus, CertificateStatus, CycleStatus, FindingStatus
from licensing import selectors as licensing_selectors
from licensing.models import LicenceStatus
from members import selectors as members_selectors
from members.models import ApplicationStatus

from ..auth import TokenAuth, is_staff_scope, require_staff, user_of
from ..paging import ListParams, narrow, page
from ..schemas import (
    MAX_ID,
    ApplicationOut,
    ApplicationPage,
    CaseOut,
    CasePage,
    CertificateOut,
    CertificatePage,
    CycleOut,
    CyclePage,
    FindingOut,
    FindingPage,
    LicenceOut,
    LicencePage,
    MemberOut,
    MemberPage,
    application_data,
    case_data,
    certificate_data,
    cycle_data,
    finding_data,
    licence_data,
    member_data,
)

router = Router(auth=TokenAuth())


def RecordId() -> Any:
    return param.Path(..., ge=1, le=MAX_ID)


# --- members and applications (staff) --------------------------------------------------


@router.get("/members", response=MemberPage, operation_id="list_members")
def list_members(request: HttpRequest, params: Query[ListParams]) -> dict[str, Any]:
    require_staff(request, "members.view_member")
    records = narrow(
        members_selectors.members_for_staff(),
        params,
        member_field="pk",
        stamps=("created_at", "approved_at"),
    )
    return page(request, records, params, member_data)


@router.get("/members/{member_id}", response=MemberOut, operation_id="get_member")
def get_member(request: HttpRequest, member_id: int = RecordId()) -> dict[str, Any]:
    require_staff(request, "members.view_member")
    return member_data(members_selectors.members_for_staff().get(pk=member_id))


@router.get("/applications", response=ApplicationPage, operation_id="list_applications")
def list_applications(
    request: HttpRequest, params: Query[ListParams], status: ApplicationStatus | None = None
) -> dict[str, Any]:
    require_staff(request, "members.view_application")
    records = narrow(
        members_selectors.applications_for_staff(),
        params,
        status=status,
        stamps=("created_at", "submitted_at", "review_started_at", "decided_at"),
    )
    return page(request, records, params, application_data)


@router.get(
    "/applications/{application_id}", response=ApplicationOut, operation_id="get_application"
)
def get_application(request: HttpRequest, application_id: int = RecordId()) -> dict[str, Any]:
    require_staff(request, "members.view_application")
    return application_data(members_selectors.applications_for_staff().get(pk=application_id))


# --- licences, cycles and certificates (staff, or a member's own) ---------------------


def _licences(request: HttpRequest) -> Any:
    if is_staff_scope(request, "licensing.view_licenceagreement"):
        return licensing_selectors.licences_for_staff()
    return licensing_selectors.licences_of_user(user_of(request))


@router.get("/licences", response=LicencePage, operation_id="list_licences")
def list_licences(
    request: HttpRequest, params: Query[ListParams], status: LicenceStatus | None = None
) -> dict[str, Any]:
    records = narrow(
        _licences(request),
        params,
        status=status,
        stamps=("created_at", "issued_at", "ended_at", "signature__signed_at"),
    )
    return page(request, records, params, licence_data)


@router.get("/licences/{licence_id}", response=LicenceOut, operation_id="get_licence")
def get_licence(request: HttpRequest, licence_id: int = RecordId()) -> dict[str, Any]:
    return licence_data(_licences(request).get(pk=licence_id))


def _cycles(request: HttpRequest) -> Any:
    if is_staff_scope(request, "compliance.view_reviewcycle"):
        return compliance_selectors.cycles_for_staff()
    return compliance_selectors.cycles_of_user(user_of(request))


@router.get("/cycles", response=CyclePage, operation_id="list_cycles")
def list_cycles(
    request: HttpRequest, params: Query[ListParams], status: CycleStatus | None = None
) -> dict[str, Any]:
    records = narrow(_cycles(request), params, status=status, stamps=("opened_at", "decided_at"))
    return page(request, records, params, cycle_data)


@router.get("/cycles/{cycle_id}", response=CycleOut, operation_id="get_cycle")
def get_cycle(request: HttpRequest, cycle_id: int = RecordId()) -> dict[str, Any]:
    return cycle_data(_cycles(request).get(pk=cycle_id))


def _certificates(request: HttpRequest) -> Any:
    if is_staff_scope(request, "compliance.view_compliancecertificate"):
        return compliance_selectors.certificates_for_staff()
    return compliance_selectors.certificates_issued_to(user_of(request))


@router.get("/certificates", response=CertificatePage, operation_id="list_certificates")
def list_certificates(
    request: HttpRequest, params: Query[ListParams], status: CertificateStatus | None = None
) -> dict[str, Any]:
    records = narrow(
        _certificates(request),
        params,
        status=status,
        stamps=("created_at", "issued_at", "ended_at"),
    )
    return page(request, records, params, certificate_data)


@router.get(
    "/certificates/{certificate_id}", response=CertificateOut, operation_id="get_certificate"
)
def get_certificate(request: HttpRequest, certificate_id: int = RecordId()) -> dict[str, Any]:
    return certificate_data(_certificates(request).get(pk=certificate_id))


# --- findings and cases (staff) ---------------------------------------------------------


@router.get("/findings", response=FindingPage, operation_id="list_findings")
def list_findings(
    request: HttpRequest, params: Query[ListParams], status: FindingStatus | None = None
) -> dict[str, Any]:
    require_staff(request, "compliance.view_finding")
    records = narrow(
        compliance_selectors.findings_for_staff(),
        params,
        status=status,
        member_field="cycle__member_id",
        stamps=("raised_at", "action_submitted_at", "resolved_at"),
    )
    return page(request, records, params, finding_data)


@router.get("/findings/{finding_id}", response=FindingOut, operation_id="get_finding")
def get_finding(request: HttpRequest, finding_id: int = RecordId()) -> dict[str, Any]:
    require_staff(request, "compliance.view_finding")
    return finding_data(compliance_selectors.findings_for_staff().get(pk=finding_id))


@router.get("/cases", response=CasePage, operation_id="list_cases")
def list_cases(
    request: HttpRequest, params: Query[ListParams], status: CaseStatus | None = None
) -> dict[str, Any]:
    require_staff(request, "compliance.view_forfeiturecase")
    records = narrow(
        compliance_selectors.cases_for_staff(),
        params,
        status=status,
        member_field="licence__member_id",
        stamps=("opened_at", "notice_sent_at", "responded_at", "decided_at", "reinstated_at"),
    )
    return page(request, records, params, case_data)


@router.get("/cases/{case_id}", response=CaseOut, operation_id="get_case")
def get_case(request: HttpRequest, case_id: int = RecordId()) -> dict[str, Any]:
    require_staff(request, "compliance.view_forfeiturecase")
    return case_data(compliance_selectors.cases_for_staff().get(pk=case_id))
