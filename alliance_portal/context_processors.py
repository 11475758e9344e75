from django.http import HttpRequest

from .roles import is_auditor


def navigation(request: HttpRequest) -> dict[str, object]:
    """What the navigation bar offers: it depends on who is looking."""
    user = getattr(request, "user", None)
    authenticated = bool(user and user.is_authenticated)
    return {
        "nav_is_staff": authenticated and user.is_staff,  # type: ignore[union-attr]
        "nav_is_auditor": authenticated and is_auditor(user),
    }
