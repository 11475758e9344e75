"""Names of the staff-side groups. The groups themselves are created by a data migration."""

from typing import Any

STAFF_GROUP = "Customer policy staff"
DECISION_MAKERS_GROUP = "Decision makers"
AUDITORS_GROUP = "Auditors"


def is_auditor(user: Any) -> bool:
    """Asked once per user object (a request's user is loaded afresh for each request)."""
    if not user.is_authenticated:
        return False
    if "_is_auditor" not in user.__dict__:
        user._is_auditor = user.groups.filter(name=AUDITORS_GROUP).exists()
    return bool(user._is_auditor)
