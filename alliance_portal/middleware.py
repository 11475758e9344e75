from collections.abc import Callable

from allauth.mfa.utils import is_mfa_enabled
from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from .roles import is_auditor


class RequireMFAMiddleware:
    """Staff and auditors enrol TOTP before they may open the admin or the auditor area.

    Switched off by ``ALLIANCE_REQUIRE_MFA = False`` (the local demo only).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if settings.ALLIANCE_REQUIRE_MFA and self._needs_enrolment(request):
            messages.warning(
                request,
                _("Set up two-factor authentication before you open this area."),
            )
            return redirect("mfa_activate_totp")
        return self.get_response(request)

    @staticmethod
    def _needs_enrolment(request: HttpRequest) -> bool:
        user = request.user
        if not user.is_authenticated:
            return False
        if not request.path.startswith(settings.ALLIANCE_MFA_PROTECTED_PATHS):
            return False
        if not (user.is_staff or is_auditor(user)):
            return False
        return not is_mfa_enabled(user)
