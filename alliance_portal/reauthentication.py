"""Acts that bind a company (signing its licence, declaring its attestation) ask for a fresh
proof of identity: a session whose last authentication is older than
``ALLIANCE_REAUTHENTICATION_MINUTES`` is sent to allauth's re-authentication first.

allauth's own check (``did_recently_reauthenticate``) counts only re-authentications, so a
signatory who has just signed in would be asked again; here any authentication of this
session counts — the login itself, its second factor, or a re-authentication.
"""

from datetime import UTC, datetime, timedelta

from allauth.account.authentication import get_authentication_records
from allauth.core.exceptions import ReauthenticationRequired
from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone


def last_authenticated_at(request: HttpRequest) -> datetime | None:
    """When the user last proved who they were in this session, or None if it never says."""
    times = [
        record["at"]
        for record in get_authentication_records(request, request.user)
        if isinstance(record, dict) and isinstance(record.get("at"), int | float)
    ]
    if not times:
        return None
    return datetime.fromtimestamp(max(times), tz=UTC)


def require_recent_authentication(request: HttpRequest) -> datetime:
    """The time of the last authentication when it is recent enough.

    Otherwise raises allauth's ``ReauthenticationRequired``: its middleware keeps the request
    (a POST with its data), sends the user to re-authenticate and then replays it, so nothing
    typed is lost and nothing is done before the user has proved who they are.
    """
    at = last_authenticated_at(request)
    limit = timedelta(minutes=settings.ALLIANCE_REAUTHENTICATION_MINUTES)
    if at is None or timezone.now() - at > limit:
        raise ReauthenticationRequired()
    return at
