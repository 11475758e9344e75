"""Names of the staff-side groups. The groups themselves are created by a data migration."""

from typing import Any

STAFF_GROUP = "Customer policy staff"
DECISION_MAKERS_GROUP = "Decision makers"
AUDITORS_GROUP = "Auditors"


def is_auditor(user: Any) -> bool:
    return bool(user.is_authenticated and user.groups.filter(name=AUDITORS_GROUP).exists())
