"""The user's own notification list: read, mark read, and choose immediate e-mails or a
daily digest. Entries are loaded through the user's own queryset, so another user's entry
is 404 whatever the method."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ObjectDoesNotExist
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from .notifications import (
    DAILY,
    notification_mark_read,
    notification_preference_set,
    notifications_for,
    notifications_mark_all_read,
    unread_count,
)


@login_required
@require_safe
def notifications(request: HttpRequest) -> HttpResponse:
    page = Paginator(notifications_for(request.user), 25).get_page(request.GET.get("page"))
    return render(
        request,
        "alliance_portal/notifications.html",
        {
            "page": page,
            "unread": unread_count(request.user),
            "daily": getattr(request.user, "email_delivery", "") == DAILY,
        },
    )


def _local_path(link: str) -> str | None:
    """The portal path of a stored link (links are absolute, on the portal's own address)."""
    base = settings.ALLIANCE_BASE_URL.rstrip("/")
    if link.startswith(base + "/"):
        return link[len(base) :]
    return None


@login_required
@require_POST
def notification_open(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        notification = notification_mark_read(actor=request.user, pk=pk)
    except ObjectDoesNotExist:
        raise Http404 from None
    return redirect(_local_path(notification.link) or "notifications")


@login_required
@require_POST
def notifications_read_all(request: HttpRequest) -> HttpResponse:
    count = notifications_mark_all_read(actor=request.user)
    if count:
        messages.success(request, _("All notifications are marked read."))
    return redirect("notifications")


@login_required
@require_POST
def notification_preference(request: HttpRequest) -> HttpResponse:
    delivery = request.POST.get("email_delivery", "")
    if delivery not in ("immediate", DAILY):
        return HttpResponse(_("Choose how you want to receive e-mails."), status=400)
    notification_preference_set(actor=request.user, delivery=delivery, request=request)
    messages.success(request, _("Your e-mail preference is saved."))
    return redirect("notifications")
