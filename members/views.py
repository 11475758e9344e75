"""The member portal: dashboard, the application journey and the team.

Every object is loaded through a selector scoped to the signed-in user *before* anything else
is looked at, so another company's objects are a 404 whatever the method.
"""

import contextlib
from collections.abc import Callable
from typing import Any, cast

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from alliance_portal.documents import UploadRejected, document_response
from alliance_portal.http import refuse_method
from alliance_portal.states import IllegalTransition

from . import selectors, services
from .forms import (
    AnswerForm,
    ApplicationForm,
    DocumentUploadForm,
    InviteForm,
    MemberDocumentForm,
    RoleForm,
)
from .models import Application, Member, Role, User
from .permissions import can_edit_application, can_manage_team, can_update_member_documents


def _me(request: HttpRequest) -> User:
    """The signed-in user (every view here is behind login_required)."""
    return cast(User, request.user)


def _or_404(load: Callable[..., Any], *args: Any) -> Any:
    try:
        return load(*args)
    except ObjectDoesNotExist:
        raise Http404 from None


def _error_text(error: ValidationError) -> list[str]:
    return [str(message) for message in error.messages]


def _confirmed(request: HttpRequest) -> bool:
    """Irreversible actions happen only from their confirm step (it posts confirm=yes)."""
    return request.method == "POST" and request.POST.get("confirm") == "yes"


def _confirm_page(
    request: HttpRequest, *, title: str, question: str, consequence: str, button: str, cancel: str
) -> HttpResponse:
    """The confirm step: shown on GET, and again (400) for a POST that skipped it."""
    context = {
        "title": title,
        "question": question,
        "consequence": consequence,
        "button": button,
        "action": request.path,
        "cancel": cancel,
    }
    status = 200 if request.method in ("GET", "HEAD") else 400
    return render(request, "members/confirm.html", context, status=status)


@login_required
def application_start(request: HttpRequest) -> HttpResponse:
    if refused := refuse_method(request, "POST"):
        return refused
    if selectors.consent_in_force(_me(request)) is None:
        # Someone who signed up before consent was asked for, or who withdrew it, gives it
        # here, as its own record, before the application collects their data.
        if request.POST.get("personal_data_consent") != "on":
            messages.error(
                request,
                _("Consent to the processing of your personal data to start an application."),
            )
            return redirect("dashboard")
        # Given meanwhile (another tab): it is in force either way.
        with contextlib.suppress(ValidationError):
            services.consent_give(actor=_me(request), request=request)
    application = services.application_create(actor=_me(request), request=request)
    return redirect("portal:application_edit", application.pk)


def _detail_context(request: HttpRequest, application: Application, **extra: Any) -> dict[str, Any]:
    editable = application.is_editable and can_edit_application(_me(request), application)
    requirements = list(selectors.active_requirements())
    given = {link.requirement_id for link in application.documents.all()}
    context = {
        "application": application,
        "can_edit": editable,
        "missing": services.missing_for_submission(application) if editable else [],
        "requirements": [(r, r.pk in given) for r in requirements],
        "upload_form": DocumentUploadForm(request=request) if editable else None,
        "validity_months": selectors.requirement_validity_months() if editable else {},
        "answer_form": AnswerForm(),
        "people": list(selectors.current_people_of_application(application)),
        "open_request": next(
            (r for r in application.information_requests.all() if r.answered_at is None), None
        ),
    }
    context.update(extra)
    return context


@login_required
def application_detail(request: HttpRequest, pk: int) -> HttpResponse:
    application = _or_404(selectors.application_for_user, _me(request), pk)
    if refused := refuse_method(request, "GET"):
        return refused
    return render(request, "members/application_detail.html", _detail_context(request, application))


@login_required
def application_edit(request: HttpRequest, pk: int) -> HttpResponse:
    application = _or_404(selectors.application_for_user, _me(request), pk)
    if refused := refuse_method(request, "GET", "POST"):
        return refused
    if not (application.is_editable and can_edit_application(_me(request), application)):
        raise PermissionDenied
    form = ApplicationForm(request.POST or None, instance=application)
    if request.method == "POST":
        if form.is_valid():
            data = {name: form.cleaned_data[name] for name in form.fields}
            try:
                services.application_update(
                    actor=_me(request),
                    application=application,
                    data=data,
                    request=request,
                )
            except ValidationError as error:
                form.add_error(None, error.messages)
            else:
                messages.success(request, _("Saved. You can come back and finish it at any time."))
                return redirect("portal:application_detail", application.pk)
        return render(
            request,
            "members/application_form.html",
            {"form": form, "application": application},
            status=400,
        )
    return render(
        request, "members/application_form.html", {"form": form, "application": application}
    )


