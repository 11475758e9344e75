"""Owners and key people in the portal: the application's section and the member's page.

As everywhere in the portal, the person (or its application or member) is loaded through a
selector scoped to the signed-in user before anything else, so another company's people are a
404 whatever the method.
"""

from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_safe

from alliance_portal.documents import UploadRejected, document_response
from alliance_portal.http import refuse_method

from . import selectors, services
from .forms import KeyPersonForm
from .models import Application, KeyPerson, Member, User
from .permissions import can_edit_application, can_manage_people


def _me(request: HttpRequest) -> User:
    return cast(User, request.user)


def _found(load: Any, *args: Any) -> Any:
    try:
        return load(*args)
    except ObjectDoesNotExist:
        raise Http404 from None


INFECTED = gettext_lazy(
    "The file was found to contain malware. It has been quarantined and not added."
)


def _save(request: HttpRequest, form: KeyPersonForm, call: Any, **kwargs: Any) -> Any:
    """Validate the form and call the service; False when refused (the errors are on the
    form and nothing was kept)."""
    if not form.is_valid():
        return False
    try:
        person = call(
            actor=_me(request),
            data=form.person_data(),
            uploaded_file=form.cleaned_data.get("document_file"),
            request=request,
            **kwargs,
        )
    except UploadRejected as error:
        form.add_error("document_file", error)
        return False
    except ValidationError as error:
        form.add_error(None, error)
        return False
    if person is None:
        form.add_error("document_file", INFECTED)
        return False
    return person


def _form_page(
    request: HttpRequest, form: KeyPersonForm, *, title: str, back: str, **extra: Any
) -> HttpResponse:
    status = 400 if request.method == "POST" else 200
    context = {"form": form, "title": title, "back": back, **extra}
    return render(request, "members/person_form.html", context, status=status)


def _confirm_remove(request: HttpRequest, person: KeyPerson, cancel: str) -> HttpResponse:
    status = 200 if request.method in ("GET", "HEAD") else 400
    return render(
        request,
        "members/confirm.html",
        {
            "title": _("Remove a person"),
            "question": _("Remove %(person)s (%(role)s)?")
            % {"person": person.name, "role": person.get_role_display()},
            "consequence": _(
                "The record ends today and stays in the history. A member's change is "
                "reviewed by the Customer Policy Department."
            ),
            "button": _("Remove"),
            "action": request.path,
            "cancel": cancel,
        },
        status=status,
    )


def _confirmed(request: HttpRequest) -> bool:
    return request.method == "POST" and request.POST.get("confirm") == "yes"


# --- The application's people -------------------------------------------------------------


def _editable_application(request: HttpRequest, pk: int) -> Application:
    application = _found(selectors.application_for_user, _me(request), pk)
    if not (application.is_editable and can_edit_application(_me(request), application)):
        raise PermissionDenied
    return cast(Application, application)


def _application_people_url(application: Application) -> str:
    return reverse("portal:application_detail", args=[application.pk]) + "#people"


@login_required
def application_person_add(request: HttpRequest, pk: int) -> HttpResponse:
    application = _editable_application(request, pk)
    if refused := refuse_method(request, "GET", "POST"):
        return refused
    form = KeyPersonForm(request.POST or None, request.FILES or None, request=request)
    if request.method == "POST" and _save(
        request, form, services.key_person_add, application=application
    ):
        messages.success(request, _("The person was added to the application."))
        return redirect(_application_people_url(application))
    return _form_page(
        request,
        form,
        title=_("Add an owner or key person"),
        back=_application_people_url(application),
        application=application,
    )


@login_required
def application_person_edit(request: HttpRequest, pk: int, person_pk: int) -> HttpResponse:
    person = _found(selectors.application_person_for_user, _me(request), pk, person_pk)
    application = _editable_application(request, pk)
    if refused := refuse_method(request, "GET", "POST"):
        return refused
    if not person.is_current:
        raise Http404  # an old version is history, not something to edit
    form = KeyPersonForm(
        request.POST or None, request.FILES or None, instance=person, request=request
    )
    if request.method == "POST" and _save(request, form, services.key_person_change, person=person):
        messages.success(request, _("The person's details were changed."))
        return redirect(_application_people_url(application))
    return _form_page(
        request,
        form,
        title=_("Change %(person)s") % {"person": person.name},
        back=_application_people_url(application),
        application=application,
        person=person,
    )


@login_required
def application_person_remove(request: HttpRequest, pk: int, person_pk: int) -> HttpResponse:
    person = _found(selectors.application_person_for_user, _me(request), pk, person_pk)
    application = _editable_application(request, pk)
    if refused := refuse_method(request, "GET", "POST"):
        return refused
    if not _confirmed(request):
        return _confirm_remove(request, person, _application_people_url(application))
    try:
        services.key_person_remove(actor=_me(request), person=person, request=request)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("%(person)s was removed.") % {"person": person.name})
    return redirect(_application_people_url(application))


