"""Public pages: a member's page by licence number, the report form and the reporter's status
link. No login anywhere: what they show is public, or private to the holder of the link."""

import json
import logging
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from alliance_portal.audit import client_ip
from alliance_portal.documents import UploadRejected
from alliance_portal.emails import absolute_url

from . import services
from .forms import AppealForm, ReportForm
from .models import PublicStage
from .selectors import MemberPage, member_page, report_by_token

logger = logging.getLogger(__name__)

RATE_WINDOW_SECONDS = 3600


def member_facts(page: MemberPage) -> dict[str, Any]:
    """What anyone may know of a listed member: the register's columns, its standing and its
    current certificate's public status (as /verify/ gives it)."""
    certificate = page.certificate
    country: Any = page.member.country
    return {
        "member": page.member.legal_name,
        "country": country.code,
        "country_name": str(country.name),
        "licence_number": page.licence.number or "",
        "member_since": page.member.approved_at.date().isoformat(),  # as the register
        "standing": page.standing,
        "standing_label": page.standing_label,
        "standing_since": page.standing_since.isoformat() if page.standing_since else None,
        "certificate": (
            {
                "number": certificate.number,
                "status": page.certificate_status,
                "status_label": page.certificate_status_label,
                "valid_until": certificate.valid_until.isoformat(),
                "verify_url": absolute_url(
                    reverse("verify:code", args=[certificate.verification_code])
                ),
            }
            if certificate is not None
            else None
        ),
        "url": absolute_url(reverse("trust:member", args=[page.licence.number])),
    }


def _json_ld(facts: dict[str, Any]) -> str:
    """schema.org Organization markup, escaped for a <script> element."""
    data = {
        "@context": "https://schema.org",
        "@type": "Organization",
        "name": facts["member"],
        "url": facts["url"],
        "address": {"@type": "PostalAddress", "addressCountry": facts["country"]},
        "identifier": {
            "@type": "PropertyValue",
            "propertyID": "ALROSA ALLIANCE licence",
            "value": facts["licence_number"],
        },
        "memberOf": {
            "@type": "ProgramMembership",
            "programName": "ALROSA ALLIANCE",
            "membershipNumber": facts["licence_number"],
            "startDate": facts["member_since"],
        },
    }
    text = json.dumps(data, ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


@require_safe
def member(request: HttpRequest, number: str) -> HttpResponse:
    page = member_page(number)
    wants_json = request.GET.get("format") == "json"
    if page is None:
        if wants_json:
            return JsonResponse({"found": False}, status=404)
        raise Http404("not a listed member")
    facts = member_facts(page)
    if wants_json:
        return JsonResponse(facts)
    return render(
        request,
        "trust/member.html",
        {"page": page, "facts": facts, "json_ld": _json_ld(facts)},
    )


def _rate_limited(request: HttpRequest) -> bool:
    key = f"trust-report:{client_ip(request) or 'unknown'}"
    cache.add(key, 0, timeout=RATE_WINDOW_SECONDS)
    limit: int = settings.ALLIANCE_REPORT_RATE_LIMIT
    try:
        return int(cache.incr(key)) > limit
    except ValueError:  # expired between add and incr
        return False


SPAM_MESSAGES = {
    "honeypot": gettext_lazy("The form could not be accepted. Please try again."),
    "stale": gettext_lazy("The form has expired. Please fill it in again."),
    "too_fast": gettext_lazy("The form was sent too quickly. Please check it and send it again."),
}


@require_http_methods(["GET", "HEAD", "POST"])
def report(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return render(request, "trust/report.html", {"form": ReportForm(request=request)})
    if _rate_limited(request):
        return render(
            request,
            "trust/report_refused.html",
            {"message": _("Too many reports from your address. Please try again in an hour.")},
            status=429,
        )
    form = ReportForm(request.POST, request.FILES, request=request)
    spam = form.spam_problem()
    if spam is not None:
        logger.info("Report form refused: %s", spam)
        fresh = ReportForm(request=request, initial=_kept(request))
        return render(
            request,
            "trust/report.html",
            {"form": fresh, "refusal": SPAM_MESSAGES[spam]},
            status=400,
        )
    if form.is_valid():
        data = form.cleaned_data
        try:
            created, token = services.report_submit(
                category=data["category"],
                description=data["description"],
                member=data["member"],
                reporter_email=data["email"],
                reporter_ip=client_ip(request),
                language=get_language() or settings.LANGUAGE_CODE,
                files=data["evidence"],
            )
        except UploadRejected as error:
            form.add_error("evidence", error.messages)
        except ValidationError as error:
            form.add_error(None, error.messages)
        else:
            messages.success(
                request,
                _(
                    "Your report %(reference)s was received. Keep this page's address: it is "
                    "your private link to follow the report, and it cannot be sent again."
                )
                % {"reference": created.reference},
            )
            return redirect("trust:report_status", token=token)
    return render(request, "trust/report.html", {"form": form}, status=400)


def _kept(request: HttpRequest) -> dict[str, Any]:
    """What a refused form shows again (not the honeypot, not the files)."""
    return {
        name: request.POST.get(name, "") for name in ("category", "member", "description", "email")
    }


@require_http_methods(["GET", "HEAD", "POST"])
def report_status(request: HttpRequest, token: str) -> HttpResponse:
    found = report_by_token(token)
    if found is None:
        raise Http404("no such report")
    form = AppealForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.report_appeal(report=found, text=form.cleaned_data["text"])
            except ValidationError as error:
                form.add_error(None, error.messages)
            else:
                messages.success(request, _("Your appeal was received."))
                return redirect("trust:report_status", token=token)
        status = 400
    response = render(
        request,
        "trust/report_status.html",
        {"report": found, "form": form, "stages": list(PublicStage)},
        status=status,
    )
    # The address is the secret: not cached by anyone, not passed on as a referrer.
    response["Cache-Control"] = "no-store, private"
    response["Referrer-Policy"] = "no-referrer"
    return response
