from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from alliance_portal import text_limits
from alliance_portal.admin import delivery_history
from alliance_portal.admin_filters import STAFF_LIST_PER_PAGE, UnionSearchMixin
from alliance_portal.admin_links import member_link
from alliance_portal.admin_workflow import AddFormMixin, WorkflowAdminMixin
from alliance_portal.documents import document_response
from alliance_portal.exports import ExportAdminMixin
from alliance_portal.outbox import messages_about
from alliance_portal.roles import AUDITORS_GROUP
from alliance_portal.text_limits import TextLimitsMixin
from licensing.admin import licence_label
from members.models import Member, User

from . import services
from .admin_review import finding_prefill, finding_return_url, review_url, review_urls
from .models import (
    CASE_TRANSITIONS,
    CYCLE_TRANSITIONS,
    FINDING_TRANSITIONS,
    Answer,
    AnswerEvidence,
    AuditorGrant,
    CaseStatus,
    CertificateBatch,
    ComplianceCertificate,
    Decision,
    Finding,
    ForfeitureCase,
    Grade,
    ReviewCycle,
    Submission,
)
from .permissions import can_decide_cases
from .services.cases import case_open_problems
from .services.cycles import cycle_open_problems
from .services.findings import finding_raise_problems


def finding_label(finding: Finding) -> str:
    """A finding as staff pick it: whose it is, then what (select its cycle's member)."""
    return f"{finding.cycle.member.legal_name} · {finding}"


def _document_links(url_name: str, pk: int, documents: list[Any]) -> str:
    if not documents:
        return "—"
    return format_html_join(
        mark_safe("<br>"),
        '<a href="{}">{}</a>',
        ((reverse(url_name, args=[pk, d.pk]), d.original_name) for d in documents),
    )


class NoteForm(forms.Form):
    note = forms.CharField(
        label=_("Note to the member"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=text_limits.TEXT,
    )


class GradeForm(forms.Form):
    grade = forms.ChoiceField(label=_("Outcome"), choices=Grade.choices)
    note = forms.CharField(
        label=_("Note to the member"),
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        max_length=text_limits.TEXT,
    )


class RejectForm(GradeForm):
    note = forms.CharField(
        label=_("Why it is rejected"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=text_limits.TEXT,
    )


class ReviewerNoteForm(TextLimitsMixin, forms.ModelForm[Answer]):
    text_limits = {"reviewer_note": text_limits.NOTE}

    class Meta:
        model = Answer
        fields = ["reviewer_note"]


class AnswerInline(admin.StackedInline[Answer, ReviewCycle]):
    model = Answer
    form = ReviewerNoteForm
    extra = 0
    can_delete = False
    fields = ["criterion", "answer", "explanation", "evidence_links", "reviewer_note"]
    readonly_fields = ["criterion", "answer", "explanation", "evidence_links"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Answer]:
        return (
            super()
            .get_queryset(request)
            .select_related("criterion__section", "cycle")
            .prefetch_related("evidence__document")
        )

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("evidence"))
    def evidence_links(self, answer: Answer) -> str:
        items = list(answer.evidence.all())
        if not items:
            return "—"
        return format_html_join(
            mark_safe("<br>"),
            '<a href="{}">{}</a> ({})',
            (
                (
                    reverse(
                        "admin:compliance_reviewcycle_evidence",
                        args=[answer.cycle_id, e.document_id],
                    ),
                    e.document.original_name,
                    e.document.get_scan_status_display(),
                )
                for e in items
            ),
        )


class SubmissionInline(admin.TabularInline[Submission, ReviewCycle]):
    model = Submission
    extra = 0
    can_delete = False
    fields = readonly_fields = (
        "round",
        "typed_name",
        "signatory",
        "submitted_at",
        "ip",
        "answers_sha256",
        "review_result_label",
        "review_note",
    )

    @admin.display(description=_("review result"))
    def review_result_label(self, obj: Submission) -> str:
        return obj.get_review_result_display()

    def get_queryset(self, request: HttpRequest) -> QuerySet[Submission]:
        return super().get_queryset(request).select_related("signatory", "cycle__member")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class FindingInline(admin.TabularInline[Finding, ReviewCycle]):
    model = Finding
    extra = 0
    can_delete = False
    fields = readonly_fields = ("link", "severity", "status", "due_on")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Finding]:
        return super().get_queryset(request).select_related("criterion")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("finding"))
    def link(self, finding: Finding) -> str:
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:compliance_finding_change", args=[finding.pk]),
            finding,
        )


