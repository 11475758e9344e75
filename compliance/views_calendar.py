"""The member's calendar of due dates in the portal and its personal ICS feed."""

from datetime import timedelta
from typing import cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from alliance_portal.calendar import calendar_token_hash, feed_range, ics_response
from alliance_portal.emails import absolute_url
from members.models import User

from . import selectors_calendar, services
from .permissions import can_have_calendar_feed

PAGE_WEEKS = 26


def _me(request: HttpRequest) -> User:
    user = cast(User, request.user)
    if not can_have_calendar_feed(user):
        raise PermissionDenied
    return user


def _page(request: HttpRequest, user: User, feed_url: str = "") -> HttpResponse:
    today = timezone.localdate()
    return render(
        request,
        "compliance/calendar.html",
        {
            "dates": selectors_calendar.member_due_dates(
                user, today, today + timedelta(weeks=PAGE_WEEKS)
            ),
            "weeks": PAGE_WEEKS,
            "live_token": selectors_calendar.live_calendar_token(user),
            "feed_url": feed_url,
        },
    )


@login_required
@require_GET
def calendar(request: HttpRequest) -> HttpResponse:
    return _page(request, _me(request))


@login_required
@require_POST
def calendar_token_create(request: HttpRequest) -> HttpResponse:
    user = _me(request)
    _token, raw = services.member_calendar_token_create(actor=user, request=request)
    # Shown in this response only: the token is not kept, only its hash.
    url = absolute_url(reverse("compliance:calendar_feed", args=[raw]))
    response = _page(request, user, feed_url=url)
    response.headers["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def calendar_token_revoke(request: HttpRequest) -> HttpResponse:
    user = _me(request)
    if services.member_calendar_token_revoke(actor=user, request=request):
        messages.success(request, _("Your calendar feed was revoked: its address no longer works."))
    return redirect("compliance:calendar")


@require_GET
def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    """No session: the unguessable token is the credential. An unknown or revoked token, or
    one of someone who no longer answers for a company, is simply not found."""
    found = selectors_calendar.calendar_token_by_hash(calendar_token_hash(token))
    if found is None or not can_have_calendar_feed(found.user):
        raise Http404
    user = found.user
    start, end = feed_range(timezone.localdate())
    with translation.override(user.language):
        return ics_response(
            selectors_calendar.member_due_dates(user, start, end),
            product="Member calendar",
            name=_("ALROSA ALLIANCE: your due dates"),
            language=user.language,
        )
