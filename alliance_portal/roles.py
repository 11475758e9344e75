"""Names of the staff-side groups. The groups themselves are created by a data migration."""

from typing import Any

STAFF_GROUP = "Customer policy staff"
DECISION_MAKERS_GROUP = "Decision makers"
AUDITORS_GROUP = "Auditors"


def is_auditor(user: Any) -> bool:
    """Asked once per user object (a request's user is loaded afresh for each request)."""
    if not user.is_authenticated:
        return False
    cached: bool | None = getattr(user, "_is_auditor_cache", None)
    if cached is None:
        cached = user.groups.filter(name=AUDITORS_GROUP).exists()
        user._is_auditor_cache = cached
    return bool(cached)
