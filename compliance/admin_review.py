"""The staff review screen of an attestation, inside the admin.

Criterion by criterion, grouped by Guidelines section: the member's answer and explanation,
the evidence shown in the page, the previous round's answer where it changed, the reviewer's
notes with their history, "raise a finding" on the criterion, and the decision at the end.
Every write goes through the same services (and, for the decision, the same forms and
``perform``) as the cycle's change page.
"""

from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from alliance_portal import text_limits
from alliance_portal.documents import PREVIEWABLE_TYPES, document_preview_response
from alliance_portal.states import allowed_actions
from licensing.models import Criterion
from members.models import User

from . import services
from .models import (
    CYCLE_TRANSITIONS,
    Answer,
    AnswerEvidence,
    CycleStatus,
    Finding,
    ReviewCycle,
)
from .selectors import cycle_for_review
from .services.findings import finding_raise_problems

if TYPE_CHECKING:
    from .admin import ReviewCycleAdmin


class ReviewNoteForm(forms.Form):
    note = forms.CharField(
        label=_("Reviewer's note"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        max_length=text_limits.NOTE,
        help_text=_("The member reads the latest note once the review comes back."),
    )


def review_urls(model_admin: "ReviewCycleAdmin") -> list[URLPattern]:
    site = model_admin.admin_site

    def review(request: HttpRequest, pk: int) -> HttpResponse:
        return review_view(model_admin, request, pk)

    def preview(request: HttpRequest, pk: int, document_id: str) -> HttpResponseBase:
        return evidence_preview_view(model_admin, request, pk, document_id)

    return [
        path("<int:pk>/review/", site.admin_view(review), name="compliance_reviewcycle_review"),
        path(
            "<int:pk>/evidence/<uuid:document_id>/preview/",
            site.admin_view(preview),
            name="compliance_reviewcycle_evidence_preview",
        ),
    ]


def review_url(cycle_id: int, criterion_id: int | None = None) -> str:
    url = reverse("admin:compliance_reviewcycle_review", args=[cycle_id])
    return f"{url}#criterion-{criterion_id}" if criterion_id else url


def _cycle(model_admin: "ReviewCycleAdmin", request: HttpRequest, pk: int) -> ReviewCycle:
    cycle = ReviewCycle.objects.filter(pk=pk).first()
    if cycle is None:
        raise Http404
    if not model_admin.has_view_permission(request, cycle):
        raise PermissionDenied
    return cycle


def evidence_preview_view(
    model_admin: "ReviewCycleAdmin", request: HttpRequest, pk: int, document_id: str
) -> HttpResponseBase:
    """The evidence file for the page's own frame or image: the same checks as its download."""
    cycle = _cycle(model_admin, request, pk)
    evidence = (
        AnswerEvidence.objects.select_related("document")
        .filter(answer__cycle=cycle, document_id=document_id)
        .first()
    )
    if evidence is None:
        raise Http404
    return document_preview_response(request, evidence.document, actor=request.user)


def _decision_forms(
    model_admin: "ReviewCycleAdmin", request: HttpRequest, cycle: ReviewCycle
) -> dict[str, tuple[Any, forms.Form]]:
    """The workflow steps open from the cycle's state, each with its (unbound) form."""
    if not model_admin.has_change_permission(request, cycle):
        return {}
    allowed = allowed_actions(CYCLE_TRANSITIONS, cycle.status)
    return {
        action: (label, (form_class or forms.Form)(prefix=action))
        for action, (label, form_class) in model_admin.workflow_actions.items()
        if action in allowed
    }


def review_view(model_admin: "ReviewCycleAdmin", request: HttpRequest, pk: int) -> HttpResponse:
    cycle = _cycle(model_admin, request, pk)
    decisions = _decision_forms(model_admin, request, cycle)
    bound_note: ReviewNoteForm | None = None
    if request.method == "POST":
        if not model_admin.has_change_permission(request, cycle):
            raise PermissionDenied
        action = request.POST.get("action", "")
        if action == "note":
            outcome = _save_note(request, cycle)
            if isinstance(outcome, HttpResponse):
                return outcome
            bound_note = outcome
        elif action not in decisions:
            messages.error(request, gettext("This step is not open for the review now."))
            return redirect(review_url(cycle.pk))
        else:
            label, form_class = model_admin.workflow_actions[action]
            form = (form_class or forms.Form)(request.POST, prefix=action)
            if form.is_valid():
                try:
                    model_admin.perform(request, cycle, action, form.cleaned_data)
                except ValidationError as error:
                    form.add_error(None, error.messages)
                except PermissionDenied as error:
                    form.add_error(None, str(error) or gettext("You may not do this."))
                else:
                    messages.success(request, gettext("Done: %(action)s.") % {"action": label})
                    return redirect(review_url(cycle.pk) + "#decision")
            decisions[action] = (label, form)
    return _render(model_admin, request, cycle, decisions, bound_note)


def _render(
    model_admin: "ReviewCycleAdmin",
    request: HttpRequest,
    cycle: ReviewCycle,
    decisions: dict[str, tuple[Any, forms.Form]],
    bound_note: "ReviewNoteForm | None",
) -> HttpResponse:
    screen = cycle_for_review(cycle.pk)
    finding_add = reverse("admin:compliance_finding_add")
    for _section, rows in screen.sections:
        for row in rows:
            prefix = f"note-{row.answer.pk}"
            row.note_form = (  # type: ignore[attr-defined]
                bound_note
                if bound_note is not None and bound_note.prefix == prefix
                else ReviewNoteForm(initial={"note": row.answer.reviewer_note}, prefix=prefix)
            )
            row.raise_url = (  # type: ignore[attr-defined]
                finding_add
                + "?"
                + urlencode(
                    {
                        "member": cycle.member_id,
                        "cycle": cycle.pk,
                        "criterion": row.answer.criterion_id,
                        "from_review": 1,
                    }
                )
            )
    return TemplateResponse(
        request,
        "compliance/admin/review.html",
        {
            **model_admin.admin_site.each_context(request),
            "opts": ReviewCycle._meta,
            "original": screen.cycle,
            "title": gettext("Review: %(cycle)s") % {"cycle": screen.cycle},
            "screen": screen,
            "cycle": screen.cycle,
            "can_change": model_admin.has_change_permission(request, cycle),
            # Notes are written while the review is under way; a decided one is history.
            "can_note": model_admin.has_change_permission(request, cycle)
            and cycle.status in (CycleStatus.SUBMITTED, CycleStatus.IN_REVIEW),
            "can_raise": request.user.has_perm("compliance.add_finding"),
            "decisions": [(action, label, form) for action, (label, form) in decisions.items()],
            "previewable": PREVIEWABLE_TYPES,
        },
        status=400 if request.method == "POST" else 200,
    )


def _save_note(request: HttpRequest, cycle: ReviewCycle) -> "HttpResponse | ReviewNoteForm":
    """Save one criterion's note and go back to it; the bound form when the note is refused."""
    answer_id = request.POST.get("answer", "")
    answer = (
        Answer.objects.filter(cycle=cycle, pk=int(answer_id)).first()
        if answer_id.isdigit() and len(answer_id) < 19
        else None
    )
    if answer is None:
        raise Http404
    form = ReviewNoteForm(request.POST, prefix=f"note-{answer.pk}")
    if not form.is_valid():
        return form
    actor: User = request.user  # type: ignore[assignment]
    try:
        services.answer_note(
            actor=actor, answer=answer, note=form.cleaned_data["note"], request=request
        )
    except (ValidationError, PermissionDenied) as error:
        form.add_error(None, getattr(error, "messages", None) or str(error))
        return form
    messages.success(request, gettext("Note saved."))
    return redirect(review_url(cycle.pk, answer.criterion_id))


# --- "Raise a finding" from a criterion -------------------------------------------------

PREFILL_KEYS = ("member", "cycle", "criterion")


def finding_prefill(request: HttpRequest) -> tuple[dict[str, Any], list[str]]:
    """The finding add form's initial member, cycle and criterion from the query string, and
    why they were refused: a cycle of another member, or a criterion outside the cycle's
    Guidelines edition. Nothing is filled in when any of them is refused."""
    raw = {key: request.GET.get(key, "") for key in PREFILL_KEYS if request.GET.get(key)}
    if not raw:
        return {}, []
    if not all(value.isdigit() and len(value) < 19 for value in raw.values()):
        return {}, [gettext("The link to this form is broken: it names no valid record.")]
    ids = {key: int(value) for key, value in raw.items()}
    problems = []
    cycle = (
        ReviewCycle.objects.select_related("member", "licence").filter(pk=ids["cycle"]).first()
        if "cycle" in ids
        else None
    )
    criterion = (
        Criterion.objects.select_related("section").filter(pk=ids["criterion"]).first()
        if "criterion" in ids
        else None
    )
    if "cycle" in ids and cycle is None:
        problems.append(gettext("There is no such review cycle."))
    if "criterion" in ids and criterion is None:
        problems.append(gettext("There is no such criterion."))
    if cycle is not None and "member" in ids and cycle.member_id != ids["member"]:
        problems.append(gettext("The review cycle belongs to another member."))
    if cycle is not None and criterion is not None:
        problems.extend(finding_raise_problems(cycle, criterion, None))
    if problems:
        return {}, problems
    initial: dict[str, Any] = {}
    if cycle is not None:
        initial["cycle"] = cycle.pk
    if criterion is not None:
        initial["criterion"] = criterion.pk
    return initial, []


def finding_return_url(request: HttpRequest, finding: Finding) -> str | None:
    """Back to the review screen after a finding raised from it, at its criterion."""
    if request.GET.get("from_review") != "1":
        return None
    return review_url(finding.cycle_id, finding.criterion_id)