class NewCycleForm(forms.ModelForm[ReviewCycle]):
    class Meta:
        model = ReviewCycle
        fields = ["member", "kind", "due_on"]
        widgets = {"due_on": forms.DateInput(attrs={"type": "date"})}

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean() or {}
        if cleaned.get("member") is not None:
            for problem in cycle_open_problems(cleaned["member"], cleaned.get("due_on")):
                self.add_error(None, problem)
        return cleaned


@admin.register(ReviewCycle)
class ReviewCycleAdmin(
    UnionSearchMixin,
    ExportAdminMixin,
    AddFormMixin,
    WorkflowAdminMixin,
    admin.ModelAdmin[ReviewCycle],
):
    list_per_page = STAFF_LIST_PER_PAGE
    add_form = NewCycleForm
    transitions = CYCLE_TRANSITIONS
    workflow_actions = {
        "start_review": (_("Start review"), None),
        "accept": (_("Accept"), GradeForm),
        "request_changes": (_("Request changes"), NoteForm),
        "reject": (_("Reject"), RejectForm),
    }
    list_display = ["member_name", "kind", "status", "due_on", "round", "outcome", "review_link"]
    change_form_template = "compliance/admin/reviewcycle_change_form.html"  # type: ignore[misc]
    list_filter = ["status", "kind", "outcome", "due_on"]
    search_fields = ["member__legal_name"]
    list_select_related = ["member"]
    autocomplete_fields = ["member"]
    show_full_result_count = False
    inlines = [AnswerInline, SubmissionInline, FindingInline]
    readonly_fields = (
        "member",
        "licence",
        "kind",
        "status",
        "due_on",
        "round",
        "outcome",
        "decision_note",
        "opened_at",
        "opened_by",
        "decided_at",
        "decided_by",
        "deliveries",
    )
    fields = readonly_fields

    @admin.display(description=_("e-mails sent"))
    def deliveries(self, cycle: ReviewCycle) -> str:
        return delivery_history(messages_about(cycle))

    @admin.display(description=_("member"), ordering="member__legal_name")
    def member_name(self, cycle: ReviewCycle) -> str:
        return member_link(cycle.member)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: ReviewCycle, form: Any, change: bool) -> None:
        if not change:
            opened = services.cycle_open(
                actor=request.user,  # type: ignore[arg-type]
                member=obj.member,
                kind=obj.kind,
                due_on=obj.due_on,
                request=request,
            )
            obj.pk = opened.pk

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        # Only the reviewer's notes are editable here; each goes through the service.
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for inline_form in formset.forms:
            if "reviewer_note" in getattr(inline_form, "changed_data", []):
                services.answer_note(
                    actor=request.user,  # type: ignore[arg-type]
                    answer=inline_form.instance,
                    note=inline_form.cleaned_data["reviewer_note"],
                    request=request,
                )

    def get_urls(self) -> list[Any]:
        return [
            *review_urls(self),
            path(
                "<int:pk>/evidence/<uuid:document_id>/",
                self.admin_site.admin_view(self.evidence_view),
                name="compliance_reviewcycle_evidence",
            ),
            *super().get_urls(),
        ]

    @admin.display(description=_("review"))
    def review_link(self, cycle: ReviewCycle) -> str:
        return format_html('<a href="{}">{}</a>', review_url(cycle.pk), _("Review screen"))

    def evidence_view(self, request: HttpRequest, pk: int, document_id: str) -> Any:
        evidence = (
            AnswerEvidence.objects.select_related("document", "answer__cycle")
            .filter(answer__cycle_id=pk, document_id=document_id)
            .first()
        )
        if evidence is None:
            raise Http404
        if not self.has_view_permission(request, evidence.answer.cycle):
            raise PermissionDenied
        return document_response(request, evidence.document, actor=request.user)

    def perform(
        self, request: HttpRequest, obj: ReviewCycle, action: str, data: dict[str, Any]
    ) -> None:
        actor: User = request.user  # type: ignore[assignment]
        if action == "start_review":
            services.cycle_start_review(actor=actor, cycle=obj, request=request)
        elif action == "accept":
            services.cycle_accept(
                actor=actor, cycle=obj, grade=data["grade"], note=data["note"], request=request
            )
        elif action == "request_changes":
            services.cycle_request_changes(
                actor=actor, cycle=obj, note=data["note"], request=request
            )
        elif action == "reject":
            services.cycle_reject(
                actor=actor, cycle=obj, grade=data["grade"], note=data["note"], request=request
            )


