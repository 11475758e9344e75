"""Staff triage of reports: the list with its deadlines, and one button per step allowed."""

from datetime import date
from typing import Any

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from alliance_portal.admin import delivery_history
from alliance_portal.admin_filters import STAFF_LIST_PER_PAGE, UnionSearchMixin
from alliance_portal.admin_links import member_link
from alliance_portal.admin_workflow import WorkflowAdminMixin
from alliance_portal.documents import document_response
from alliance_portal.exports import ExportAdminMixin
from alliance_portal.outbox import messages_about
from members.models import User

from . import services
from .forms import ConcludeForm, DismissForm, OpenCaseForm, RaiseFindingForm
from .models import CLOSED_STATUSES, REPORT_TRANSITIONS, Report
from .permissions import can_see_reporter_identity
from .selectors import reports_for_staff, reports_overdue

# The e-mails' delivery record names their recipient: the reporter.
IDENTITY_FIELDS = ("reporter_email", "reporter_ip", "deliveries")


class DeadlineFilter(admin.SimpleListFilter):
    title = _("deadline")
    parameter_name = "deadline"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("overdue", _("Overdue"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Report]) -> QuerySet[Report]:
        if self.value() == "overdue":
            return queryset.filter(pk__in=reports_overdue().values("pk"))
        return queryset


@admin.register(Report)
class ReportAdmin(  # type: ignore[misc]
    UnionSearchMixin,
    ExportAdminMixin,
    WorkflowAdminMixin,
    admin.ModelAdmin[Report],
):
    list_per_page = STAFF_LIST_PER_PAGE
    transitions = REPORT_TRANSITIONS
    workflow_actions = {
        "acknowledge": (_("Acknowledge"), None),
        "start_review": (_("Start the review"), None),
        "dismiss": (_("Dismiss"), DismissForm),
        "raise_finding": (_("Raise a finding"), RaiseFindingForm),
        "open_case": (_("Open a forfeiture case"), OpenCaseForm),
        "conclude": (_("Conclude"), ConcludeForm),
    }
    list_display = [
        "reference",
        "category",
        "member_name",
        "status",
        "submitted_at",
        "acknowledge_due_on",
        "conclude_due_on",
        "overdue",
    ]
    list_filter = ["status", "category", DeadlineFilter]
    search_fields = ["reference", "member__legal_name"]
    list_select_related = ["member"]
    show_full_result_count = False
    base_fields = (
        "reference",
        "category",
        "member",
        "description",
        "evidence_links",
        "status",
        "submitted_at",
        "acknowledge_due_on",
        "conclude_due_on",
        "acknowledged_at",
        "handled_by",
        "dismissal_reason",
        "public_outcome",
        "concluded_at",
        "finding_link",
        "case_link",
        "appeal_text",
        "appealed_at",
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[Report]:
        return reports_for_staff()

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        user: User = request.user  # type: ignore[assignment]
        if can_see_reporter_identity(user):
            return (*self.base_fields[:4], *IDENTITY_FIELDS, *self.base_fields[4:])
        return self.base_fields

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return self.get_fields(request, obj)

    def get_search_fields(self, request: HttpRequest) -> Any:
        user: User = request.user  # type: ignore[assignment]
        # Searching by e-mail would tell who reported to one who may not see it.
        if can_see_reporter_identity(user):
            return [*self.search_fields, "reporter_email"]
        return self.search_fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # reports come from the public form

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("member concerned"), ordering="member__legal_name")
    def member_name(self, report: Report) -> str:
        return member_link(report.member)

    @admin.display(description=_("overdue"), boolean=True)
    def overdue(self, report: Report) -> bool:
        today: date = timezone.localdate()
        if report.status == "new" and report.acknowledge_due_on < today:
            return True
        return report.status not in CLOSED_STATUSES and report.conclude_due_on < today

    @admin.display(description=_("evidence"))
    def evidence_links(self, report: Report) -> str:
        documents = [e.document for e in report.evidence.select_related("document")]
        if not documents:
            return "—"
        return format_html_join(
            mark_safe("<br>"),
            '<a href="{}">{}</a>',
            (
                (reverse("admin:trust_report_document", args=[report.pk, d.pk]), d.original_name)
                for d in documents
            ),
        )

    @admin.display(description=_("finding raised"))
    def finding_link(self, report: Report) -> str:
        if report.finding_id is None:
            return "—"
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:compliance_finding_change", args=[report.finding_id]),
            str(report.finding),
        )

    @admin.display(description=_("case opened"))
    def case_link(self, report: Report) -> str:
        if report.case_id is None:
            return "—"
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:compliance_forfeiturecase_change", args=[report.case_id]),
            str(report.case),
        )

    @admin.display(description=_("e-mails to the reporter"))
    def deliveries(self, report: Report) -> str:
        return delivery_history(messages_about(report))

    def get_urls(self) -> list[Any]:
        return [
            path(
                "<int:pk>/documents/<uuid:document_id>/",
                self.admin_site.admin_view(self.document_view),
                name="trust_report_document",
            ),
            *super().get_urls(),
        ]

    def document_view(self, request: HttpRequest, pk: int, document_id: str) -> Any:
        report = self.get_object(request, str(pk))
        if report is None:
            raise Http404
        if not self.has_view_permission(request, report):
            raise PermissionDenied
        item = report.evidence.select_related("document").filter(document_id=document_id).first()
        if item is None:
            raise Http404
        return document_response(request, item.document, actor=request.user)

    def perform(self, request: HttpRequest, obj: Report, action: str, data: dict[str, Any]) -> None:
        actor: User = request.user  # type: ignore[assignment]
        if action == "acknowledge":
            services.report_acknowledge(actor=actor, report=obj, request=request)
        elif action == "start_review":
            services.report_start_review(actor=actor, report=obj, request=request)
        elif action == "dismiss":
            services.report_dismiss(actor=actor, report=obj, request=request, **data)
        elif action == "conclude":
            services.report_conclude(actor=actor, report=obj, request=request, **data)
        elif action == "raise_finding":
            services.report_raise_finding(actor=actor, report=obj, request=request, **data)
        elif action == "open_case":
            services.report_open_case(actor=actor, report=obj, request=request, **data)
