"""Small helpers for views that load a scoped object first and check the method after,
so that an object someone may not see is a 404 whatever the method."""

from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed


def refuse_method(request: HttpRequest, *allowed: str) -> HttpResponse | None:
    """A 405 response unless the request uses one of `allowed` (HEAD goes with GET)."""
    methods = set(allowed) | ({"HEAD"} if "GET" in allowed else set())
    if request.method not in methods:
        return HttpResponseNotAllowed(sorted(methods))
    return None