class FindingForm(TextLimitsMixin, forms.ModelForm[Finding]):
    text_limits = {"description": text_limits.TEXT, "corrective_action": text_limits.TEXT}

    class Meta:
        model = Finding
        fields = ["cycle", "criterion", "severity", "description", "corrective_action", "due_on"]
        widgets = {"due_on": forms.DateInput(attrs={"type": "date"})}

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean() or {}
        if cleaned.get("cycle") is not None:
            for problem in finding_raise_problems(
                cleaned["cycle"], cleaned.get("criterion"), cleaned.get("due_on")
            ):
                self.add_error(None, problem)
        return cleaned


@admin.register(Finding)
class FindingAdmin(  # type: ignore[misc]
    UnionSearchMixin, ExportAdminMixin, AddFormMixin, WorkflowAdminMixin, admin.ModelAdmin[Finding]
):
    list_per_page = STAFF_LIST_PER_PAGE
    add_form = FindingForm
    transitions = FINDING_TRANSITIONS
    workflow_actions = {
        "close": (_("Close"), None),
        "reopen": (_("Ask for more"), NoteForm),
        "escalate": (_("Escalate"), NoteForm),
    }
    list_display = ["__str__", "member", "severity", "status", "due_on"]
    list_filter = ["status", "severity", "due_on"]
    search_fields = ["cycle__member__legal_name", "criterion__code", "description"]
    list_select_related = ["cycle__member", "criterion"]
    autocomplete_fields = ["cycle", "criterion"]
    show_full_result_count = False
    readonly_fields = (
        "cycle",
        "criterion",
        "severity",
        "description",
        "corrective_action",
        "due_on",
        "status",
        "raised_by",
        "raised_at",
        "action_taken",
        "action_submitted_at",
        "action_submitted_by",
        "evidence_links",
        "resolution_note",
        "resolved_at",
    )

    @admin.display(description=_("member"), ordering="cycle__member__legal_name")
    def member(self, finding: Finding) -> str:
        return member_link(finding.cycle.member)

    def autocomplete_label(self, finding: Finding) -> str:
        return finding_label(finding)

    @admin.display(description=_("evidence"))
    def evidence_links(self, finding: Finding) -> str:
        return _document_links(
            "admin:compliance_finding_document",
            finding.pk,
            [e.document for e in finding.evidence.select_related("document")],
        )

    def get_urls(self) -> list[Any]:
        return [
            path(
                "<int:pk>/documents/<uuid:document_id>/",
                self.admin_site.admin_view(self.document_view),
                name="compliance_finding_document",
            ),
            *super().get_urls(),
        ]

    def document_view(self, request: HttpRequest, pk: int, document_id: str) -> Any:
        finding = self.get_object(request, str(pk))
        item = (
            finding.evidence.select_related("document").filter(document_id=document_id).first()
            if finding is not None
            else None
        )
        if item is None:
            raise Http404
        if not self.has_view_permission(request, finding):
            raise PermissionDenied
        return document_response(request, item.document, actor=request.user)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, Any]:
        return finding_prefill(request)[0]  # member, cycle and criterion: "Raise a finding"

    def add_view(self, request: HttpRequest, form_url: str = "", extra_context: Any = None) -> Any:
        problems = finding_prefill(request)[1] if request.method == "GET" else []
        for problem in problems:
            messages.error(request, problem)
        response = super().add_view(request, form_url, extra_context)
        if problems:
            response.status_code = 400
        return response

    def response_add(
        self, request: HttpRequest, obj: Finding, post_url_continue: Any = None
    ) -> Any:
        back = finding_return_url(request, obj)
        if back is not None and "_addanother" not in request.POST:
            messages.success(request, _("Finding raised: %(finding)s") % {"finding": obj})
            return redirect(back)
        return super().response_add(request, obj, post_url_continue)

    def save_model(self, request: HttpRequest, obj: Finding, form: Any, change: bool) -> None:
        if not change:
            raised = services.finding_raise(
                actor=request.user,  # type: ignore[arg-type]
                cycle=obj.cycle,
                criterion=obj.criterion,
                severity=obj.severity,
                description=obj.description,
                corrective_action=obj.corrective_action,
                due_on=obj.due_on,
                request=request,
            )
            obj.pk = raised.pk

    def perform(
        self, request: HttpRequest, obj: Finding, action: str, data: dict[str, Any]
    ) -> None:
        actor: User = request.user  # type: ignore[assignment]
        if action == "close":
            services.finding_close(actor=actor, finding=obj, request=request)
        elif action == "reopen":
            services.finding_reopen(actor=actor, finding=obj, note=data["note"], request=request)
        elif action == "escalate":
            services.finding_escalate(actor=actor, finding=obj, note=data["note"], request=request)


