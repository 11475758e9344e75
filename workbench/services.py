"""Writes of the workbench: creating and revoking a personal calendar feed token."""

import secrets

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from alliance_portal.audit import audit_record
from alliance_portal.calendar import calendar_token_hash
from alliance_portal.locks import lock
from members.models import User

from .models import CalendarToken
from .permissions import can_use_workbench


def _require_staff(actor: User) -> None:
    if not can_use_workbench(actor):
        raise PermissionDenied(_("Only customer policy staff have a calendar feed."))


def calendar_token_create(
    *, actor: User, request: HttpRequest | None = None
) -> tuple[CalendarToken, str]:
    """A new feed token for the actor (256 random bits), replacing any live one. Returns the
    row and the raw token, which is not kept and can only be shown now."""
    _require_staff(actor)
    raw = secrets.token_urlsafe(32)
    with transaction.atomic():
        replaced = _revoke_live(actor)
        token = CalendarToken.objects.create(user=actor, token_hash=calendar_token_hash(raw))
        audit_record(
            actor=actor,
            action="calendar_token.created",
            target=token,
            payload={"replaced": replaced},
            request=request,
        )
    return token, raw


def calendar_token_revoke(*, actor: User, request: HttpRequest | None = None) -> int:
    """Revoke the actor's live feed token; its URL answers 404 from now on."""
    with transaction.atomic():
        revoked = _revoke_live(actor)
        if revoked:
            audit_record(
                actor=actor,
                action="calendar_token.revoked",
                target=actor,
                payload={"tokens": revoked},
                request=request,
            )
    return len(revoked)


def _revoke_live(user: User) -> list[int]:
    # The person's row is the lock: two requests at once make one live token, not a clash.
    lock(User, user.pk)
    live = list(
        CalendarToken.objects.filter(user=user, revoked_at__isnull=True).values_list(
            "pk", flat=True
        )
    )
    if live:
        CalendarToken.objects.filter(pk__in=live).update(revoked_at=timezone.now())
    return live
