"""Who may hold, make and revoke API tokens, and manage webhooks."""

from typing import Any

from members.models import User


def _is_member_user(user: User) -> bool:
    return user.memberships.exists()


def may_use_api(user: User) -> bool:
    """A token works only while its user is active and still staff or in a member's team:
    someone who leaves the company loses the API with the portal."""
    return bool(user.is_active and (user.is_staff or _is_member_user(user)))


def can_manage_own_tokens(user: Any) -> bool:
    """Member users make their tokens in the portal. Staff make theirs in the admin, behind
    two-factor sign-in, never in the portal (a password alone would give a staff token)."""
    return bool(
        user.is_authenticated and user.is_active and not user.is_staff and _is_member_user(user)
    )


def can_issue_tokens(actor: User | None) -> bool:
    return bool(
        actor is not None
        and actor.is_active
        and actor.is_staff
        and actor.has_perm("api.add_apitoken")
    )


def is_service_account(user: User) -> bool:
    """A user who cannot sign in (no usable password): a machine acting through the API."""
    return bool(user.is_active and not user.has_usable_password())


def can_create_token(actor: User | None, owner: User) -> bool:
    """Anyone entitled makes tokens for themselves; staff with the permission also for a
    service account, never for another person (that would let them act as that person)."""
    if actor is None or not actor.is_active:
        return False
    if actor.pk == owner.pk:
        return can_manage_own_tokens(actor) or can_issue_tokens(actor)
    return can_issue_tokens(actor) and is_service_account(owner)


def can_revoke_token(actor: User | None, token_user_id: int) -> bool:
    if actor is None or not actor.is_active:
        return False
    if actor.pk == token_user_id:
        return True
    return bool(actor.is_staff and actor.has_perm("api.change_apitoken"))


def can_manage_webhooks(user: User | None) -> bool:
    return bool(
        user is not None
        and user.is_active
        and user.is_staff
        and user.has_perm("api.change_webhookendpoint")
    )


def can_resend_webhooks(user: User | None) -> bool:
    return bool(
        user is not None
        and user.is_active
        and user.is_staff
        and user.has_perm("api.resend_webhookdelivery")
    )
