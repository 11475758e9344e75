"""Bearer tokens, the scope they act in, and the per-token rate limit."""

import math
import time
from typing import cast

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja.security import HttpBearer

from alliance_portal.audit import client_ip
from members.models import User

from .models import ApiToken, TokenScope
from .problems import RateLimited
from .services import token_authenticate

WINDOW_SECONDS = 60


def rate_limit(key: str, limit: int) -> None:
    """Count a request against ``key`` in the current minute; RateLimited past ``limit``.
    The counters are in the shared cache, so every web process counts against one limit."""
    now = time.time()
    window_start = int(now // WINDOW_SECONDS) * WINDOW_SECONDS
    counter = f"api-rate:{key}:{window_start}"
    cache.add(counter, 0, timeout=WINDOW_SECONDS + 5)
    try:
        used = cache.incr(counter)
    except ValueError:  # expired between add and incr: a new minute
        return
    if used > limit:
        raise RateLimited(retry_after=max(1, math.ceil(window_start + WINDOW_SECONDS - now)))


def public_rate_limit(request: HttpRequest) -> None:
    rate_limit(f"ip:{client_ip(request) or 'unknown'}", settings.ALLIANCE_API_PUBLIC_RATE_LIMIT)


class TokenAuth(HttpBearer):
    """``Authorization: Bearer <token>``. The request then acts as the token's user."""

    def authenticate(self, request: HttpRequest, token: str) -> ApiToken | None:
        api_token = token_authenticate(token)
        if api_token is None:
            return None
        request.user = api_token.user
        rate_limit(f"token:{api_token.pk}", settings.ALLIANCE_API_RATE_LIMIT)
        return api_token


def token_of(request: HttpRequest) -> ApiToken:
    return cast(ApiToken, request.auth)  # type: ignore[attr-defined]


def user_of(request: HttpRequest) -> User:
    return token_of(request).user


def is_staff_scope(request: HttpRequest, permission: str) -> bool:
    """True when the token's user is staff (403 without ``permission``, as in the admin);
    False for a member user, whose reads are scoped to their organisations."""
    user = user_of(request)
    if not user.is_staff:
        return False
    if not user.has_perm(permission):
        raise PermissionDenied(_("Your account lacks the permission to see these records."))
    return True


def require_staff(request: HttpRequest, permission: str) -> User:
    if not is_staff_scope(request, permission):
        raise PermissionDenied(_("Only customer policy staff may use this endpoint."))
    return user_of(request)


def require_write(request: HttpRequest) -> None:
    if token_of(request).scope != TokenScope.WRITE:
        raise PermissionDenied(_("This token may only read."))
