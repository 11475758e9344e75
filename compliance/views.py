"""The member's side of compliance: attestations, findings and forfeiture notices.

Objects are loaded through selectors scoped to the user before the method is looked at, so
another company's cycles, answers, evidence, findings and cases are 404 whatever the method.
"""

from collections.abc import Callable
from typing import Any, cast

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_safe

from alliance_portal.documents import UploadRejected, document_response
from alliance_portal.http import refuse_method
from alliance_portal.reauthentication import require_recent_authentication
from alliance_portal.states import IllegalTransition
from members.models import User

from . import selectors, services
from .dashboard import dashboard_body
from .forms import (
    AnswerForm,
    DeclarationForm,
    EvidenceAttachForm,
    EvidenceForm,
    EvidenceUploadForm,
    FindingActionForm,
    TextResponseForm,
)
from .models import ReviewCycle
from .permissions import (
    can_prepare_attestation,
    can_submit_attestation,
)


def _me(request: HttpRequest) -> User:
    return cast(User, request.user)


def _or_404(load: Callable[..., Any], *args: Any) -> Any:
    try:
        return load(*args)
    except ObjectDoesNotExist:
        raise Http404 from None


@login_required
@require_safe
def dashboard(request: HttpRequest) -> HttpResponse:
    """Everything that needs the user, from every app: it lives in the top app (its body
    cached per user, see ``compliance.dashboard``)."""
    return render(
        request, "compliance/dashboard.html", {"body": dashboard_body(request, _me(request))}
    )


# --- Attestation ----------------------------------------------------------------------------


def _cycle_context(request: HttpRequest, cycle: ReviewCycle) -> dict[str, Any]:
    user = _me(request)
    editable = cycle.is_answerable and can_prepare_attestation(user, cycle.member)
    return {
        "cycle": cycle,
        "sections": selectors.cycle_sections(cycle),
        "progress": selectors.cycle_progress(cycle),
        "editable": editable,
        "library": selectors.evidence_library_for_cycle(cycle) if editable else [],
        "can_submit": cycle.is_answerable and can_submit_attestation(user, cycle.member),
        "criterion_base": "",  # the gaps link to criteria on this page
        "answer_choices": AnswerForm.base_fields["answer"].choices,  # type: ignore[attr-defined]
    }


def _row_response(
    request: HttpRequest,
    cycle_pk: int,
    criterion_pk: int,
    template: str,
    status: int = 200,
    **extra: Any,
) -> HttpResponse:
    """After a change: the part of the row that changed, and the progress out of band."""
    cycle = selectors.cycle_for_user(_me(request), cycle_pk)
    answer = next(a for a in cycle.answers.all() if a.criterion_id == criterion_pk)
    context = {**_cycle_context(request, cycle), "answer": answer, **extra}
    return render(request, f"compliance/includes/{template}.html", context, status=status)


def _row_result(
    request: HttpRequest,
    cycle_pk: int,
    criterion_pk: int,
    template: str,
    error: str,
    **extra: Any,
) -> HttpResponse:
    """The answer to a change of one row: the row again with htmx (400 when refused), else
    back to the criterion on the attestation page with the error as a message."""
    if not request.htmx:  # type: ignore[attr-defined]
        if error:
            messages.error(request, error)
        return redirect(
            reverse("compliance:cycle_detail", args=[cycle_pk]) + f"#criterion-{criterion_pk}"
        )
    return _row_response(
        request, cycle_pk, criterion_pk, template, status=400 if error else 200, **extra
    )


def _acknowledge_first(request: HttpRequest, cycle: ReviewCycle) -> HttpResponse | None:
    """The page that stands in for an attestation to an edition the member has not yet
    acknowledged (403), or None when it may be worked."""
    if not (cycle.is_answerable and selectors.cycle_awaits_acknowledgement(cycle)):
        return None
    return render(
        request,
        "compliance/cycle_acknowledge_first.html",
        {
            "cycle": cycle,
            "edition": cycle.edition,
            "can_acknowledge": can_submit_attestation(_me(request), cycle.member),
        },
        status=403,
    )


@login_required
def cycle_detail(request: HttpRequest, pk: int) -> HttpResponse:
    cycle = _or_404(selectors.cycle_for_user, _me(request), pk)
    if refused := refuse_method(request, "GET"):
        return refused
    if first := _acknowledge_first(request, cycle):
        return first
    context = _cycle_context(request, cycle)
    if context["editable"]:
        carry = selectors.carry_forward_for(cycle)
        context["carry"] = carry
        context["sections"] = selectors.cycle_sections(cycle, carry)
        context["keepable"] = sum(
            1
            for answer in cycle.answers.all()
            if not answer.answer and carry.offer_for(answer) is not None
        )
    return render(request, "compliance/cycle_detail.html", context)


