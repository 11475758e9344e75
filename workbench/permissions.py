"""Who may see what on the staff workbench."""

from members.models import User


def can_use_workbench(user: User | None) -> bool:
    return bool(user is not None and user.is_active and user.is_staff)


def can_see(user: User, app_label: str, model_name: str) -> bool:
    """The admin's own rule for a list: the view or the change permission of its model."""
    return user.has_perm(f"{app_label}.view_{model_name}") or user.has_perm(
        f"{app_label}.change_{model_name}"
    )
