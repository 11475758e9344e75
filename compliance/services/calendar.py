"""A member user's personal calendar feed token: made (shown once) and revoked."""

import secrets

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from alliance_portal.audit import audit_record
from alliance_portal.calendar import calendar_token_hash
from members.models import User

from ..models import MemberCalendarToken
from ..permissions import can_have_calendar_feed
from .common import lock


def member_calendar_token_create(
    *, actor: User, request: HttpRequest | None = None
) -> tuple[MemberCalendarToken, str]:
    """A new feed token (256 random bits) replacing any live one. Returns the row and the
    raw token, which is not kept and can only be shown now."""
    if not can_have_calendar_feed(actor):
        raise PermissionDenied(_("Only signatories and compliance officers have a feed."))
    raw = secrets.token_urlsafe(32)
    with transaction.atomic():
        replaced = _revoke_live(actor)
        token = MemberCalendarToken.objects.create(user=actor, token_hash=calendar_token_hash(raw))
        audit_record(
            actor=actor,
            action="member_calendar_token.created",
            target=token,
            payload={"replaced": replaced},
            request=request,
        )
    return token, raw


def member_calendar_token_revoke(*, actor: User, request: HttpRequest | None = None) -> int:
    """Revoke the actor's live feed token; its address answers 404 from now on."""
    with transaction.atomic():
        revoked = _revoke_live(actor)
        if revoked:
            audit_record(
                actor=actor,
                action="member_calendar_token.revoked",
                target=actor,
                payload={"tokens": revoked},
                request=request,
            )
    return len(revoked)


def _revoke_live(user: User) -> list[int]:
    # The person's row is the lock: two requests at once make one live token, not a clash.
    lock(User, user.pk)
    live = list(
        MemberCalendarToken.objects.filter(user=user, revoked_at__isnull=True).values_list(
            "pk", flat=True
        )
    )
    if live:
        MemberCalendarToken.objects.filter(pk__in=live).update(revoked_at=timezone.now())
    return live
