"""Errors as RFC 9457 problem details: ``application/problem+json`` with type, title, status
and detail (and ``errors`` for invalid input). Types are ``about:blank``: the status says what
went wrong, the title is its HTTP name and the detail says why."""

import json
from http import HTTPStatus
from typing import Any

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from alliance_portal.states import IllegalTransition

PROBLEM_CONTENT_TYPE = "application/problem+json"
# The statuses every operation may answer with a problem (401 only where a token is needed).
PROBLEM_STATUSES = (400, 401, 403, 404, 405, 409, 422, 429)


class RateLimited(Exception):
    def __init__(self, retry_after: int) -> None:
        super().__init__("rate limited")
        self.retry_after = retry_after


def problem(
    status: int, detail: str, *, headers: dict[str, str] | None = None, **extra: Any
) -> HttpResponse:
    body = {
        "type": "about:blank",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        **extra,
    }
    response = HttpResponse(
        json.dumps(body, cls=DjangoJSONEncoder), status=status, content_type=PROBLEM_CONTENT_TYPE
    )
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def _messages(error: DjangoValidationError) -> list[str]:
    return [str(message) for message in error.messages]


def _invalid_input(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Pydantic's errors, kept to what a client can act on."""
    return [
        {"loc": [str(part) for part in e.get("loc", ())], "msg": str(e.get("msg", ""))}
        for e in errors
    ]


def install_problem_handlers(api: NinjaAPI) -> None:
    def unauthenticated(request: HttpRequest, exc: Any) -> HttpResponse:
        return problem(
            401,
            _("Send a valid, unexpired API token: Authorization: Bearer <token>."),
            headers={"WWW-Authenticate": 'Bearer realm="api"'},
        )

    def http_error(request: HttpRequest, exc: Any) -> HttpResponse:
        return problem(exc.status_code, str(exc.message))

    def invalid(request: HttpRequest, exc: Any) -> HttpResponse:
        return problem(422, _("The request is not valid."), errors=_invalid_input(list(exc.errors)))

    def refused_by_rule(request: HttpRequest, exc: Any) -> HttpResponse:
        messages = _messages(exc)
        return problem(422, " ".join(messages), errors=[{"loc": [], "msg": m} for m in messages])

    def conflict(request: HttpRequest, exc: Any) -> HttpResponse:
        return problem(409, " ".join(_messages(exc)))

    def forbidden(request: HttpRequest, exc: Any) -> HttpResponse:
        return problem(403, str(exc) or _("You may not do this."))

    def not_found(request: HttpRequest, exc: Any) -> HttpResponse:
        return problem(404, _("There is no such object, or it is not yours to see."))

    def rate_limited(request: HttpRequest, exc: Any) -> HttpResponse:
        return problem(
            429,
            _("Too many requests. Try again in %(seconds)d seconds.")
            % {"seconds": exc.retry_after},
            headers={"Retry-After": str(exc.retry_after)},
        )

    api.add_exception_handler(AuthenticationError, unauthenticated)
    api.add_exception_handler(HttpError, http_error)
    api.add_exception_handler(NinjaValidationError, invalid)
    api.add_exception_handler(DjangoValidationError, refused_by_rule)
    api.add_exception_handler(IllegalTransition, conflict)
    api.add_exception_handler(PermissionDenied, forbidden)
    api.add_exception_handler(Http404, not_found)
    api.add_exception_handler(ObjectDoesNotExist, not_found)
    api.add_exception_handler(RateLimited, rate_limited)
