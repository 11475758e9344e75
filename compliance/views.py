from typing import cast

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from licensing import selectors as licensing_selectors
from members import selectors as members_selectors
from members.models import User


@login_required
@require_safe
def dashboard(request: HttpRequest) -> HttpResponse:
    """Everything that needs the user, from every app: it lives in the top app."""
    user = cast(User, request.user)
    return render(
        request,
        "compliance/dashboard.html",
        {
            "memberships": members_selectors.memberships_of(user),
            "applications": members_selectors.applications_for_dashboard(user),
            "licences": licensing_selectors.licences_for_dashboard(user),
        },
    )
