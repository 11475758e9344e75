from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from .problems import problem


class ApiNulBytesMiddleware:
    """The API's own answer to a NUL character in the query: a problem, not the portal's
    plain 400 page (alliance_portal.middleware.RejectNulBytesMiddleware, which comes after)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith("/api/") and (
            "\x00" in request.path
            or any(
                "\x00" in key or any("\x00" in value for value in values)
                for key, values in request.GET.lists()
            )
        ):
            return problem(400, _("The request contains a NUL character."))
        return self.get_response(request)
