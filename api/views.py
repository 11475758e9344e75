"""A member user's API tokens in the portal: list, make (the secret is shown once), revoke."""

from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from alliance_portal.http import refuse_method
from members.models import User

from . import selectors, services
from .forms import TokenForm, expiry_moment
from .permissions import can_manage_own_tokens


def _me(request: HttpRequest) -> User:
    user = cast(User, request.user)
    if not can_manage_own_tokens(user):
        raise PermissionDenied
    return user


def _page(request: HttpRequest, user: User, status: int = 200, **context: Any) -> HttpResponse:
    context.setdefault("form", TokenForm())
    context["tokens"] = selectors.tokens_of(user)
    return render(request, "api/tokens.html", context, status=status)


@login_required
def token_list(request: HttpRequest) -> HttpResponse:
    user = _me(request)
    if refused := refuse_method(request, "GET", "POST"):
        return refused
    if request.method != "POST":
        return _page(request, user)
    form = TokenForm(request.POST)
    if form.is_valid():
        try:
            token, secret = services.token_create(
                actor=user,
                user=user,
                name=form.cleaned_data["name"],
                scope=form.cleaned_data["scope"],
                expires_at=expiry_moment(form.cleaned_data["expires_on"]),
                request=request,
            )
        except ValidationError as error:
            form.add_error(None, error.messages)
        else:
            # Shown in this response only: the secret is not stored, so no redirect.
            response = _page(request, user, status=201, new_token=token, secret=secret)
            response["Cache-Control"] = "no-store"
            return response
    return _page(request, user, status=400, form=form)


@login_required
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    user = _me(request)
    try:
        token = selectors.token_of(user, pk)
    except ObjectDoesNotExist:
        raise Http404 from None
    if refused := refuse_method(request, "POST"):
        return refused
    services.token_revoke(actor=user, token=token, request=request)
    messages.success(request, _("The token “%(name)s” was revoked.") % {"name": token.name})
    return redirect("api_tokens")
