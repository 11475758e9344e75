"""A member's 360° page for staff: its licences, reviews, findings, cases, certificates,
documents, team, the e-mails sent to it and its audit trail, on one page.

Each part is shown only to staff who may see that kind of record in the admin (its view
permission), so the page never shows more than the admin would."""

from typing import Any

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _

from members.models import Member

from . import selectors_member as selectors

# Which permission shows which part of the page.
SECTION_PERMISSIONS = {
    "licences": "licensing.view_licenceagreement",
    "cycles": "compliance.view_reviewcycle",
    "findings": "compliance.view_finding",
    "cases": "compliance.view_forfeiturecase",
    "screening": "screening.view_hit",
    "certificates": "compliance.view_compliancecertificate",
    "documents": "members.view_application",
    "team": "members.view_membership",
    "people": "members.view_keyperson",
    "emails": "alliance_portal.view_outboxmessage",
    "timeline": "alliance_portal.view_auditevent",
}


def _before(request: HttpRequest) -> int | None:
    raw = request.GET.get("before", "")
    if not raw:
        return None
    if not raw.isdigit() or len(raw) > 18:
        raise Http404  # not a page of this timeline
    return int(raw)


def member_360(request: HttpRequest, pk: int) -> HttpResponse:
    user: Any = request.user
    if not user.has_perm("members.view_member"):
        raise PermissionDenied
    before = _before(request)
    try:
        member = selectors.member_for_staff(pk)
    except Member.DoesNotExist:
        raise Http404 from None
    shown = {name for name, perm in SECTION_PERMISSIONS.items() if user.has_perm(perm)}
    readers = {
        "licences": selectors.member_licences,
        "cycles": selectors.member_cycles,
        "findings": selectors.member_findings,
        "cases": selectors.member_cases,
        "screening": selectors.member_screening_hits,
        "certificates": selectors.member_certificates,
        "documents": selectors.member_application_documents,
        "emails": selectors.member_messages,
    }
    context: dict[str, Any] = {
        name: reader(member) for name, reader in readers.items() if name in shown
    }
    if "team" in shown:
        context["team"] = selectors.member_team(member)
        context["invitations"] = selectors.member_open_invitations(member)
    if "people" in shown:
        context["people"] = selectors.member_people(member)
    if "timeline" in shown:
        context["timeline"] = selectors.member_timeline(member, before=before)
    return TemplateResponse(
        request,
        "workbench/member_360.html",
        {
            **admin.site.each_context(request),
            **context,
            "title": _("%(member)s: 360° view") % {"member": member.legal_name},
            "member": member,
            "shown": shown,
            "before": before,
            "section_rows": selectors.SECTION_ROWS,
            "timeline_page": selectors.TIMELINE_PAGE,
        },
    )
