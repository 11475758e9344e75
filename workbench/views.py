"""Staff pages of the workbench: the home's queues (shown on the admin index), the charts,
the calendar of due dates and its personal ICS feed."""

from collections import Counter
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from alliance_portal.calendar import calendar_token_hash, feed_range, ics_response
from alliance_portal.emails import absolute_url
from members.models import User

from . import selectors, selectors_calendar, selectors_charts, services
from .models import CalendarToken
from .permissions import can_use_workbench

MAX_WEEKS = 52
# Dates of each kind the calendar page lists (the feed gives calendar applications more).
CALENDAR_PER_KIND = 100


def _staff(request: HttpRequest) -> User:
    user: User = request.user  # type: ignore[assignment]
    if not can_use_workbench(user):
        raise PermissionDenied
    return user


def home_context(request: HttpRequest) -> dict[str, Any]:
    """What the admin index shows above the list of apps: the queues of work."""
    user = _staff(request)
    mine = request.GET.get("view") == "mine"
    return {
        "queues": selectors.home_queues(user, mine=mine),
        "mine": mine,
        "review_days": settings.ALLIANCE_APPLICATION_REVIEW_DAYS,
        "warn_days": settings.ALLIANCE_APPLICATION_REVIEW_WARN_DAYS,
    }


def _page(request: HttpRequest, template: str, title: str, **context: Any) -> TemplateResponse:
    return TemplateResponse(
        request, template, {**admin.site.each_context(request), "title": title, **context}
    )


@require_GET
def charts(request: HttpRequest) -> TemplateResponse:
    _staff(request)
    return _page(
        request,
        "workbench/charts.html",
        _("Charts and figures"),
        charts=selectors_charts.charts(),
        charts_minutes=settings.ALLIANCE_CHARTS_CACHE_SECONDS // 60,
    )


def _weeks(request: HttpRequest) -> int:
    try:
        weeks = int(request.GET.get("weeks", settings.ALLIANCE_CALENDAR_WEEKS))
    except ValueError:
        weeks = settings.ALLIANCE_CALENDAR_WEEKS
    return max(1, min(weeks, MAX_WEEKS))


def calendar(request: HttpRequest, *, feed_url: str = "") -> TemplateResponse:
    user = _staff(request)
    today = timezone.localdate()
    weeks = _weeks(request)
    # One more of each kind than shown: whether more fall due than the page lists.
    read = selectors_calendar.due_dates(
        user, today, today + timedelta(weeks=weeks), limit=CALENDAR_PER_KIND + 1
    )
    seen: Counter[str] = Counter()
    dates, truncated = [], set()
    for due in read:
        seen[due.kind] += 1
        if seen[due.kind] > CALENDAR_PER_KIND:
            truncated.add(due.kind_label)
        else:
            dates.append(due)
    return _page(
        request,
        "workbench/calendar.html",
        _("Calendar of due dates"),
        dates=dates,
        truncated=sorted(truncated),
        per_kind=CALENDAR_PER_KIND,
        weeks=weeks,
        today=today,
        live_token=CalendarToken.objects.filter(user=user, revoked_at__isnull=True).first(),
        feed_url=feed_url,
    )


@require_POST
def calendar_token_create(request: HttpRequest) -> TemplateResponse:
    user = _staff(request)
    _token, raw = services.calendar_token_create(actor=user, request=request)
    # Shown once, on this page: the token is not kept, only its hash.
    url = absolute_url(reverse("workbench:calendar_feed", args=[raw]))
    response = calendar(request, feed_url=url)
    response.headers["Cache-Control"] = "no-store"
    return response


@require_POST
def calendar_token_revoke(request: HttpRequest) -> HttpResponse:
    user = _staff(request)
    if services.calendar_token_revoke(actor=user, request=request):
        messages.success(request, _("Your calendar feed was revoked: its address no longer works."))
    return redirect("workbench:calendar")


@require_GET
def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    """The personal ICS feed. No session: the unguessable token is the credential, so an
    unknown or revoked token, or one of someone no longer staff, is simply not found."""
    found = (
        CalendarToken.objects.select_related("user")
        .filter(token_hash=calendar_token_hash(token), revoked_at__isnull=True)
        .first()
    )
    if found is None or not can_use_workbench(found.user):
        raise Http404
    user = found.user
    start, end = feed_range(timezone.localdate())
    with translation.override(user.language):
        return ics_response(
            selectors_calendar.due_dates(user, start, end),
            product="Staff calendar",
            name=_("ALROSA ALLIANCE due dates"),
            language=user.language,
        )