@login_required
def application_upload(request: HttpRequest, pk: int) -> HttpResponse:
    application = _or_404(selectors.application_for_user, _me(request), pk)
    if refused := refuse_method(request, "POST"):
        return refused
    form = DocumentUploadForm(request.POST, request.FILES, request=request)
    if form.is_valid():
        try:
            link = services.application_attach_document(
                actor=_me(request),
                application=application,
                requirement=form.cleaned_data["requirement"],
                uploaded_file=form.cleaned_data["file"],
                issued_on=form.cleaned_data["issued_on"],
                expires_on=form.cleaned_data["expires_on"],
                request=request,
            )
        except UploadRejected as error:
            form.add_error("file", error)
        except IllegalTransition as error:
            messages.error(request, " ".join(_error_text(error)))
            return redirect("portal:application_detail", application.pk)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            if link is None:
                form.add_error(
                    "file",
                    _(
                        "The file was found to contain malware. It has been quarantined and not added."
                    ),
                )
            else:
                messages.success(
                    request, _("“%(name)s” was added.") % {"name": link.document.original_name}
                )
                return redirect(
                    reverse("portal:application_detail", args=[application.pk]) + "#documents"
                )
    application = selectors.application_for_user(_me(request), pk)
    return render(
        request,
        "members/application_detail.html",
        _detail_context(request, application, upload_form=form),
        status=400,
    )


@login_required
def application_document(request: HttpRequest, pk: int, document_id: str) -> HttpResponseBase:
    link = _or_404(selectors.application_document_for_user, _me(request), pk, document_id)
    if refused := refuse_method(request, "GET"):
        return refused
    return document_response(request, link.document, actor=_me(request))


@login_required
def application_document_remove(request: HttpRequest, pk: int, document_id: str) -> HttpResponse:
    link = _or_404(selectors.application_document_for_user, _me(request), pk, document_id)
    if refused := refuse_method(request, "GET", "POST"):
        return refused
    if not can_edit_application(_me(request), link.application):
        raise PermissionDenied
    if not _confirmed(request):
        return _confirm_page(
            request,
            title=_("Remove a document"),
            question=_("Remove “%(name)s” (%(requirement)s) from the application?")
            % {"name": link.document.original_name, "requirement": link.requirement.title},
            consequence=_("You can upload the document again while the application is a draft."),
            button=_("Remove the document"),
            cancel=reverse("portal:application_detail", args=[pk]) + "#documents",
        )
    try:
        services.application_remove_document(
            actor=_me(request), application=link.application, link=link, request=request
        )
    except ValidationError as error:
        messages.error(request, " ".join(_error_text(error)))
    else:
        messages.success(request, _("The document was removed from the application."))
    return redirect(reverse("portal:application_detail", args=[pk]) + "#documents")


def _lifecycle_step(
    request: HttpRequest,
    pk: int,
    step: Callable[..., Any],
    done: str,
    form: forms.Form | None = None,
    **kwargs: Any,
) -> HttpResponse:
    """Call ``step``; a ``form`` given is already validated, and its errors refuse the step."""
    application = _or_404(selectors.application_for_user, _me(request), pk)
    if refused := refuse_method(request, "POST"):
        return refused
    if form is not None and form.errors:
        return render(
            request,
            "members/application_detail.html",
            _detail_context(
                request,
                application,
                step_errors=[e for errors in form.errors.values() for e in errors],
                answer_form=form,
            ),
            status=400,
        )
    try:
        step(actor=_me(request), application=application, request=request, **kwargs)
    except IllegalTransition as error:
        # A second click, or a second tab: the first request already did the work.
        messages.info(request, " ".join(_error_text(error)))
    except ValidationError as error:
        application = selectors.application_for_user(_me(request), pk)
        return render(
            request,
            "members/application_detail.html",
            _detail_context(request, application, step_errors=_error_text(error)),
            status=400,
        )
    else:
        messages.success(request, done)
    return redirect("portal:application_detail", pk)


