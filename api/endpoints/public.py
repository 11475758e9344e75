"""What anyone may read without a token: the register and certificate verification."""

from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest
from ninja import Router
from ninja.params import functions as param

from compliance.selectors import certificate_by_code
from compliance.views_public import certificate_facts
from licensing.register import register_slice

from ..auth import public_rate_limit
from ..paging import MAX_OFFSET, link
from ..schemas import RegisterOut, VerificationOut

router = Router(auth=None)


@router.get("/register", response=RegisterOut, operation_id="register")
def register(
    request: HttpRequest,
    q: str = param.Query(
        "", max_length=100, pattern=r"^[^\x00]*$", description="Name, number or country"
    ),
    limit: int = param.Query(
        settings.ALLIANCE_API_PAGE_SIZE,
        ge=1,
        le=settings.ALLIANCE_API_MAX_PAGE_SIZE,
        description="Records per page.",
    ),
    offset: int = param.Query(0, ge=0, le=MAX_OFFSET, description="Records to skip."),
) -> dict[str, Any]:
    """Members in good standing who agreed to be listed (as on the public register page), a
    page at a time: ``results`` with ``next``/``previous`` links; ``members`` repeats
    ``results`` for readers of the earlier, unpaged format."""
    public_rate_limit(request)
    found = register_slice(q, offset, limit)
    end = offset + limit
    return {
        "query": q.strip(),
        "count": found.count,
        "next": link(request, end) if end < found.count else None,
        "previous": link(request, max(0, offset - limit)) if offset > 0 else None,
        "results": found.rows,
        "members": found.rows,
    }


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
