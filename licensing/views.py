"""The licence in the portal (read, sign, download) and the public register; the logo kit and
the planned uses of the logo are in ``views_logo``."""

from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from alliance_portal.documents import document_response
from alliance_portal.http import refuse_method
from alliance_portal.reauthentication import require_recent_authentication
from alliance_portal.states import IllegalTransition
from members.models import User

from . import selectors, services
from .agreement import agreement_text, sha256_text
from .forms import SignForm
from .models import LicenceAgreement, LicenceStatus
from .permissions import can_sign_licence


def _me(request: HttpRequest) -> User:
    return cast(User, request.user)


def _licence_or_404(request: HttpRequest, pk: int) -> LicenceAgreement:
    try:
        return selectors.licence_for_user(_me(request), pk)
    except ObjectDoesNotExist:
        raise Http404 from None


def _signing_context(
    request: HttpRequest, licence: LicenceAgreement, form: SignForm, text: str
) -> dict[str, Any]:
    return {
        "licence": licence,
        "text": text,
        "text_sha256": sha256_text(text),
        "sections": selectors.guidelines_with_criteria(licence.guidelines),
        "form": form,
    }


@login_required
def licence_detail(request: HttpRequest, pk: int) -> HttpResponse:
    licence = _licence_or_404(request, pk)
    if refused := refuse_method(request, "GET"):
        return refused
    return render(
        request,
        "licensing/licence_detail.html",
        {
            "licence": licence,
            "signature": getattr(licence, "signature", None),
            "can_sign": licence.status == LicenceStatus.ISSUED
            and can_sign_licence(_me(request), licence),
        },
    )


@login_required
def licence_sign(request: HttpRequest, pk: int) -> HttpResponse:
    licence = _licence_or_404(request, pk)
    if refused := refuse_method(request, "GET", "POST"):
        return refused
    if not can_sign_licence(_me(request), licence):
        raise PermissionDenied
    if request.method != "POST":
        if licence.status != LicenceStatus.ISSUED:
            return redirect("licensing:licence_detail", licence.pk)
        text = agreement_text(licence)
        form = SignForm(initial={"shown_sha256": sha256_text(text)})
        return render(
            request, "licensing/sign.html", _signing_context(request, licence, form, text)
        )
    # A signature binds the company: the signatory proves who they are again unless they
    # just did (allauth keeps this POST and replays it once they have).
    authenticated_at = require_recent_authentication(request)
    form = SignForm(request.POST)
    if form.is_valid():
        try:
            services.licence_sign(
                actor=_me(request),
                licence=licence,
                typed_name=form.cleaned_data["typed_name"],
                typed_title=form.cleaned_data["typed_title"],
                accepted=form.cleaned_data["accepted"],
                shown_sha256=form.cleaned_data["shown_sha256"],
                authenticated_at=authenticated_at,
                request=request,
            )
        except IllegalTransition:
            # A second click or tab, or the licence changed meanwhile: say what it is now.
            licence.refresh_from_db()
            if hasattr(licence, "signature"):
                messages.info(request, _("This licence has already been signed."))
            else:
                messages.info(
                    request,
                    _("This licence can no longer be signed: it is “%(status)s”.")
                    % {"status": licence.get_status_display()},
                )
            return redirect("licensing:licence_detail", licence.pk)
        except ValidationError as error:
            errors = error.messages
        else:
            messages.success(
                request,
                _("Signed. The licence %(number)s is active; its signed PDF is being prepared.")
                % {"number": licence.number},
            )
            return redirect("licensing:licence_detail", licence.pk)
    else:
        errors = [str(e) for field_errors in form.errors.values() for e in field_errors]
    # Show the text as it is now; if it changed, the statements must be ticked again.
    licence = _licence_or_404(request, pk)
    text = agreement_text(licence)
    data = request.POST.copy()
    if data.get("shown_sha256") != sha256_text(text):
        data.setlist("accepted", [])
    data["shown_sha256"] = sha256_text(text)
    again = SignForm(data)
    again.is_valid()
    for message in errors:
        again.add_error(None, message)
    return render(
        request, "licensing/sign.html", _signing_context(request, licence, again, text), status=400
    )


@login_required
def licence_pdf(request: HttpRequest, pk: int) -> HttpResponseBase:
    licence = _licence_or_404(request, pk)
    if refused := refuse_method(request, "GET"):
        return refused
    if licence.signed_pdf is None:
        raise Http404("not rendered yet")
    return document_response(request, licence.signed_pdf, actor=_me(request))


def _register_rows(request: HttpRequest) -> tuple[str, list[dict[str, str]]]:
    query = request.GET.get("q", "")[:100]
    rows = [
        {
            "member": licence.member.legal_name,
            "country": cast(Any, licence.member.country).code,
            "country_name": str(cast(Any, licence.member.country).name),
            "licence_number": licence.number or "",
            "member_since": licence.member.approved_at.date().isoformat(),
        }
        for licence in selectors.public_register(query)
    ]
    return query, rows


@require_safe
def register(request: HttpRequest) -> HttpResponse:
    if request.GET.get("format") == "json":
        return register_json(request)
    query, rows = _register_rows(request)
    return render(request, "licensing/register.html", {"rows": rows, "query": query})


@require_safe
def register_json(request: HttpRequest) -> JsonResponse:
    query, rows = _register_rows(request)
    return JsonResponse({"query": query, "count": len(rows), "members": rows})