@login_required
def application_submit(request: HttpRequest, pk: int) -> HttpResponse:
    return _lifecycle_step(
        request,
        pk,
        services.application_submit,
        _("Your application has been submitted. We aim to review it within 30 days."),
    )


@login_required
def application_resubmit(request: HttpRequest, pk: int) -> HttpResponse:
    form = AnswerForm(request.POST or None)
    answer = form.cleaned_data["answer"] if form.is_valid() else ""
    return _lifecycle_step(
        request,
        pk,
        services.application_resubmit,
        _("Thank you. Your answer has been sent and the review continues."),
        # An empty answer is the service's to refuse; one too long is refused as such.
        form=None if form.has_error("answer", "required") else form,
        answer=answer,
    )


@login_required
def application_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    application = _or_404(selectors.application_for_user, _me(request), pk)
    if refused := refuse_method(request, "GET", "POST"):
        return refused
    if not can_edit_application(_me(request), application):
        raise PermissionDenied
    if not _confirmed(request):
        return _confirm_page(
            request,
            title=_("Withdraw the application"),
            question=_("Withdraw the application of %(company)s?")
            % {"company": application.legal_name or application},
            consequence=_(
                "A withdrawn application cannot be taken up again: to apply later you start a "
                "new one."
            ),
            button=_("Withdraw the application"),
            cancel=reverse("portal:application_detail", args=[pk]),
        )
    return _lifecycle_step(
        request, pk, services.application_withdraw, _("The application has been withdrawn.")
    )


# --- The member's documents ----------------------------------------------------------------


def _documents_page(
    request: HttpRequest, member: Member, form: MemberDocumentForm | None = None, status: int = 200
) -> HttpResponse:
    can_update = can_update_member_documents(_me(request), member)
    if can_update and form is None:
        form = MemberDocumentForm(request=request, initial={"requirement": request.GET.get("for")})
    context = {
        "member": member,
        "rows": selectors.member_documents_page(member),
        "form": form if can_update else None,
        "validity_months": selectors.requirement_validity_months() if can_update else {},
    }
    return render(request, "members/member_documents.html", context, status=status)


@login_required
def member_documents(request: HttpRequest, member_pk: int) -> HttpResponse:
    """The company's documents, each with its validity: an expired or rejected one says
    "update required" and a signatory or compliance officer uploads its replacement here."""
    member = _or_404(selectors.member_for_user, _me(request), member_pk)
    if refused := refuse_method(request, "GET", "POST"):
        return refused
    if request.method == "GET":
        return _documents_page(request, member)
    if not can_update_member_documents(_me(request), member):
        raise PermissionDenied
    form = MemberDocumentForm(request.POST, request.FILES, request=request)
    if form.is_valid():
        try:
            link = services.member_document_add(
                actor=_me(request),
                member=member,
                requirement=form.cleaned_data["requirement"],
                uploaded_file=form.cleaned_data["file"],
                issued_on=form.cleaned_data["issued_on"],
                expires_on=form.cleaned_data["expires_on"],
                request=request,
            )
        except UploadRejected as error:
            form.add_error("file", error)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            if link is None:
                form.add_error(
                    "file",
                    _(
                        "The file was found to contain malware. It has been quarantined and not added."
                    ),
                )
            else:
                messages.success(
                    request, _("“%(name)s” was added.") % {"name": link.document.original_name}
                )
                return redirect("portal:member_documents", member.pk)
    return _documents_page(request, member, form, status=400)


@login_required
def member_document(request: HttpRequest, member_pk: int, document_id: str) -> HttpResponseBase:
    link = _or_404(selectors.member_document_for_user, _me(request), member_pk, document_id)
    if refused := refuse_method(request, "GET"):
        return refused
    return document_response(request, link.document, actor=_me(request))


# --- Team -------------------------------------------------------------------------------


def _team_page(
    request: HttpRequest, member: Member, status: int = 200, **extra: Any
) -> HttpResponse:
    manage = can_manage_team(_me(request), member)
    context = {
        "member": member,
        "team": selectors.team_of(member),
        "invitations": selectors.open_invitations_of(member) if manage else [],
        "can_manage": manage,
        "invite_form": InviteForm() if manage else None,
        "roles": Role.choices,
    }
    context.update(extra)
    return render(request, "members/team.html", context, status=status)


