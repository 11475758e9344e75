"""The licence in the portal (read, sign, download) and the public register; the logo kit and
the planned uses of the logo are in ``views_logo``."""

from typing import Any, cast
from urllib.parse import urlencode

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

from . import editions, selectors, services
from .agreement import agreement_text, sha256_text
from .forms import AcknowledgeForm, SignForm
from .models import GuidelinesVersion, LicenceAgreement, LicenceStatus
from .permissions import can_sign_licence
from .register import MAX_QUERY, PAGE_SIZE, register_slice


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


def _register_page(request: HttpRequest) -> dict[str, Any]:
    """One page of the register (``?page=N``, 25 rows) with links to its neighbours; a page
    that is not a positive number, or past the last one, does not exist."""
    query = request.GET.get("q", "")[:MAX_QUERY].strip()
    raw_page = request.GET.get("page", "1")
    if not raw_page.isascii() or not raw_page.isdigit() or not 0 < int(raw_page) < 10**6:
        raise Http404
    number = int(raw_page)
    found = register_slice(query, (number - 1) * PAGE_SIZE)
    pages = max(1, -(-found.count // PAGE_SIZE))
    if number > pages:
        raise Http404

    def link(target: int) -> str:
        params = {"q": query} if query else {}
        if target > 1:
            params["page"] = str(target)
        return request.path + ("?" + urlencode(params) if params else "")

    return {
        "query": query,
        "count": found.count,
        "page": number,
        "pages": pages,
        "rows": found.rows,
        "next": link(number + 1) if number < pages else None,
        "previous": link(number - 1) if number > 1 else None,
    }


@require_safe
def register(request: HttpRequest) -> HttpResponse:
    if request.GET.get("format") == "json":
        return register_json(request)
    return render(request, "licensing/register.html", _register_page(request))


@require_safe
def register_json(request: HttpRequest) -> JsonResponse:
    """The register as JSON, a page at a time: ``results`` with ``count`` (all that match),
    ``page``/``pages`` and absolute ``next``/``previous`` links (null at the ends).
    ``members`` repeats ``results`` for readers of the earlier, unpaged format."""
    found = _register_page(request)

    def absolute(link: str | None) -> str | None:
        return request.build_absolute_uri(link) if link else None

    return JsonResponse(
        {
            "query": found["query"],
            "count": found["count"],
            "page": found["page"],
            "pages": found["pages"],
            "next": absolute(found["next"]),
            "previous": absolute(found["previous"]),
            "results": found["rows"],
            "members": found["rows"],
        }
    )


@login_required
def guidelines_acknowledge(request: HttpRequest, pk: int, version_pk: int) -> HttpResponse:
    """A published edition the licence did not incorporate: what changed, and the
    signatory's acknowledgement for the company (recorded like a declaration)."""
    licence = _licence_or_404(request, pk)
    version = GuidelinesVersion.objects.filter(pk=version_pk, published_at__isnull=False).first()
    if version is None or version.pk == licence.guidelines_id:
        raise Http404
    if refused := refuse_method(request, "GET", "POST"):
        return refused
    user = _me(request)
    can_acknowledge = can_sign_licence(user, licence)
    done = selectors.acknowledgement_of(licence.member_id, version.pk)
    form = AcknowledgeForm(request.POST or None, initial={"typed_name": user.full_name})
    errors: list[str] = []
    if request.method == "POST":
        if not can_acknowledge:
            raise PermissionDenied
        authenticated_at = require_recent_authentication(request)
        if form.is_valid():
            try:
                editions.guidelines_acknowledge(
                    actor=user,
                    licence=licence,
                    version=version,
                    typed_name=form.cleaned_data["typed_name"],
                    declared=form.cleaned_data["declared"],
                    authenticated_at=authenticated_at,
                    request=request,
                )
            except ValidationError as error:
                errors = error.messages
            else:
                messages.success(
                    request,
                    _("The %(edition)s is acknowledged. The company's attestation can go on.")
                    % {"edition": version.edition_name},
                )
                return redirect("dashboard")
        else:
            errors = [str(e) for field_errors in form.errors.values() for e in field_errors]
    name = (form.data.get("typed_name") or "").strip() if form.is_bound else ""
    return render(
        request,
        "licensing/guidelines_acknowledge.html",
        {
            "licence": licence,
            "version": version,
            "previous": selectors.previous_edition(version),
            "mappings": selectors.edition_mappings(version).order_by("change", "pk"),
            "acknowledgement": done,
            "can_acknowledge": can_acknowledge and done is None,
            "form": form,
            "errors": errors,
            "statement": editions.acknowledgement_text(
                licence.member, version, name or user.full_name or user.email
            ),
        },
        status=400 if errors else 200,
    )
