"""The auditor area: read-only, and only for the members an auditor is granted."""

from dataclasses import dataclass
from typing import cast

from django.core.exceptions import ObjectDoesNotExist
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render

from alliance_portal.documents import document_response
from alliance_portal.http import refuse_method
from alliance_portal.roles import is_auditor
from alliance_portal.spreadsheets import SafeCsvWriter
from licensing.models import LicenceAgreement
from members.models import Member, User

from . import selectors
from .models import ComplianceCertificate, ReviewCycle


def _auditor(request: HttpRequest) -> User:
    """The signed-in auditor; anyone else finds nothing here."""
    user = cast(User, request.user)
    if not (user.is_authenticated and is_auditor(user)):
        raise Http404
    return user


@dataclass
class Row:
    member: Member
    licence: LicenceAgreement | None
    last_review: ReviewCycle | None
    certificates: list[ComplianceCertificate]


def _rows(user: User) -> list[Row]:
    rows = []
    for member in selectors.granted_members(user):
        licences = list(member.licences.all())
        cycles = list(member.review_cycles.all())
        rows.append(
            Row(
                member=member,
                licence=licences[0] if licences else None,
                last_review=cycles[0] if cycles else None,
                certificates=list(member.certificates.all()),
            )
        )
    return rows


def members(request: HttpRequest) -> HttpResponse:
    user = _auditor(request)
    if refused := refuse_method(request, "GET"):
        return refused
    return render(request, "compliance/auditor_members.html", {"rows": _rows(user)})


def members_csv(request: HttpRequest) -> HttpResponse:
    user = _auditor(request)
    if refused := refuse_method(request, "GET"):
        return refused
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="alliance-members.csv"'
    writer = SafeCsvWriter(response)
    writer.writerow(
        [
            "member",
            "country",
            "licence",
            "licence status",
            "last review",
            "outcome",
            "certificate",
            "certificate status",
        ]
    )
    for row in _rows(user):
        licence, review = row.licence, row.last_review
        certificate = row.certificates[0] if row.certificates else None
        writer.writerow(
            [
                row.member.legal_name,
                str(row.member.country),
                licence.number if licence else "",
                licence.status if licence else "",
                review.decided_at.date().isoformat() if review and review.decided_at else "",
                review.outcome if review else "",
                certificate.number if certificate else "",
                certificate.status if certificate else "",
            ]
        )
    return response


def certificate_pdf(request: HttpRequest, pk: int) -> HttpResponseBase:
    user = _auditor(request)
    try:
        certificate = selectors.certificate_for_auditor(user, pk)
    except ObjectDoesNotExist:
        raise Http404 from None
    if refused := refuse_method(request, "GET"):
        return refused
    return document_response(request, certificate.pdf, actor=user)  # type: ignore[arg-type]