@login_required
def answer_keep(request: HttpRequest, pk: int, criterion_pk: int) -> HttpResponse:
    """Keep the last accepted answer to one criterion, with its still-valid evidence."""
    answer = _or_404(selectors.answer_for_user, _me(request), pk, criterion_pk)
    if refused := refuse_method(request, "POST"):
        return refused
    try:
        carried = services.answer_carry_forward(
            actor=_me(request), cycle=answer.cycle, criterion=answer.criterion, request=request
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            _("%(code)s: last review's answer kept.") % {"code": answer.criterion.code},
        )
        _tell_left_behind(request, [carried])
    return redirect(
        reverse("compliance:cycle_detail", args=[pk])
        + f"#criterion-{slugify(answer.criterion.code)}"
    )


@login_required
def cycle_keep_all(request: HttpRequest, pk: int) -> HttpResponse:
    """Keep last review's answers for every criterion still unanswered."""
    cycle = _or_404(selectors.cycle_for_user, _me(request), pk)
    if refused := refuse_method(request, "POST"):
        return refused
    try:
        carried = services.cycle_carry_forward_all(actor=_me(request), cycle=cycle, request=request)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            ngettext(
                "%(count)d answer kept from the last review.",
                "%(count)d answers kept from the last review.",
                len(carried),
            )
            % {"count": len(carried)},
        )
        _tell_left_behind(request, carried)
    return redirect("compliance:cycle_detail", pk)


def _tell_left_behind(request: HttpRequest, carried: list[Any]) -> None:
    for item in carried:
        for document in item.expired:
            messages.warning(
                request,
                _(
                    "%(code)s: “%(name)s” expired on %(date)s and was not kept. "
                    "Upload a current document."
                )
                % {
                    "code": item.answer.criterion.code,
                    "name": document.original_name,
                    "date": date_format(document.expires_on),
                },
            )


@login_required
def answer_save(request: HttpRequest, pk: int, criterion_pk: int) -> HttpResponse:
    answer = _or_404(selectors.answer_for_user, _me(request), pk, criterion_pk)
    if refused := refuse_method(request, "POST"):
        return refused
    form = AnswerForm(request.POST)
    error = ""
    if form.is_valid():
        try:
            services.answer_save(
                actor=_me(request),
                cycle=answer.cycle,
                criterion=answer.criterion,
                answer=form.cleaned_data["answer"],
                explanation=form.cleaned_data["explanation"],
                request=request,
            )
        except ValidationError as exc:
            error = " ".join(exc.messages)
    else:
        error = " ".join(str(e) for errors in form.errors.values() for e in errors)
    return _row_result(
        request, pk, criterion_pk, "answer_saved", error, row_error=error, saved=not error
    )


@login_required
def evidence_upload(request: HttpRequest, pk: int, criterion_pk: int) -> HttpResponse:
    answer = _or_404(selectors.answer_for_user, _me(request), pk, criterion_pk)
    if refused := refuse_method(request, "POST"):
        return refused
    form = EvidenceUploadForm(
        request.POST, request.FILES, request=request, criterion=answer.criterion
    )
    error = ""
    if form.is_valid():
        try:
            added = services.evidence_add(
                actor=_me(request),
                cycle=answer.cycle,
                criterion=answer.criterion,
                uploaded_file=form.cleaned_data["file"],
                issued_on=form.cleaned_data["issued_on"],
                expires_on=form.cleaned_data["expires_on"],
                request=request,
            )
            if added is None:
                error = _(
                    "The file was found to contain malware. It has been quarantined and not added."
                )
        except (UploadRejected, ValidationError) as exc:
            error = " ".join(exc.messages)
    else:
        error = " ".join(str(e) for errors in form.errors.values() for e in errors)
    return _row_result(request, pk, criterion_pk, "evidence_changed", error, upload_error=error)


@login_required
def evidence_attach(request: HttpRequest, pk: int, criterion_pk: int) -> HttpResponse:
    """Attach a document of the member's evidence library to this criterion: no re-upload."""
    answer = _or_404(selectors.answer_for_user, _me(request), pk, criterion_pk)
    if refused := refuse_method(request, "POST"):
        return refused
    form = EvidenceAttachForm(request.POST)
    error = ""
    if form.is_valid():
        # Only the member's own library: another company's document is not found at all.
        document = _or_404(
            selectors.library_document, answer.cycle.member, form.cleaned_data["document"]
        )
        try:
            services.evidence_attach(
                actor=_me(request),
                cycle=answer.cycle,
                criterion=answer.criterion,
                document=document,
                request=request,
            )
        except ValidationError as exc:
            error = " ".join(exc.messages)
    else:
        error = " ".join(str(e) for errors in form.errors.values() for e in errors)
    return _row_result(request, pk, criterion_pk, "evidence_changed", error, upload_error=error)


