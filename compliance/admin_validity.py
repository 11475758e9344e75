"""Staff's list of the documents members gave: confirm or correct their dates, verify or
reject them (with a reason the member reads), and see which have expired or expire soon."""

from datetime import timedelta
from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from alliance_portal.admin_filters import STAFF_LIST_PER_PAGE, UnionSearchMixin
from alliance_portal.admin_workflow import WorkflowAdminMixin
from alliance_portal.documents import document_response
from alliance_portal.exports import ExportAdminMixin
from alliance_portal.models import DOCUMENT_REVIEW_TRANSITIONS, EXPIRING_SOON_DAYS

from . import services
from .models import MemberDocumentRecord
from .selectors_validity import current_document_ids

VALIDITY_LABELS = {
    "expired": _("Expired"),
    "expiring": _("Expires soon"),
    "rejected": _("Rejected"),
    "valid": _("Valid"),
}


class VerifyForm(forms.Form):
    issued_on = forms.DateField(
        label=_("Issued on"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Empty: keep the date the member gave."),
    )
    expires_on = forms.DateField(
        label=_("Valid until"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Empty: keep the date the member gave."),
    )


class RejectForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason (the member reads it)"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


class ValidityFilter(admin.SimpleListFilter):
    title = _("validity")
    parameter_name = "validity"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [
            ("attention", _("Current, expired or expiring")),
            ("rejected", _("Rejected")),
            ("unreviewed", _("Not reviewed yet")),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() == "attention":
            requirement_docs, evidence_docs = current_document_ids()
            soon = timezone.localdate() + timedelta(days=EXPIRING_SOON_DAYS)
            return queryset.filter(
                Q(pk__in=requirement_docs) | Q(pk__in=evidence_docs), expires_on__lte=soon
            )
        if self.value() == "rejected":
            return queryset.filter(review_status="rejected")
        if self.value() == "unreviewed":
            return queryset.filter(review_status="pending")
        return queryset


@admin.register(MemberDocumentRecord)
class MemberDocumentRecordAdmin(  # type: ignore[misc]
    UnionSearchMixin,
    ExportAdminMixin,
    WorkflowAdminMixin,
    admin.ModelAdmin[MemberDocumentRecord],
):
    list_per_page = STAFF_LIST_PER_PAGE
    transitions = DOCUMENT_REVIEW_TRANSITIONS
    workflow_actions = {
        "verify": (_("Verify (confirm or correct the dates)"), VerifyForm),
        "reject": (_("Reject"), RejectForm),
    }
    list_display = [
        "original_name",
        "uploaded_by",
        "uploaded_at",
        "issued_on",
        "expires_on",
        "review_status",
        "validity",
    ]
    list_filter = [ValidityFilter, "review_status", "expires_on"]
    search_fields = ["original_name", "uploaded_by__email"]
    list_select_related = ["uploaded_by"]
    ordering = ["expires_on", "uploaded_at"]
    show_full_result_count = False
    readonly_fields = fields = (
        "download",
        "original_name",
        "content_type",
        "size",
        "uploaded_by",
        "uploaded_at",
        "issued_on",
        "expires_on",
        "review_status",
        "review_reason",
        "reviewed_by",
        "reviewed_at",
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[MemberDocumentRecord]:
        return super().get_queryset(request).select_related("uploaded_by", "reviewed_by")

    @admin.display(description=_("validity"))
    def validity(self, document: MemberDocumentRecord) -> str:
        return str(VALIDITY_LABELS.get(document.validity_state, "—"))

    @admin.display(description=_("file"))
    def download(self, document: MemberDocumentRecord) -> str:
        url = reverse("admin:compliance_memberdocumentrecord_file", args=[document.pk])
        return format_html('<a href="{}">{}</a>', url, document.original_name)

    def get_urls(self) -> list[Any]:
        return [
            path(
                "<uuid:pk>/file/",
                self.admin_site.admin_view(self.file_view),
                name="compliance_memberdocumentrecord_file",
            ),
            *super().get_urls(),
        ]

    def file_view(self, request: HttpRequest, pk: str) -> Any:
        document = self.get_object(request, str(pk))
        if document is None:
            raise Http404
        if not self.has_view_permission(request, document):
            raise PermissionDenied
        return document_response(request, document, actor=request.user)

    def perform(self, request: HttpRequest, obj: Any, action: str, data: dict[str, Any]) -> None:
        actor = request.user
        if action == "verify":
            services.document_verify(
                actor=actor,  # type: ignore[arg-type]
                document=obj,
                issued_on=data["issued_on"],
                expires_on=data["expires_on"],
                request=request,
            )
        elif action == "reject":
            services.document_reject(
                actor=actor,  # type: ignore[arg-type]
                document=obj,
                reason=data["reason"],
                request=request,
            )

    def act_context(self, request: HttpRequest, obj: Any, action: str) -> dict[str, Any]:
        return {"summary_template": "compliance/admin/document_summary.html", "document": obj}

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
