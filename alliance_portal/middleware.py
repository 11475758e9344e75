from collections.abc import Callable

from allauth.account.authentication import get_authentication_records
from allauth.mfa.utils import is_mfa_enabled
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, resolve_url
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django_htmx.http import HttpResponseClientRedirect

from .audit import audit_record
from .roles import is_auditor


class RejectNulBytesMiddleware:
    """A NUL character has no business in a URL or a form, and PostgreSQL refuses it in text:
    answer 400 at the door instead of failing deep inside a query."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if "\x00" in request.path or any(
            "\x00" in key or any("\x00" in value for value in values)
            for data in (request.GET, request.POST)
            for key, values in data.lists()
        ):
            return HttpResponseBadRequest(_("The request contains a NUL character."))
        return self.get_response(request)


class RequireMFAMiddleware:
    """Staff and auditors open the admin or the auditor area only after a second factor.

    Someone without TOTP is sent to enrol; someone with TOTP who signed in this session
    without using it (a session from before enrolment) is asked for a code.
    Switched off by ``ALLIANCE_REQUIRE_MFA = False`` (the local demo only).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if settings.ALLIANCE_REQUIRE_MFA and self._protected(request):
            records = get_authentication_records(request, request.user)
            # The company's identity provider asserted a second factor at single sign-on
            # (alliance_portal.sso): that is this session's second factor.
            if any(r.get("method") == "mfa" and r.get("type") == "idp" for r in records):
                return self.get_response(request)
            if not is_mfa_enabled(request.user):
                messages.warning(
                    request, _("Set up two-factor authentication before you open this area.")
                )
                return redirect("mfa_activate_totp")
            if not any(record.get("method") == "mfa" for record in records):
                query = urlencode({"next": request.get_full_path()})
                return redirect(f"{reverse('mfa_reauthenticate')}?{query}")
        return self.get_response(request)

    @staticmethod
    def _protected(request: HttpRequest) -> bool:
        user = request.user
        if not user.is_authenticated:
            return False
        if not request.path_info.startswith(settings.ALLIANCE_MFA_PROTECTED_PATHS):
            return False
        return bool(user.is_staff or is_auditor(user))


class StaffIdleTimeoutMiddleware:
    """Staff and auditor sessions end after ``ALLIANCE_STAFF_IDLE_MINUTES`` without a request,
    on top of the absolute ``SESSION_COOKIE_AGE``: an unattended admin tab must not stay open
    all day. Members keep the ordinary session.

    The last activity is written to the session at most once a minute (a session write is a
    database write), so the limit holds to within that minute.
    """

    SESSION_KEY = "alliance_last_activity"
    RESOLUTION_SECONDS = 60

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if user.is_authenticated and (user.is_staff or is_auditor(user)):
            now = timezone.now().timestamp()
            last = request.session.get(self.SESSION_KEY)
            limit = settings.ALLIANCE_STAFF_IDLE_MINUTES * 60
            if isinstance(last, int | float) and now - last > limit:
                return self._sign_out(request, idle_seconds=now - last)
            if not isinstance(last, int | float) or now - last >= self.RESOLUTION_SECONDS:
                request.session[self.SESSION_KEY] = now
        return self.get_response(request)

    def _sign_out(self, request: HttpRequest, *, idle_seconds: float) -> HttpResponse:
        user = request.user
        audit_record(
            actor=user,
            action="auth.idle_logout",
            target=user,  # type: ignore[arg-type]
            payload={"idle_minutes": int(idle_seconds // 60)},
            request=request,
        )
        logout(request)
        messages.info(
            request,
            _("You were signed out after %(minutes)s minutes without activity.")
            % {"minutes": settings.ALLIANCE_STAFF_IDLE_MINUTES},
        )
        if request.headers.get("HX-Request"):
            # htmx would follow a redirect and swap the login page into a fragment.
            return HttpResponseClientRedirect(resolve_url(settings.LOGIN_URL))
        return redirect_to_login(request.get_full_path())
