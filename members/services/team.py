"""A member's team: invitations (single-use, hashed, 7 days) and roles.

A member always keeps at least one signatory: the last one can be neither demoted nor removed.
"""

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from alliance_portal.audit import audit_record
from alliance_portal.emails import absolute_url, email_queue
from alliance_portal.locks import for_update, lock
from members.models import Invitation, Member, Membership, Role, User


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _require_manager(actor: User, member: Member) -> Member:
    """Lock the member row (team changes of one member happen one at a time), then check the
    actor's role afresh: it may have changed while we waited for the lock."""
    locked = lock(Member, member.pk)
    if not locked.memberships.filter(user=actor, role=Role.SIGNATORY).exists():
        raise PermissionDenied(_("Only a signatory of the company may manage its team."))
    return locked


def _check_role(role: str) -> None:
    if role not in Role.values:
        raise ValidationError(_("Choose a role."), code="role")


def invitation_create(
    *,
    actor: User,
    member: Member,
    email: str,
    role: str,
    request: HttpRequest | None = None,
) -> tuple[Invitation, str]:
    """Invite someone by e-mail. Returns the invitation and the token (only ever e-mailed)."""
    _check_role(role)
    email = User.objects.normalize_email(email.strip())
    with transaction.atomic():
        locked = _require_manager(actor, member)
        if locked.memberships.filter(user__email__iexact=email).exists():
            raise ValidationError(
                _("%(email)s is already in the team.") % {"email": email}, code="already_member"
            )
        now = timezone.now()
        # A new invitation replaces any earlier one still open for the same address.
        Invitation.objects.filter(
            member=locked, email__iexact=email, accepted_at__isnull=True, revoked_at__isnull=True
        ).update(revoked_at=now)
        token = secrets.token_urlsafe(32)
        invitation = Invitation.objects.create(
            member=locked,
            email=email,
            role=role,
            token_hash=_token_hash(token),
            invited_by=actor,
            created_at=now,
            expires_at=now + timedelta(days=settings.ALLIANCE_INVITATION_DAYS),
        )
        audit_record(
            actor=actor,
            action="invitation.created",
            target=invitation,
            payload={"member": locked.pk, "email": email, "role": role},
            request=request,
        )
        invitee = User.objects.filter(email__iexact=email).first()
        email_queue(
            to=email,
            template="invitation",
            language=invitee.language if invitee else (actor.language or "en"),
            context={
                "company": locked.legal_name,
                "inviter": actor.get_full_name(),
                "role": role,
                "url": absolute_url(reverse("portal:invitation_accept", args=[token])),
                "expires": invitation.expires_at.date().isoformat(),
            },
            about=invitation,
            member_id=locked.pk,
            # The link carries the invitation's secret token: never kept after delivery.
            sensitive=True,
        )
    return invitation, token


def invitation_accept(*, actor: User, token: str, request: HttpRequest | None = None) -> Membership:
    with transaction.atomic():
        invitation = (
            for_update(Invitation.objects.select_related("member"))
            .filter(token_hash=_token_hash(token))
            .first()
        )
        if invitation is None or invitation.revoked_at is not None:
            raise ValidationError(_("This invitation is not valid."), code="invalid")
        if invitation.accepted_at is not None:
            raise ValidationError(_("This invitation has already been used."), code="used")
        if invitation.expires_at <= timezone.now():
            raise ValidationError(
                _("This invitation has expired. Ask for a new one."), code="expired"
            )
        if invitation.email.lower() != actor.email.lower():
            raise ValidationError(
                _("This invitation was sent to another e-mail address."), code="wrong_user"
            )
        if Membership.objects.filter(user=actor, member=invitation.member).exists():
            raise ValidationError(_("You are already in this team."), code="already_member")
        membership = Membership.objects.create(
            user=actor, member=invitation.member, role=invitation.role
        )
        invitation.accepted_at = timezone.now()
        invitation.accepted_by = actor
        invitation.save(update_fields=["accepted_at", "accepted_by"])
        audit_record(
            actor=actor,
            action="invitation.accepted",
            target=invitation,
            payload={"member": invitation.member_id, "role": invitation.role},
            request=request,
        )
    return membership


def invitation_revoke(
    *, actor: User, invitation: Invitation, request: HttpRequest | None = None
) -> None:
    with transaction.atomic():
        _require_manager(actor, invitation.member)
        locked = lock(Invitation, invitation.pk)
        if not locked.is_open:
            raise ValidationError(_("This invitation is no longer open."), code="closed")
        locked.revoked_at = timezone.now()
        locked.save(update_fields=["revoked_at"])
        audit_record(actor=actor, action="invitation.revoked", target=locked, request=request)


def _keeps_a_signatory(member: Member, leaving: Membership) -> bool:
    return (
        member.memberships.filter(role=Role.SIGNATORY).exclude(pk=leaving.pk).exists()
        or leaving.role != Role.SIGNATORY
    )


def membership_change_role(
    *,
    actor: User,
    membership: Membership,
    role: str,
    request: HttpRequest | None = None,
) -> Membership:
    _check_role(role)
    with transaction.atomic():
        member = _require_manager(actor, membership.member)
        locked = for_update(Membership.objects.all()).get(pk=membership.pk, member=member)
        if locked.role == role:
            return locked
        if role != Role.SIGNATORY and not _keeps_a_signatory(member, locked):
            raise ValidationError(
                _("The company must keep at least one signatory."), code="last_signatory"
            )
        previous = locked.role
        locked.role = role
        locked.save(update_fields=["role"])
        audit_record(
            actor=actor,
            action="membership.role_changed",
            target=locked,
            payload={"user": locked.user.email, "from": previous, "to": role},
            request=request,
        )
    return locked


def membership_remove(
    *, actor: User, membership: Membership, request: HttpRequest | None = None
) -> None:
    with transaction.atomic():
        member = _require_manager(actor, membership.member)
        locked = for_update(Membership.objects.select_related("user")).get(
            pk=membership.pk, member=member
        )
        if not _keeps_a_signatory(member, locked):
            raise ValidationError(
                _("The company must keep at least one signatory."), code="last_signatory"
            )
        payload = {"user": locked.user.email, "role": locked.role}
        locked.delete()  # a DELETE locks the row harder (FOR UPDATE): before the event
        audit_record(
            actor=actor,
            action="membership.removed",
            target=member,
            payload=payload,
            request=request,
        )
