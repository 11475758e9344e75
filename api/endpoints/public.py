"""What anyone may read without a token: the register and certificate verification."""

from typing import Any, cast

from django.http import Http404, HttpRequest
from ninja import Router
from ninja.params import functions as param

from compliance.selectors import certificate_by_code
from compliance.views_public import certificate_facts
from licensing.selectors import public_register

from ..auth import public_rate_limit
from ..schemas import RegisterOut, VerificationOut

router = Router(auth=None)


@router.get("/register", response=RegisterOut, operation_id="register")
def register(
    request: HttpRequest,
    q: str = param.Query(
        "", max_length=100, pattern=r"^[^\x00]*$", description="Name, number or country"
    ),
) -> dict[str, Any]:
    """Members in good standing who agreed to be listed (as on the public register page)."""
    public_rate_limit(request)
    rows = [
        {
            "member": licence.member.legal_name,
            "country": cast(Any, licence.member.country).code,
            "country_name": str(cast(Any, licence.member.country).name),
            "licence_number": licence.number or "",
            "member_since": licence.member.approved_at.date(),
        }
        for licence in public_register(q)
    ]
    return {"query": q, "count": len(rows), "members": rows}


@router.get("/verify/{code}", response=VerificationOut, operation_id="verify_certificate")
def verify(
    request: HttpRequest, code: str = param.Path(..., pattern=r"^[A-Za-z0-9_-]{1,64}$")
) -> dict[str, Any]:
    """A certificate's state by its verification code (the code in its QR link)."""
    public_rate_limit(request)
    certificate = certificate_by_code(code)
    if certificate is None:
        raise Http404
    return certificate_facts(certificate)
