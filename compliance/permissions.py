from members.models import Member, Role, User
from members.permissions import role_in, roles_of


def can_view_compliance(user: User, member: Member) -> bool:
    return role_in(user, member) is not None


def can_prepare_attestation(user: User, member: Member) -> bool:
    """Signatories and compliance officers answer; viewers only read."""
    return role_in(user, member) in (Role.SIGNATORY, Role.COMPLIANCE_OFFICER)


def can_submit_attestation(user: User, member: Member) -> bool:
    return role_in(user, member) == Role.SIGNATORY


# Staff predicates refuse ``None``: no one. What the portal does by itself (the scheduled
# jobs) goes through the ``*_by_portal`` services, so a forgotten actor is never let through.


def can_review(user: User | None) -> bool:
    return bool(
        user is not None
        and user.is_active
        and user.is_staff
        and user.has_perm("compliance.change_reviewcycle")
    )


def can_manage_cases(user: User | None) -> bool:
    return bool(
        user is not None
        and user.is_active
        and user.is_staff
        and user.has_perm("compliance.change_forfeiturecase")
    )


def can_decide_cases(user: User | None) -> bool:
    return bool(
        user is not None and user.is_active and user.has_perm("compliance.decide_forfeiturecase")
    )


def can_have_calendar_feed(user: User) -> bool:
    """Those who answer for a company (signatories, compliance officers) follow its dates."""
    return bool(user.is_authenticated and user.is_active and roles_of(user) & set(CALENDAR_ROLES))


CALENDAR_ROLES = (Role.SIGNATORY, Role.COMPLIANCE_OFFICER)
