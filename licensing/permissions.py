from members.models import Role, User
from members.permissions import role_in

from .models import LicenceAgreement


def can_view_licence(user: User, licence: LicenceAgreement) -> bool:
    return role_in(user, licence.member) is not None


def can_sign_licence(user: User, licence: LicenceAgreement) -> bool:
    return role_in(user, licence.member) == Role.SIGNATORY


def can_manage_licences(user: User | None) -> bool:
    """Staff with the change permission. ``None`` is no one, refused: what the portal does by
    itself (the scheduled jobs) goes through the ``*_by_portal`` services."""
    return bool(
        user is not None
        and user.is_active
        and user.is_staff
        and user.has_perm("licensing.change_licenceagreement")
    )
