"""The logo in the portal: the kit (downloaded once the rules of use are accepted) and the
member's planned uses of the logo, put forward for approval and listed once decided."""

from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from alliance_portal.documents import UploadRejected, document_response
from alliance_portal.http import refuse_method
from members.models import Member, User
from members.selectors import member_for_user

from . import logo_uses, selectors, services
from .forms import LogoKitForm, LogoUseForm
from .logo_kit import public_page_url, rules_text
from .models import LicenceAgreement
from .permissions import can_submit_logo_use


def _me(request: HttpRequest) -> User:
    return cast(User, request.user)


def _member_or_404(request: HttpRequest, member_pk: int) -> Member:
    try:
        return member_for_user(_me(request), member_pk)
    except ObjectDoesNotExist:
        raise Http404 from None


def _page(
    request: HttpRequest,
    member: Member,
    *,
    kit_form: LogoKitForm | None = None,
    status: int = 200,
) -> HttpResponse:
    licence = selectors.licence_in_good_standing_of(member.pk)
    uses = list(selectors.logo_uses_of_member(member.pk))
    context: dict[str, Any] = {
        "member": member,
        "licence": licence,
        "public_url": public_page_url(licence.number) if licence and licence.number else "",
        "rules": rules_text(),
        "kit_form": kit_form or LogoKitForm(),
        "approved": [use for use in uses if use.status == "approved"],
        "others": [use for use in uses if use.status != "approved"],
        "can_submit": licence is not None and can_submit_logo_use(_me(request), member),
    }
    return render(request, "licensing/logo.html", context, status=status)


@login_required
def logo(request: HttpRequest, member_pk: int) -> HttpResponse:
    member = _member_or_404(request, member_pk)
    if refused := refuse_method(request, "GET"):
        return refused
    return _page(request, member)


@login_required
def logo_kit(request: HttpRequest, member_pk: int) -> HttpResponseBase:
    try:
        licence: LicenceAgreement = selectors.active_licence_of_member_for_user(
            _me(request), member_pk
        )
    except ObjectDoesNotExist:
        raise Http404 from None
    if request.method in ("GET", "HEAD"):
        # The kit comes with its rules: read and accept them on the logo page first.
        return redirect("licensing:logo", member_pk)
    if refused := refuse_method(request, "GET", "POST"):
        return refused
    form = LogoKitForm(request.POST)
    form.is_valid()
    try:
        content = services.logo_kit_download(
            actor=_me(request),
            licence=licence,
            rules_accepted=bool(form.cleaned_data.get("accept_rules")),
            request=request,
        )
    except ValidationError as error:
        form.add_error("accept_rules", error.messages)
        return _page(request, licence.member, kit_form=form, status=400)
    response = HttpResponse(content, content_type="application/zip")
    response["Content-Disposition"] = 'attachment; filename="alrosa-alliance-logo-kit.zip"'
    response["Cache-Control"] = "no-store, private"
    return response


@login_required
def logo_use_new(request: HttpRequest, member_pk: int) -> HttpResponse:
    member = _member_or_404(request, member_pk)
    if refused := refuse_method(request, "GET", "POST"):
        return refused
    if not can_submit_logo_use(_me(request), member):
        raise PermissionDenied
    if selectors.licence_in_good_standing_of(member.pk) is None:
        messages.error(request, _("Only a member with an active licence may use the logo."))
        return redirect("licensing:logo", member.pk)
    if request.method != "POST":
        form = LogoUseForm(request=request)
        return render(request, "licensing/logo_use_form.html", {"member": member, "form": form})
    form = LogoUseForm(request.POST, request.FILES, request=request)
    if form.is_valid():
        data = form.cleaned_data
        try:
            use = logo_uses.logo_use_submit(
                actor=_me(request),
                member=member,
                artwork=data["artwork"],
                medium=data["medium"],
                markets=data["markets"],
                starts_on=data["starts_on"],
                ends_on=data["ends_on"],
                description=data["description"],
                request=request,
            )
        except UploadRejected as error:
            form.add_error("artwork", error)
        except ValidationError as error:
            form.add_error(None, error.messages)
        except PermissionDenied as error:
            messages.error(request, str(error))
            return redirect("licensing:logo", member.pk)
        else:
            if use is None:
                form.add_error(
                    "artwork",
                    _(
                        "The file was found to contain malware. It has been quarantined and not added."
                    ),
                )
            else:
                messages.success(
                    request, _("Submitted. Staff will approve or reject the use and tell you.")
                )
                return redirect("licensing:logo_use_detail", member.pk, use.pk)
    return render(
        request, "licensing/logo_use_form.html", {"member": member, "form": form}, status=400
    )


@login_required
def logo_use_detail(request: HttpRequest, member_pk: int, pk: int) -> HttpResponse:
    try:
        use = selectors.logo_use_for_user(_me(request), member_pk, pk)
    except ObjectDoesNotExist:
        raise Http404 from None
    if refused := refuse_method(request, "GET"):
        return refused
    return render(request, "licensing/logo_use_detail.html", {"use": use, "member": use.member})


@login_required
def logo_use_artwork(request: HttpRequest, member_pk: int, pk: int) -> HttpResponseBase:
    try:
        use = selectors.logo_use_for_user(_me(request), member_pk, pk)
    except ObjectDoesNotExist:
        raise Http404 from None
    if refused := refuse_method(request, "GET"):
        return refused
    return document_response(request, use.artwork, actor=_me(request))
