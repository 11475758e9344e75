"""A member's own compliance certificates: current and past, each with its PDF, the public
verification link and its QR code.

Certificates are loaded through a selector scoped to the user's memberships, so another
company's certificate is 404 whatever the method.
"""

from dataclasses import dataclass
from typing import cast

import segno
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ObjectDoesNotExist
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.http import require_safe

from alliance_portal.documents import document_response
from alliance_portal.http import refuse_method
from members.models import User

from . import selectors
from .models import CertificateStatus, ComplianceCertificate
from .services.certificates import verification_url


@dataclass
class CertificateRow:
    certificate: ComplianceCertificate
    verification_url: str
    qr_svg: str


def _qr_svg(url: str) -> SafeString:
    # segno writes the SVG itself from the URL (ours, not user input): safe to inline.
    svg = segno.make(url, error="m").svg_inline(scale=3, dark="#0b3b60", omitsize=True)
    return mark_safe(svg)  # noqa: S308


@login_required
@require_safe
def certificates(request: HttpRequest) -> HttpResponse:
    user = cast(User, request.user)
    rows = []
    for certificate in selectors.certificates_visible_to(user):
        url = verification_url(certificate)
        rows.append(
            CertificateRow(
                certificate=certificate,
                verification_url=url,
                # A pending certificate is not yet verifiable: no QR code to scan for it.
                qr_svg=_qr_svg(url) if certificate.status == CertificateStatus.ISSUED else "",
            )
        )
    current = [row for row in rows if row.certificate.status == CertificateStatus.ISSUED]
    pending = [row for row in rows if row.certificate.status == CertificateStatus.PENDING]
    past = [row for row in rows if row not in current and row not in pending]
    return render(
        request,
        "compliance/certificates.html",
        {"current": current, "pending": pending, "past": past},
    )


@login_required
def certificate_pdf(request: HttpRequest, pk: int) -> HttpResponseBase:
    user = cast(User, request.user)
    try:
        certificate = selectors.certificate_pdf_for_user(user, pk)
    except ObjectDoesNotExist:
        raise Http404 from None
    if refused := refuse_method(request, "GET"):
        return refused
    return document_response(request, certificate.pdf, actor=user)  # type: ignore[arg-type]
