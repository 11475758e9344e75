"""The person's own personal-data consent in the portal: read it, withdraw it, give it again."""

from typing import cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from alliance_portal.http import refuse_method

from . import selectors, services
from .consent import consent_text
from .models import User


def _me(request: HttpRequest) -> User:
    return cast(User, request.user)


@login_required
def privacy(request: HttpRequest) -> HttpResponse:
    if refused := refuse_method(request, "GET"):
        return refused
    return render(
        request,
        "members/privacy.html",
        {
            "consent": selectors.consent_in_force(_me(request)),
            "history": list(selectors.consents_of(_me(request))[:20]),
            "text": consent_text(),
        },
    )


@login_required
def privacy_consent(request: HttpRequest) -> HttpResponse:
    if refused := refuse_method(request, "POST"):
        return refused
    if request.POST.get("personal_data_consent") != "on":
        messages.error(request, _("Tick the box to give your consent."))
        return redirect("portal:privacy")
    try:
        services.consent_give(actor=_me(request), request=request)
    except ValidationError as error:
        messages.info(request, " ".join(error.messages))
    else:
        messages.success(request, _("Thank you: your consent is recorded."))
    return redirect("dashboard" if request.POST.get("next") == "dashboard" else "portal:privacy")


@login_required
def privacy_withdraw(request: HttpRequest) -> HttpResponse:
    if refused := refuse_method(request, "POST"):
        return refused
    try:
        services.consent_withdraw(actor=_me(request), request=request)
    except ValidationError as error:
        messages.info(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            _(
                "Your consent is withdrawn; the record of it is kept. Customer policy staff see "
                "the withdrawal and may contact your company about its membership."
            ),
        )
    return redirect("portal:privacy")
