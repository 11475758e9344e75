"""Who may do what with screening. Staff predicates refuse ``None``: jobs act through the
services' own ``by_portal`` paths."""

from members.models import User


def can_triage_hits(user: User | None) -> bool:
    return bool(
        user is not None
        and user.is_active
        and user.is_staff
        and user.has_perm("screening.change_hit")
    )


def can_confirm_hits(user: User | None) -> bool:
    """The second person of the four eyes: a decision maker."""
    return bool(
        user is not None
        and user.is_active
        and user.is_staff
        and user.has_perm("screening.confirm_hit")
    )


def can_import_lists(user: User | None) -> bool:
    return bool(
        user is not None
        and user.is_active
        and user.is_staff
        and user.has_perm("screening.add_listversion")
    )
