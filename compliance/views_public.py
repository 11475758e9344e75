"""Public verification of compliance certificates, by code, QR or the PDF itself."""

import hashlib
from datetime import date
from typing import Any

from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from alliance_portal.audit import client_ip

from .models import CertificateStatus, Grounds
from .selectors import (
    certificate_by_code,
    certificate_by_sha256,
    certificate_revoking_case,
    certificate_successor,
)

RATE_LIMIT = 60  # lookups per address per minute
MAX_PDF_BYTES = 20 * 1024 * 1024


def _rate_limited(request: HttpRequest) -> bool:
    key = f"verify:{client_ip(request) or 'unknown'}"
    cache.add(key, 0, timeout=60)
    try:
        return cache.incr(key) > RATE_LIMIT
    except ValueError:  # expired between add and incr
        return False


def _too_many() -> HttpResponse:
    return HttpResponse(_("Too many checks from your address. Try again in a minute."), status=429)


def certificate_facts(certificate: Any) -> dict[str, Any]:
    """What anyone may know about a certificate: its state, not the member's affairs. A
    revocation names its category (the decision and its grounds), never the reasons' text."""
    if certificate is None:
        return {"found": False, "status": "not_found"}
    status = certificate.status
    # Between the end of its validity and the nightly expiry run it is already not valid.
    lapsed = status == CertificateStatus.ISSUED and certificate.valid_until < timezone.localdate()
    if lapsed:
        status = CertificateStatus.EXPIRED
    case = certificate_revoking_case(certificate)
    successor = (
        certificate_successor(certificate) if status == CertificateStatus.SUPERSEDED else None
    )
    ended_on = certificate.ended_at.date() if certificate.ended_at else None
    return {
        "found": True,
        "status": status,
        "status_label": str(CertificateStatus(status).label),
        "valid": status == CertificateStatus.ISSUED,
        "number": certificate.number,
        "member": certificate.member.legal_name,
        "licence_number": certificate.licence.number,
        "valid_from": certificate.valid_from.isoformat(),
        "valid_until": certificate.valid_until.isoformat(),
        "ended_on": ended_on.isoformat() if ended_on else None,
        "revoked_by_decision": case.decision if case else None,
        "revoked_on_grounds": case.grounds if case else None,
        "current_certificate_url": (
            reverse("verify:code", args=[successor.verification_code]) if successor else None
        ),
        "pdf_sha256": certificate.pdf.sha256 if certificate.pdf_id else None,
    }


def _result(request: HttpRequest, facts: dict[str, Any], **extra: Any) -> HttpResponse:
    """The result page: the facts, with dates and categories ready to be read."""
    readable: dict[str, Any] = {}
    if facts["found"]:
        readable = {
            "valid_from": date.fromisoformat(facts["valid_from"]),
            "valid_until": date.fromisoformat(facts["valid_until"]),
            "ended_on": date.fromisoformat(facts["ended_on"]) if facts["ended_on"] else None,
            "grounds": (
                Grounds(facts["revoked_on_grounds"]).label if facts["revoked_on_grounds"] else None
            ),
        }
    return render(
        request,
        "compliance/verify_result.html",
        {"facts": facts, "readable": readable, **extra},
        status=200 if facts["found"] else 404,
    )


@require_http_methods(["GET", "HEAD", "POST"])
def verify(request: HttpRequest) -> HttpResponse:
    """Enter a code, or drop a PDF: its SHA-256 is looked up among issued certificates."""
    if request.method == "POST":
        if _rate_limited(request):
            return _too_many()
        upload = request.FILES.get("pdf")
        if upload is None or not upload.size or upload.size > MAX_PDF_BYTES:
            return render(
                request,
                "compliance/verify.html",
                {"error": _("Choose the certificate's PDF file (at most 20 MB).")},
                status=400,
            )
        digest = hashlib.sha256()
        for chunk in upload.chunks():
            digest.update(chunk)
        certificate = certificate_by_sha256(digest.hexdigest())
        return _result(
            request, certificate_facts(certificate), by_file=True, sha256=digest.hexdigest()
        )
    code = request.GET.get("code", "").strip()
    if code:
        return redirect("verify:code", code=code[:64])
    return render(request, "compliance/verify.html")


@require_safe
def verify_code(request: HttpRequest, code: str) -> HttpResponse:
    if _rate_limited(request):
        return _too_many()
    facts = certificate_facts(certificate_by_code(code))
    if request.GET.get("format") == "json":
        return JsonResponse(facts, status=200 if facts["found"] else 404)
    return _result(request, facts)