class DecideForm(forms.Form):
    # No decision is preselected: the decider chooses one, the form never chooses for them.
    decision = forms.ChoiceField(
        label=_("Decision"), choices=[("", "---------"), *Decision.choices]
    )
    reasons = forms.CharField(
        label=_("Reasons"), widget=forms.Textarea(attrs={"rows": 5}), max_length=text_limits.TEXT
    )
    suspended_until = forms.DateField(
        label=_("For a suspension: until (leave empty: until the failure is remedied)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )


class ReinstateForm(forms.Form):
    reason = forms.CharField(
        label=_("How the failure was remedied"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=text_limits.TEXT,
    )


class NewCaseForm(TextLimitsMixin, forms.ModelForm[ForfeitureCase]):
    text_limits = {"narrative": text_limits.LONG_TEXT}

    class Meta:
        model = ForfeitureCase
        fields = ["licence", "grounds", "narrative", "findings", "cycles"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The chosen licence and findings shown by their member, as the picker offers them.
        licence = self.fields["licence"]
        licence.label_from_instance = licence_label  # type: ignore[attr-defined]
        licence.queryset = licence.queryset.select_related("member")  # type: ignore[attr-defined]
        findings = self.fields["findings"]
        findings.label_from_instance = finding_label  # type: ignore[attr-defined]
        findings.queryset = findings.queryset.select_related("cycle__member", "criterion")  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean() or {}
        if cleaned.get("licence") is not None:
            for problem in case_open_problems(
                cleaned["licence"], cleaned.get("findings") or [], cleaned.get("cycles") or []
            ):
                self.add_error(None, problem)
        return cleaned


class ConfirmNoticeForm(forms.Form):
    note = forms.CharField(
        label=_("How did the notice reach the member?"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=text_limits.NOTE,
        help_text=_("The response window starts now."),
    )


@admin.register(ForfeitureCase)
class ForfeitureCaseAdmin(  # type: ignore[misc]
    UnionSearchMixin,
    ExportAdminMixin,
    AddFormMixin,
    WorkflowAdminMixin,
    admin.ModelAdmin[ForfeitureCase],
):
    list_per_page = STAFF_LIST_PER_PAGE
    add_form = NewCaseForm
    transitions = CASE_TRANSITIONS
    workflow_actions = {
        "send_notice": (_("Send notice"), None),
        "confirm_notice": (_("Confirm the notice reached the member"), ConfirmNoticeForm),
        "close_window": (_("Close the response window"), None),
        "decide": (_("Decide"), DecideForm),
        "reinstate": (_("Lift the suspension"), ReinstateForm),
    }
    list_display = [
        "__str__",
        "member_name",
        "status",
        "opened_by",
        "opened_at",
        "response_due_on",
        "decision",
    ]
    list_filter = ["status", "grounds", "decision"]
    search_fields = ["licence__member__legal_name", "licence__number"]
    list_select_related = ["licence__member", "opened_by"]
    autocomplete_fields = ["licence", "findings", "cycles"]
    show_full_result_count = False
    readonly_fields = (
        "licence",
        "grounds",
        "narrative",
        "linked",
        "status",
        "opened_by",
        "opened_at",
        "notice_sent_at",
        "notice_delivered_at",
        "notice_delivery_note",
        "response_due_on",
        "deliveries",
        "response",
        "response_links",
        "responded_at",
        "responded_by",
        "decision",
        "decision_reasons",
        "suspended_until",
        "decided_by",
        "decided_at",
        "reinstated_at",
    )

    @admin.display(description=_("member"), ordering="licence__member__legal_name")
    def member_name(self, case: ForfeitureCase) -> str:
        return member_link(case.licence.member)

    @admin.display(description=_("findings and cycles"))
    def linked(self, case: ForfeitureCase) -> str:
        parts = [str(f) for f in case.findings.select_related("criterion")] + [
            str(c) for c in case.cycles.select_related("member")
        ]
        return "; ".join(parts) or "—"

    @admin.display(description=_("e-mails sent"))
    def deliveries(self, case: ForfeitureCase) -> str:
        return delivery_history(messages_about(case))

    def action_available(self, obj: ForfeitureCase, action: str) -> bool:
        if action == "confirm_notice":
            return obj.status == CaseStatus.NOTICE_SENT and obj.notice_delivered_at is None
        if action == "reinstate":
            return obj.decision == Decision.SUSPENSION and obj.reinstated_at is None
        return True

    def action_refusal(self, request: HttpRequest, obj: ForfeitureCase, action: str) -> str | None:
        if action not in ("decide", "reinstate"):
            return None
        user: User = request.user  # type: ignore[assignment]
        if not can_decide_cases(user):
            return str(_("Only decision makers may decide forfeiture cases."))
        if obj.opened_by_id == user.pk:
            return str(_("A case is decided by someone other than the person who opened it."))
        return None

    def act_context(self, request: HttpRequest, obj: ForfeitureCase, action: str) -> dict[str, Any]:
        if action not in ("decide", "reinstate"):
            return {}
        return {
            "summary_template": "admin/workflow_case_summary.html",
            "case": obj,
            "findings": obj.findings.select_related("criterion").order_by("due_on", "pk"),
            "cycles": obj.cycles.select_related("member"),
            "response_documents": [
                (
                    reverse(
                        "admin:compliance_forfeiturecase_document", args=[obj.pk, d.document_id]
                    ),
                    d.document,
                )
                for d in obj.response_documents.select_related("document")
            ],
        }

    @admin.display(description=_("response documents"))
    def response_links(self, case: ForfeitureCase) -> str:
        return _document_links(
            "admin:compliance_forfeiturecase_document",
            case.pk,
            [d.document for d in case.response_documents.select_related("document")],
        )

    def get_urls(self) -> list[Any]:
        return [
            path(
                "<int:pk>/documents/<uuid:document_id>/",
                self.admin_site.admin_view(self.document_view),
                name="compliance_forfeiturecase_document",
            ),
            *super().get_urls(),
        ]

    def document_view(self, request: HttpRequest, pk: int, document_id: str) -> Any:
        case = self.get_object(request, str(pk))
        item = (
            case.response_documents.select_related("document")
            .filter(document_id=document_id)
            .first()
            if case is not None
            else None
        )
        if item is None:
            raise Http404
        if not self.has_view_permission(request, case):
            raise PermissionDenied
        return document_response(request, item.document, actor=request.user)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(
        self, request: HttpRequest, obj: ForfeitureCase, form: Any, change: bool
    ) -> None:
        if not change:
            case = services.case_open(
                actor=request.user,  # type: ignore[arg-type]
                licence=obj.licence,
                grounds=obj.grounds,
                narrative=obj.narrative,
                findings=form.cleaned_data["findings"],
                cycles=form.cleaned_data["cycles"],
                request=request,
            )
            obj.pk = case.pk

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        return None  # the links were set by the service

    def perform(
        self, request: HttpRequest, obj: ForfeitureCase, action: str, data: dict[str, Any]
    ) -> None:
        actor: User = request.user  # type: ignore[assignment]
        if action == "send_notice":
            services.case_send_notice(actor=actor, case=obj, request=request)
        elif action == "confirm_notice":
            services.case_confirm_notice(actor=actor, case=obj, note=data["note"], request=request)
        elif action == "close_window":
            services.case_close_window(actor=actor, case=obj, request=request)
        elif action == "decide":
            services.case_decide(
                actor=actor,
                case=obj,
                decision=data["decision"],
                reasons=data["reasons"],
                suspended_until=data.get("suspended_until"),
                request=request,
            )
        elif action == "reinstate":
            services.case_reinstate(actor=actor, case=obj, reason=data["reason"], request=request)


@admin.register(ComplianceCertificate)
class ComplianceCertificateAdmin(
    UnionSearchMixin, ExportAdminMixin, admin.ModelAdmin[ComplianceCertificate]
):
    list_per_page = STAFF_LIST_PER_PAGE
    list_display = ["number", "member_name", "outcome", "status", "valid_from", "valid_until"]
    list_filter = ["status", "outcome"]
    search_fields = ["number", "member__legal_name", "verification_code__exact"]
    list_select_related = ["member"]
    show_full_result_count = False
    actions = ["reissue"]
    readonly_fields = (
        "number",
        "member",
        "licence",
        "cycle",
        "outcome",
        "valid_from",
        "valid_until",
        "status",
        "issued_at",
        "ended_at",
        "end_reason",
        "verification_link",
        "pdf_sha256",
    )
    fields = readonly_fields

    @admin.display(description=_("member"), ordering="member__legal_name")
    def member_name(self, certificate: ComplianceCertificate) -> str:
        return member_link(certificate.member)

    @admin.display(description=_("verification"))
    def verification_link(self, certificate: ComplianceCertificate) -> str:
        url = reverse("verify:code", args=[certificate.verification_code])
        return format_html('<a href="{}">{}</a>', url, url)

    @admin.display(description=_("SHA-256 of the PDF"))
    def pdf_sha256(self, certificate: ComplianceCertificate) -> str:
        return certificate.pdf.sha256 if certificate.pdf else "—"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(description=_("Re-issue certificates for the members of the selected ones"))
    def reissue(self, request: HttpRequest, queryset: QuerySet[ComplianceCertificate]) -> Any:
        members = list(Member.objects.filter(certificates__in=queryset).distinct())
        batch = services.certificate_batch_start(
            actor=request.user,  # type: ignore[arg-type]
            members=members,
            request=request,
        )
        return redirect(reverse("admin:compliance_certificatebatch_change", args=[batch.pk]))


@admin.register(CertificateBatch)
class CertificateBatchAdmin(admin.ModelAdmin[CertificateBatch]):
    list_per_page = STAFF_LIST_PER_PAGE
    list_display = ["created_at", "requested_by", "progress", "finished_at"]
    readonly_fields = (
        "requested_by",
        "created_at",
        "progress",
        "total",
        "done",
        "skipped",
        "progressed_at",
        "finished_at",
    )
    fields = readonly_fields
    list_select_related = ["requested_by"]

    @admin.display(description=_("progress"))
    def progress(self, batch: CertificateBatch) -> str:
        return format_html(
            '<progress value="{}" max="100"></progress> {}% ({}/{})',
            batch.percent,
            batch.percent,
            batch.done + batch.skipped,
            batch.total,
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(AuditorGrant)
class AuditorGrantAdmin(UnionSearchMixin, ExportAdminMixin, admin.ModelAdmin[AuditorGrant]):
    list_per_page = STAFF_LIST_PER_PAGE
    list_display = ["auditor", "member_name", "expires_on", "granted_by", "created_at"]
    list_filter = ["expires_on"]
    search_fields = ["auditor__email", "member__legal_name"]
    list_select_related = ["auditor", "member", "granted_by"]
    fields = ["auditor", "member", "expires_on"]
    autocomplete_fields = ["auditor", "member"]

    @admin.display(description=_("member"), ordering="member__legal_name")
    def member_name(self, grant: AuditorGrant) -> str:
        return member_link(grant.member) if grant.member_id else str(_("all members"))

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "auditor":
            kwargs["queryset"] = User.objects.filter(groups__name=AUDITORS_GROUP)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request: HttpRequest, obj: AuditorGrant, form: Any, change: bool) -> None:
        services.auditor_grant_save(
            actor=request.user,  # type: ignore[arg-type]
            grant=obj,
            request=request,
        )


from . import admin_validity  # noqa: E402, F401  (registers the documents' list)