def _criterion_param(request: HttpRequest) -> int | None:
    """Which criterion a shared document is removed from (``?criterion=`` or the form)."""
    value = request.POST.get("criterion") or request.GET.get("criterion") or ""
    return int(value) if value.isdigit() else None


@login_required
def evidence_download(request: HttpRequest, pk: int, document_id: str) -> HttpResponseBase:
    evidence = _or_404(selectors.evidence_for_user, _me(request), pk, document_id)
    if refused := refuse_method(request, "GET"):
        return refused
    return document_response(request, evidence.document, actor=_me(request))


@login_required
def evidence_remove(request: HttpRequest, pk: int, document_id: str) -> HttpResponse:
    """Removal is confirmed first (a page without JavaScript, hx-confirm with it) and can be
    undone (evidence_restore). A document shared by several criteria is removed from one."""
    evidence = _or_404(
        selectors.evidence_for_user, _me(request), pk, document_id, _criterion_param(request)
    )
    if refused := refuse_method(request, "GET", "POST"):
        return refused
    cycle = evidence.answer.cycle
    if not can_prepare_attestation(_me(request), cycle.member):
        raise PermissionDenied
    criterion_pk = evidence.answer.criterion_id
    back = reverse("compliance:cycle_detail", args=[pk]) + f"#criterion-{criterion_pk}"
    context = {"cycle": cycle, "evidence": evidence, "back": back}
    if request.POST.get("confirm") != "yes":
        status = 200 if request.method in ("GET", "HEAD") else 400
        return render(request, "compliance/evidence_remove_confirm.html", context, status=status)
    try:
        services.evidence_remove(actor=_me(request), evidence=evidence, request=request)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        removed = None
    else:
        removed = evidence
    if request.htmx:  # type: ignore[attr-defined]
        return _row_response(request, pk, criterion_pk, "evidence_changed", removed=removed)
    if removed is None:
        return redirect(back)
    return render(request, "compliance/evidence_remove_confirm.html", {**context, "removed": True})


