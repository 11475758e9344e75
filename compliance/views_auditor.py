"""The auditor area: read-only, and only for the members an auditor is granted."""

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, cast
from urllib.parse import urlencode

from django.core.exceptions import ObjectDoesNotExist
from django.core.paginator import InvalidPage, Paginator
from django.db import transaction
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render

from alliance_portal.audit import audit_record
from alliance_portal.documents import document_response
from alliance_portal.http import refuse_method
from alliance_portal.roles import is_auditor
from alliance_portal.spreadsheets import SafeCsvWriter
from licensing.models import LicenceAgreement
from members.models import Member, User

from . import selectors
from .evidence_pack import evidence_pack_write, pack_name
from .models import ComplianceCertificate, ReviewCycle


def _auditor(request: HttpRequest) -> User:
    """The signed-in auditor; anyone else finds nothing here."""
    user = cast(User, request.user)
    if not (user.is_authenticated and is_auditor(user)):
        raise Http404
    return user


def _found(load: Callable[..., Any], *args: Any) -> Any:
    """What a grant in force lets the auditor see, or a 404 (as for what does not exist)."""
    try:
        return load(*args)
    except ObjectDoesNotExist:
        raise Http404 from None


@dataclass
class Row:
    member: Member
    licence: LicenceAgreement | None
    last_review: ReviewCycle | None
    certificates: list[ComplianceCertificate]


MEMBERS_PER_PAGE = 25
CSV_CHUNK = 1000


def _row(member: Member) -> Row:
    licences = list(member.licences.all())
    cycles = list(member.review_cycles.all())
    return Row(
        member=member,
        licence=licences[0] if licences else None,
        last_review=cycles[0] if cycles else None,
        certificates=list(member.certificates.all()),
    )


def members(request: HttpRequest) -> HttpResponse:
    """The granted members, 25 a page, searched by name, registration number or country."""
    user = _auditor(request)
    if refused := refuse_method(request, "GET"):
        return refused
    query = request.GET.get("q", "")[:100].strip()
    paginator = Paginator(selectors.granted_members(user, query), MEMBERS_PER_PAGE)
    try:
        page = paginator.page(request.GET.get("page") or 1)
    except InvalidPage:
        raise Http404 from None

    def link(number: int) -> str:
        params = {"q": query} if query else {}
        if number > 1:
            params["page"] = str(number)
        return request.path + ("?" + urlencode(params) if params else "")

    return render(
        request,
        "compliance/auditor_members.html",
        {
            "rows": [_row(member) for member in page.object_list],
            "query": query,
            "page": page.number,
            "pages": paginator.num_pages,
            "previous": link(page.number - 1) if page.has_previous() else None,
            "next": link(page.number + 1) if page.has_next() else None,
        },
    )


class _Echo:
    """A file that hands back what is written to it: each CSV line becomes a chunk."""

    def write(self, text: str) -> str:
        return text


CSV_HEADER = [
    "member",
    "country",
    "licence",
    "licence status",
    "last review",
    "outcome",
    "certificate",
    "certificate status",
]


def _csv_lines(user: User) -> Iterator[str]:
    writer = SafeCsvWriter(_Echo())
    yield writer.writerow(CSV_HEADER)
    # A chunk of members at a time, as plain values: memory stays flat however many
    # members the grant covers.
    for row in selectors.auditor_export_rows(user, chunk_size=CSV_CHUNK):
        yield writer.writerow(
            [
                row.name,
                row.country,
                row.licence_number,
                row.licence_status,
                row.decided_at.date().isoformat() if row.decided_at else "",
                row.outcome,
                row.certificate_number,
                row.certificate_status,
            ]
        )


def members_csv(request: HttpRequest) -> HttpResponseBase:
    """Every granted member as CSV, streamed as it is read."""
    user = _auditor(request)
    if refused := refuse_method(request, "GET"):
        return refused
    response = StreamingHttpResponse(
        _csv_lines(user) if request.method == "GET" else iter(()),
        content_type="text/csv; charset=utf-8",
    )
    response["Content-Disposition"] = 'attachment; filename="alliance-members.csv"'
    response["Cache-Control"] = "no-store, private"
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


CYCLES_PER_PAGE = 10


def member_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A granted member: its review cycles (a page at a time), findings and case decisions."""
    user = _auditor(request)
    member = _found(selectors.member_for_auditor, user, pk)
    if refused := refuse_method(request, "GET"):
        return refused
    cycles = Paginator(selectors.cycles_for_auditor(user).filter(member=member), CYCLES_PER_PAGE)
    return render(
        request,
        "compliance/auditor_member.html",
        {
            "member": member,
            "cycles": cycles.get_page(request.GET.get("page")),
            "findings": selectors.findings_for_auditor(member)[:50],
            "cases": selectors.cases_for_auditor(member),
        },
    )


def cycle_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A submitted attestation as the member gave it, with its findings: read-only."""
    user = _auditor(request)
    cycle = _found(selectors.cycle_for_auditor, user, pk)
    if refused := refuse_method(request, "GET"):
        return refused
    return render(
        request,
        "compliance/auditor_cycle.html",
        {"cycle": cycle, "sections": selectors.cycle_sections(cycle)},
    )


def evidence_download(request: HttpRequest, pk: int, document_id: str) -> HttpResponseBase:
    user = _auditor(request)
    evidence = _found(selectors.evidence_for_auditor, user, pk, document_id)
    if refused := refuse_method(request, "GET"):
        return refused
    return document_response(request, evidence.document, actor=user)


def evidence_pack(request: HttpRequest, pk: int) -> HttpResponseBase:
    """Every evidence file of a cycle and an index PDF, as one ZIP. Audited."""
    user = _auditor(request)
    cycle = _found(selectors.cycle_for_auditor, user, pk)
    if refused := refuse_method(request, "GET"):
        return refused
    handle, files = evidence_pack_write(cycle)
    if request.method == "GET":  # a HEAD request downloads nothing
        with transaction.atomic():
            audit_record(
                actor=user,
                action="cycle.evidence_pack_downloaded",
                target=cycle,
                payload={
                    "member_id": cycle.member_id,
                    "documents": [str(packed.document.pk) for packed in files],
                },
                request=request,
            )
    response = FileResponse(
        handle, as_attachment=True, filename=pack_name(cycle), content_type="application/zip"
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store, private"
    return response