@login_required
def application_person_document(request: HttpRequest, pk: int, person_pk: int) -> HttpResponseBase:
    person = _found(selectors.application_person_for_user, _me(request), pk, person_pk)
    if refused := refuse_method(request, "GET"):
        return refused
    if person.document is None:
        raise Http404
    return document_response(request, person.document, actor=_me(request))


# --- The member's people -------------------------------------------------------------------


def _member_section(request: HttpRequest, member: Member) -> dict[str, Any]:
    return {
        "member": member,
        "current": list(selectors.current_people_of_member(member)),
        "removals": list(selectors.removals_of_member(member)),
        "can_manage": can_manage_people(_me(request), member),
    }


@login_required
@require_safe
def people(request: HttpRequest) -> HttpResponse:
    sections = [
        _member_section(request, membership.member)
        for membership in selectors.memberships_of(_me(request))
    ]
    return render(request, "members/people.html", {"sections": sections})


def _people_url(member: Member) -> str:
    return reverse("portal:people") + f"#people-{member.pk}"


def _managed(request: HttpRequest, member: Member) -> None:
    if not can_manage_people(_me(request), member):
        raise PermissionDenied


@login_required
def person_add(request: HttpRequest, member_pk: int) -> HttpResponse:
    member = _found(selectors.member_for_user, _me(request), member_pk)
    if refused := refuse_method(request, "GET", "POST"):
        return refused
    _managed(request, member)
    form = KeyPersonForm(request.POST or None, request.FILES or None, request=request)
    if request.method == "POST" and _save(request, form, services.key_person_add, member=member):
        messages.success(
            request,
            _("The person was added. The Customer Policy Department will review the change."),
        )
        return redirect(_people_url(member))
    return _form_page(
        request,
        form,
        title=_("Add an owner or key person"),
        back=_people_url(member),
        member=member,
    )


@login_required
def person_detail(request: HttpRequest, pk: int) -> HttpResponse:
    person = _found(selectors.member_person_for_user, _me(request), pk)
    if refused := refuse_method(request, "GET"):
        return refused
    history = selectors.person_history(person)
    return render(
        request,
        "members/person_history.html",
        {
            "person": history[0],
            "history": history,
            "member": person.member,
            "can_manage": can_manage_people(_me(request), person.member),
        },
    )


@login_required
def person_edit(request: HttpRequest, pk: int) -> HttpResponse:
    person = _found(selectors.member_person_for_user, _me(request), pk)
    if refused := refuse_method(request, "GET", "POST"):
        return refused
    _managed(request, person.member)
    if not person.is_current:
        messages.info(request, _("This is an earlier version: change the current one."))
        return redirect("portal:person_detail", person.pk)
    form = KeyPersonForm(
        request.POST or None, request.FILES or None, instance=person, request=request
    )
    if request.method == "POST" and _save(request, form, services.key_person_change, person=person):
        messages.success(
            request,
            _("The change was recorded. The Customer Policy Department will review it."),
        )
        return redirect(_people_url(person.member))
    return _form_page(
        request,
        form,
        title=_("Change %(person)s") % {"person": person.name},
        back=_people_url(person.member),
        member=person.member,
        person=person,
    )


@login_required
def person_remove(request: HttpRequest, pk: int) -> HttpResponse:
    person = _found(selectors.member_person_for_user, _me(request), pk)
    if refused := refuse_method(request, "GET", "POST"):
        return refused
    member = person.member
    _managed(request, member)
    if not _confirmed(request):
        return _confirm_remove(request, person, _people_url(member))
    error = ""
    try:
        services.key_person_remove(actor=_me(request), person=person, request=request)
    except ValidationError as refusal:
        error = " ".join(refusal.messages)
    if request.htmx:  # type: ignore[attr-defined]
        # The member's section again, with the removal waiting for review in it.
        context = {**_member_section(request, member), "error": error}
        return render(
            request, "members/includes/people_section.html", context, status=400 if error else 200
        )
    if error:
        messages.error(request, error)
    else:
        messages.success(
            request,
            _("%(person)s was removed. The Customer Policy Department will review the change.")
            % {"person": person.name},
        )
    return redirect(_people_url(member))


@login_required
def person_document(request: HttpRequest, pk: int) -> HttpResponseBase:
    person = _found(selectors.member_person_for_user, _me(request), pk)
    if refused := refuse_method(request, "GET"):
        return refused
    if person.document is None:
        raise Http404
    return document_response(request, person.document, actor=_me(request))