@login_required
def evidence_restore(request: HttpRequest, pk: int, document_id: str) -> HttpResponse:
    visible = selectors.cycles_visible_to(_me(request)).select_related("member")
    cycle = _or_404(lambda: visible.get(pk=pk))
    if refused := refuse_method(request, "POST"):
        return refused
    try:
        evidence = services.evidence_restore(
            actor=_me(request), cycle=cycle, document_id=document_id, request=request
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("compliance:cycle_detail", pk)
    if request.htmx:  # type: ignore[attr-defined]
        return _row_response(request, pk, evidence.answer.criterion_id, "evidence_changed")
    messages.success(
        request, _("“%(name)s” is attached again.") % {"name": evidence.document.original_name}
    )
    return redirect(
        reverse("compliance:cycle_detail", args=[pk]) + f"#criterion-{evidence.answer.criterion_id}"
    )


def _declaration_preview(request: HttpRequest, cycle: ReviewCycle, form: DeclarationForm) -> str:
    """The declaration as it will read: the name and title typed, else the user's own."""
    user = _me(request)
    typed = form.cleaned_data if form.is_bound and form.is_valid() else {}
    name = (typed.get("typed_name") or "").strip() or user.full_name or user.email
    title = (typed.get("title") or "").strip() or services.signatory_title(user, cycle.member)
    return services.declaration_text(cycle, name, title)


@login_required
def cycle_submit(request: HttpRequest, pk: int) -> HttpResponse:
    cycle = _or_404(selectors.cycle_for_user, _me(request), pk)
    if refused := refuse_method(request, "GET", "POST"):
        return refused
    if not can_submit_attestation(_me(request), cycle.member):
        raise PermissionDenied
    if first := _acknowledge_first(request, cycle):
        return first
    if request.method == "POST":
        # The declaration binds the company: the signatory proves who they are again unless
        # they just did (allauth keeps this POST and replays it once they have).
        authenticated_at = require_recent_authentication(request)
    form = DeclarationForm(
        request.POST or None,
        initial={
            "typed_name": _me(request).full_name,
            "title": services.signatory_title(_me(request), cycle.member),
        },
    )
    errors: list[str] = []
    if request.method == "POST" and form.is_valid():
        try:
            services.cycle_submit(
                actor=_me(request),
                cycle=cycle,
                typed_name=form.cleaned_data["typed_name"],
                title=form.cleaned_data["title"],
                declared=form.cleaned_data["declared"],
                authenticated_at=authenticated_at,
                request=request,
            )
        except IllegalTransition:
            messages.info(request, _("This attestation has already been submitted."))
            return redirect("compliance:cycle_detail", pk)
        except ValidationError as exc:
            errors = exc.messages
        else:
            messages.success(
                request, _("Submitted. The answers are now with the Customer Policy Department.")
            )
            return redirect("compliance:cycle_detail", pk)
    elif request.method == "POST":
        errors = [str(e) for field_errors in form.errors.values() for e in field_errors]
    context = {
        **_cycle_context(request, cycle),
        "form": form,
        "errors": errors,
        "declaration": _declaration_preview(request, cycle, form),
        # The review page links each gap back to its criterion on the questionnaire.
        "criterion_base": reverse("compliance:cycle_detail", args=[cycle.pk]),
    }
    return render(request, "compliance/cycle_submit.html", context, status=400 if errors else 200)


# --- Findings --------------------------------------------------------------------------------


@login_required
def finding_detail(request: HttpRequest, pk: int) -> HttpResponse:
    finding = _or_404(selectors.finding_for_user, _me(request), pk)
    if refused := refuse_method(request, "GET", "POST"):
        return refused
    can_answer = can_prepare_attestation(_me(request), finding.cycle.member)
    form = FindingActionForm(request.POST or None)
    upload = EvidenceForm(request=request)
    status = 200
    if request.method == "POST":
        if not can_answer:
            raise PermissionDenied
        if "file" in request.FILES or getattr(request, "oversized_uploads", None):
            upload = EvidenceForm(request.POST, request.FILES, request=request)
            if upload.is_valid():
                try:
                    services.finding_add_evidence(
                        actor=_me(request),
                        finding=finding,
                        uploaded_file=upload.cleaned_data["file"],
                        request=request,
                    )
                except (UploadRejected, ValidationError) as exc:
                    upload.add_error("file", exc.messages)
                else:
                    return redirect("compliance:finding_detail", pk)
        elif form.is_valid():
            try:
                services.finding_submit_action(
                    actor=_me(request),
                    finding=finding,
                    action_taken=form.cleaned_data["text"],
                    request=request,
                )
            except ValidationError as exc:
                form.add_error(None, exc.messages)
            else:
                messages.success(request, _("Your answer was sent."))
                return redirect("compliance:finding_detail", pk)
        status = 400
        finding = selectors.finding_for_user(_me(request), pk)
    return render(
        request,
        "compliance/finding_detail.html",
        {"finding": finding, "form": form, "upload": upload, "can_answer": can_answer},
        status=status,
    )


@login_required
def finding_evidence(request: HttpRequest, pk: int, document_id: str) -> HttpResponseBase:
    finding = _or_404(selectors.finding_for_user, _me(request), pk)
    if refused := refuse_method(request, "GET"):
        return refused
    link = next((e for e in finding.evidence.all() if str(e.document_id) == str(document_id)), None)
    if link is None:
        raise Http404
    return document_response(request, link.document, actor=_me(request))


# --- Forfeiture cases ------------------------------------------------------------------------


@login_required
def case_detail(request: HttpRequest, pk: int) -> HttpResponse:
    case = _or_404(selectors.case_for_user, _me(request), pk)
    if refused := refuse_method(request, "GET", "POST"):
        return refused
    can_respond = can_prepare_attestation(_me(request), case.licence.member)
    form = TextResponseForm(request.POST or None)
    upload = EvidenceForm(request=request)
    status = 200
    if request.method == "POST":
        if not can_respond:
            raise PermissionDenied
        if "file" in request.FILES or getattr(request, "oversized_uploads", None):
            upload = EvidenceForm(request.POST, request.FILES, request=request)
            if upload.is_valid():
                try:
                    services.case_add_response_document(
                        actor=_me(request),
                        case=case,
                        uploaded_file=upload.cleaned_data["file"],
                        request=request,
                    )
                except (UploadRejected, ValidationError) as exc:
                    upload.add_error("file", exc.messages)
                else:
                    return redirect("compliance:case_detail", pk)
        elif form.is_valid():
            try:
                services.case_respond(
                    actor=_me(request),
                    case=case,
                    response=form.cleaned_data["text"],
                    request=request,
                )
            except ValidationError as exc:
                form.add_error(None, exc.messages)
            else:
                messages.success(
                    request, _("Your response was sent. You will be told of the decision.")
                )
                return redirect("compliance:case_detail", pk)
        status = 400
        case = selectors.case_for_user(_me(request), pk)
    return render(
        request,
        "compliance/case_detail.html",
        {
            "case": case,
            "form": form,
            "upload": upload,
            "can_respond": can_respond,
            "response_window_days": settings.ALLIANCE_RESPONSE_WINDOW_DAYS,
        },
        status=status,
    )


@login_required
def case_document(request: HttpRequest, pk: int, document_id: str) -> HttpResponseBase:
    case = _or_404(selectors.case_for_user, _me(request), pk)
    if refused := refuse_method(request, "GET"):
        return refused
    link = next(
        (d for d in case.response_documents.all() if str(d.document_id) == str(document_id)), None
    )
    if link is None:
        raise Http404
    return document_response(request, link.document, actor=_me(request))
