"""Who may do what, as small predicates shared by views and services."""

from .models import Application, Member, Membership, Role, User


def role_in(user: User, member: Member | None) -> str | None:
    if member is None or not user.is_authenticated:
        return None
    membership = next((m for m in _memberships(user) if m.member_id == member.pk), None)
    return membership.role if membership else None


def _memberships(user: User) -> list[Membership]:
    # One query per request and user, reused by every predicate.
    cached: list[Membership] | None = getattr(user, "_membership_cache", None)
    if cached is None:
        cached = list(Membership.objects.filter(user=user))
        user._membership_cache = cached  # type: ignore[attr-defined]
    return cached


def member_ids_of(user: User) -> list[int]:
    """The companies the person belongs to (from the same per-request cache)."""
    if not user.is_authenticated:
        return []
    return [membership.member_id for membership in _memberships(user)]


def roles_of(user: User) -> set[str]:
    """The person's roles in any company (from the same per-request cache)."""
    if not user.is_authenticated:
        return set()
    return {membership.role for membership in _memberships(user)}


def can_view_application(user: User, application: Application) -> bool:
    return application.applicant_id == user.pk or role_in(user, application.member) is not None


def can_edit_application(user: User, application: Application) -> bool:
    """The applicant prepares the application; once the company is a member, its signatory."""
    if application.member_id is None:
        return application.applicant_id == user.pk
    return role_in(user, application.member) == Role.SIGNATORY


can_submit_application = can_edit_application


def can_view_team(user: User, member: Member) -> bool:
    return role_in(user, member) is not None


def can_manage_team(user: User, member: Member) -> bool:
    return role_in(user, member) == Role.SIGNATORY


def can_manage_people(user: User, member: Member) -> bool:
    """Owners and key people are kept current by the signatory or the compliance officer."""
    return role_in(user, member) in (Role.SIGNATORY, Role.COMPLIANCE_OFFICER)


def can_review_people(user: User | None) -> bool:
    return bool(
        user is not None
        and user.is_active
        and user.is_staff
        and user.has_perm("members.change_keyperson")
    )


def can_review_applications(user: User) -> bool:
    return bool(user.is_active and user.is_staff and user.has_perm("members.change_application"))


def can_manage_members(user: User) -> bool:
    return bool(user.is_active and user.is_staff and user.has_perm("members.change_member"))


def can_update_member_documents(user: User, member: Member) -> bool:
    """Signatories and compliance officers keep the company's documents up to date."""
    return role_in(user, member) in (Role.SIGNATORY, Role.COMPLIANCE_OFFICER)