@login_required
def team(request: HttpRequest, member_pk: int) -> HttpResponse:
    member = _or_404(selectors.member_for_user, _me(request), member_pk)
    if refused := refuse_method(request, "GET"):
        return refused
    return _team_page(request, member)


@login_required
def team_invite(request: HttpRequest, member_pk: int) -> HttpResponse:
    member = _or_404(selectors.member_for_user, _me(request), member_pk)
    if refused := refuse_method(request, "POST"):
        return refused
    if not can_manage_team(_me(request), member):
        raise PermissionDenied
    form = InviteForm(request.POST)
    if form.is_valid():
        try:
            services.invitation_create(
                actor=_me(request),
                member=member,
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
                request=request,
            )
        except ValidationError as error:
            form.add_error(None, error.messages)
        else:
            messages.success(
                request,
                _("An invitation was sent to %(email)s.") % {"email": form.cleaned_data["email"]},
            )
            return redirect("portal:team", member.pk)
    return _team_page(request, member, status=400, invite_form=form)


@login_required
def team_change_role(request: HttpRequest, member_pk: int, membership_pk: int) -> HttpResponse:
    member = _or_404(selectors.member_for_user, _me(request), member_pk)
    membership = _or_404(selectors.membership_in, member, membership_pk)
    if refused := refuse_method(request, "POST"):
        return refused
    form = RoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a role."))
        return _team_page(request, member, status=400)
    try:
        services.membership_change_role(
            actor=_me(request),
            membership=membership,
            role=form.cleaned_data["role"],
            request=request,
        )
    except ValidationError as error:
        messages.error(request, " ".join(_error_text(error)))
        return _team_page(request, member, status=400)
    messages.success(request, _("The role was changed."))
    return redirect("portal:team", member.pk)


@login_required
def team_remove(request: HttpRequest, member_pk: int, membership_pk: int) -> HttpResponse:
    member = _or_404(selectors.member_for_user, _me(request), member_pk)
    membership = _or_404(selectors.membership_in, member, membership_pk)
    if refused := refuse_method(request, "GET", "POST"):
        return refused
    if not can_manage_team(_me(request), member):
        raise PermissionDenied
    if not _confirmed(request):
        leaving = membership.user_id == _me(request).pk
        return _confirm_page(
            request,
            title=_("Leave the team") if leaving else _("Remove a team member"),
            question=(
                _("Leave the team of %(company)s?") % {"company": member.legal_name}
                if leaving
                else _("Remove %(person)s (%(email)s) from the team of %(company)s?")
                % {
                    "person": membership.user.get_full_name(),
                    "email": membership.user.email,
                    "company": member.legal_name,
                }
            ),
            consequence=_("Access ends at once; only an invitation gives it back."),
            button=_("Leave the team") if leaving else _("Remove from the team"),
            cancel=reverse("portal:team", args=[member.pk]),
        )
    try:
        services.membership_remove(actor=_me(request), membership=membership, request=request)
    except ValidationError as error:
        messages.error(request, " ".join(_error_text(error)))
        return _team_page(request, member, status=400)
    messages.success(
        request, _("%(email)s was removed from the team.") % {"email": membership.user.email}
    )
    if membership.user_id == _me(request).pk:
        return redirect("dashboard")
    return redirect("portal:team", member.pk)


@login_required
def invitation_revoke(request: HttpRequest, member_pk: int, invitation_pk: int) -> HttpResponse:
    member = _or_404(selectors.member_for_user, _me(request), member_pk)
    invitation = _or_404(selectors.invitation_in, member, invitation_pk)
    if refused := refuse_method(request, "POST"):
        return refused
    try:
        services.invitation_revoke(actor=_me(request), invitation=invitation, request=request)
    except ValidationError as error:
        messages.error(request, " ".join(_error_text(error)))
    else:
        messages.success(request, _("The invitation was withdrawn."))
    return redirect("portal:team", member.pk)


@login_required
def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    if refused := refuse_method(request, "GET", "POST"):
        return refused
    if request.method == "POST":
        try:
            membership = services.invitation_accept(
                actor=_me(request), token=token, request=request
            )
        except ValidationError as error:
            return render(
                request, "members/invitation.html", {"errors": _error_text(error)}, status=400
            )
        messages.success(
            request,
            _("Welcome to the team of %(company)s.") % {"company": membership.member.legal_name},
        )
        return redirect("portal:team", membership.member_id)
    return render(request, "members/invitation.html", {"token": token})
