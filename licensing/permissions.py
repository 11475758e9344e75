from members.models import Member, Role, User
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


def can_view_logo_uses(user: User, member: Member) -> bool:
    return role_in(user, member) is not None


def can_submit_logo_use(user: User, member: Member) -> bool:
    """The signatory or the compliance officer of the member puts a planned use forward."""
    return role_in(user, member) in (Role.SIGNATORY, Role.COMPLIANCE_OFFICER)


def can_review_logo_uses(user: User | None) -> bool:
    return bool(
        user is not None
        and user.is_active
        and user.is_staff
        and user.has_perm("licensing.change_logouse")
    )
