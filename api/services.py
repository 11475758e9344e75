"""Making, revoking and checking API tokens. Each write is one transaction with its audit event."""

import hashlib
import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from alliance_portal.audit import audit_record
from alliance_portal.locks import lock
from members.models import User

from .models import ApiToken, TokenScope
from .permissions import can_create_token, can_revoke_token, may_use_api
from .selectors import token_by_secret_hash

# Says what the secret is when it turns up in a log or a repository (secret scanners look
# for such prefixes); the rest is 256 random bits.
SECRET_PREFIX = "aat_"  # noqa: S105 - a label, not a secret
# last_used_at is written at most this often per token, not on every request.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def secret_sha256(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def token_expiry_problems(expires_at: datetime) -> list[str]:
    now = timezone.now()
    if expires_at <= now:
        return [_("The expiry must be in the future.")]
    if expires_at > now + timedelta(days=settings.ALLIANCE_API_TOKEN_MAX_DAYS):
        return [
            _("A token may last at most %(days)d days.")
            % {"days": settings.ALLIANCE_API_TOKEN_MAX_DAYS}
        ]
    return []


def token_create(
    *,
    actor: User,
    user: User,
    name: str,
    scope: str,
    expires_at: datetime,
    request: HttpRequest | None = None,
) -> tuple[ApiToken, str]:
    """Make a token for ``user``. Returns it with its secret, which is never stored or shown
    again."""
    if not can_create_token(actor, user):
        raise PermissionDenied(_("You may not make API tokens for this user."))
    name = name.strip()
    problems = [] if name else [_("Give the token a name.")]
    if scope not in TokenScope.values:
        problems.append(_("Choose the token's scope."))
    problems += token_expiry_problems(expires_at)
    if problems:
        raise ValidationError(problems)
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        token = ApiToken(
            user=user,
            name=name,
            scope=scope,
            prefix=secret[: len(SECRET_PREFIX) + 6],
            secret_sha256=secret_sha256(secret),
            created_by=actor,
            expires_at=expires_at,
        )
        token.full_clean()
        token.save()
        audit_record(
            actor=actor,
            action="api_token.created",
            target=token,
            payload={
                "user": user.pk,
                "name": name,
                "scope": scope,
                "expires_at": expires_at.isoformat(),
            },
            request=request,
        )
    return token, secret


def token_revoke(*, actor: User, token: ApiToken, request: HttpRequest | None = None) -> ApiToken:
    """Revoke a token at once (a revoked token is refused on its next request)."""
    if not can_revoke_token(actor, token.user_id):
        raise PermissionDenied(_("You may not revoke this token."))
    with transaction.atomic():
        locked = lock(ApiToken, token.pk)
        if locked.revoked_at is not None:
            return locked
        locked.revoked_at = timezone.now()
        locked.revoked_by = actor
        locked.save(update_fields=["revoked_at", "revoked_by"])
        audit_record(
            actor=actor,
            action="api_token.revoked",
            target=locked,
            payload={"user": locked.user_id, "name": locked.name},
            request=request,
        )
    return locked


def token_authenticate(secret: str) -> ApiToken | None:
    """The token a request's secret belongs to, if it may be used now; None otherwise."""
    if not secret.startswith(SECRET_PREFIX) or len(secret) > 100:
        return None
    token = token_by_secret_hash(secret_sha256(secret))
    if token is None or not token.is_usable or not may_use_api(token.user):
        return None
    now = timezone.now()
    if token.last_used_at is None or token.last_used_at < now - LAST_USED_RESOLUTION:
        # Not a state change: a time stamp, written without a lock at most once a minute.
        ApiToken.objects.filter(pk=token.pk).filter(
            Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - LAST_USED_RESOLUTION)
        ).update(last_used_at=now)
        token.last_used_at = now
    return token
