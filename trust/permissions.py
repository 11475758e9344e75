"""Who may do what with reports. Staff predicates refuse ``None`` (no one)."""

from typing import Any


def can_triage_reports(user: Any) -> bool:
    return bool(
        user is not None
        and user.is_active
        and user.is_staff
        and user.has_perm("trust.change_report")
    )


def can_see_reporter_identity(user: Any) -> bool:
    """The reporter's e-mail and address: only staff given this permission, never the member."""
    return bool(
        user is not None
        and user.is_active
        and user.is_staff
        and user.has_perm("trust.view_reporter_identity")
    )
