"""/api/v1/ (the REST API) and /portal/api-tokens/ (a member user's tokens)."""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, URLResolver, include, path, re_path
from django.utils.translation import gettext as _
from django.views.generic import RedirectView

from . import views
from .api import api
from .problems import problem


def _problem_for_405(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """django-ninja answers an unsupported method with a plain 405: make it a problem."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        if response.status_code == 405 and not response.get("Content-Type", "").startswith(
            "application/problem+json"
        ):
            return problem(
                405,
                _("This method is not allowed here."),
                headers={"Allow": response.get("Allow", "")},
            )
        return response

    return wrapped


def _api_patterns() -> list[URLPattern | URLResolver]:
    patterns, _app, _namespace = api.urls
    wrapped: list[URLPattern | URLResolver] = []
    for pattern in patterns:
        if isinstance(pattern, URLPattern):
            pattern = URLPattern(
                pattern.pattern,
                _problem_for_405(pattern.callback),
                pattern.default_args,
                pattern.name,
            )
        wrapped.append(pattern)
    return wrapped


def _unknown(request: HttpRequest, rest: str) -> HttpResponse:
    return problem(404, _("There is no such endpoint."))


_unknown.csrf_exempt = True  # type: ignore[attr-defined]

urlpatterns = [
    path("api/v1/", RedirectView.as_view(pattern_name="api:openapi-view"), name="api_root"),
    path("api/v1/", include((_api_patterns(), "api"), namespace="api")),
    re_path(r"^api/(?P<rest>.*)$", _unknown),
    path("portal/api-tokens/", views.token_list, name="api_tokens"),
    path("portal/api-tokens/<int:pk>/revoke/", views.token_revoke, name="api_token_revoke"),
]
