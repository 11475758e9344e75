from django.http import HttpRequest

from .notifications import unread_count
from .roles import is_auditor


def navigation(request: HttpRequest) -> dict[str, object]:
    """What the navigation bar offers: it depends on who is looking."""
    user = getattr(request, "user", None)
    authenticated = bool(user and user.is_authenticated)
    return {
        "nav_is_staff": authenticated and user.is_staff,  # type: ignore[union-attr]
        "nav_is_auditor": authenticated and is_auditor(user),
        # A callable: the template counts (one indexed query) only where it shows the badge.
        "nav_unread": (lambda: unread_count(user)) if authenticated else 0,
    }
