"""The staff's screening screens: the hits queue with its triage, and the lists read-only."""

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from alliance_portal import text_limits
from alliance_portal.admin_filters import STAFF_LIST_PER_PAGE
from alliance_portal.admin_links import member_link
from alliance_portal.admin_workflow import WorkflowAdminMixin
from members.models import User

from . import selectors, services
from .models import HIT_TRANSITIONS, Hit, HitStatus, ListEntry, ListVersion

HOW = {
    "same": _("same"),
    "initial": _("initial"),
    "same name in another spelling": _("same name in another spelling"),
    "sounds alike": _("sounds alike"),
    "spelling": _("similar spelling"),
}
RESULT = {
    "match": _("matches"),
    "partial match": _("partly matches"),
    "differs": _("differs"),
}


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Why is this not the listed person or company?"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=text_limits.TEXT,
    )


class ProposalForm(forms.Form):
    note = forms.CharField(
        label=_("Why is this the listed person or company?"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=text_limits.TEXT,
        help_text=_("A decision maker confirms the match; then it takes effect."),
    )


def _values(values: Any) -> str:
    if isinstance(values, list):
        return ", ".join(str(v) for v in values) or "—"
    return str(values) if values not in (None, "") else "—"


def features_table(hit: Hit) -> str:
    """Why the pair matched, feature by feature, with what each added to the score."""
    features = hit.features or {}
    rows: list[tuple[str, str, str, str]] = []
    name = features.get("name")
    if name:
        rows.append(
            (
                str(_("Name")),
                name.get("subject_name", ""),
                name.get("entry_name", ""),
                f"{name.get('score', 0):.2f}",
            )
        )
        for part in name.get("parts", []):
            rows.append(
                (
                    "  · " + str(HOW.get(part.get("how", ""), part.get("how", ""))),
                    part.get("subject", ""),
                    part.get("entry", ""),
                    f"{part.get('similarity', 0):.2f}",
                )
            )
    for key, label in (
        ("legal_form", _("Legal form")),
        ("date_of_birth", _("Date of birth")),
        ("country", _("Country")),
    ):
        feature = features.get(key)
        if feature:
            rows.append(
                (
                    f"{label}: {RESULT.get(feature.get('result', ''), feature.get('result', ''))}",
                    _values(feature.get("subject")),
                    _values(feature.get("entry")),
                    f"{feature.get('weight', 0):+.2f}",
                )
            )
    yente = features.get("yente")
    if yente:
        for feature, value in sorted((yente.get("features") or {}).items()):
            rows.append((f"yente: {feature}", "", "", f"{float(value):.2f}"))
    body = format_html_join("", "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>", rows)
    return format_html(
        '<table class="screening-features"><thead><tr><th>{}</th><th>{}</th><th>{}</th>'
        "<th>{}</th></tr></thead><tbody>{}</tbody><tfoot><tr><th colspan=3>{}</th>"
        "<th>{}</th></tr></tfoot></table>",
        _("feature"),
        _("subject"),
        _("list entry"),
        _("score"),
        body,
        _("score"),
        f"{hit.score:.2f}",
    )


@admin.register(Hit)
class HitAdmin(WorkflowAdminMixin, admin.ModelAdmin[Hit]):  # type: ignore[misc]
    list_per_page = STAFF_LIST_PER_PAGE
    transitions = HIT_TRANSITIONS
    workflow_actions = {
        "start_review": (_("Start review"), None),
        "false_positive": (_("False positive"), ReasonForm),
        "propose_confirm": (_("Propose to confirm the match"), ProposalForm),
        "confirm": (_("Confirm the match"), None),
    }
    list_display = [
        "__str__",
        "subject_kind",
        "owner",
        "list_name",
        "score",
        "status",
        "created_at",
    ]
    list_filter = [
        "status",
        "entry__source",
        "subject__kind",
        ("review_started_by", admin.RelatedOnlyFieldListFilter),
    ]
    search_fields = [
        "subject__name",
        "subject__member__legal_name",
        "subject__application__legal_name",
        "entry__caption",
        "entry__entity_id",
    ]
    list_select_related = ["subject__member", "subject__application", "entry__source"]
    show_full_result_count = False
    readonly_fields = (
        "status",
        "score",
        "explanation",
        "subject_details",
        "entry_details",
        "created_at",
        "review_started_by",
        "review_started_at",
        "proposed_by",
        "proposed_at",
        "proposal_note",
        "false_positive_reason",
        "resolved_by",
        "resolved_at",
        "case_link",
    )
    fields = readonly_fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[Hit]:
        return selectors.hits_for_staff()

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("kind"), ordering="subject__kind")
    def subject_kind(self, hit: Hit) -> str:
        return hit.subject.get_kind_display()

    @admin.display(description=_("member or applicant"))
    def owner(self, hit: Hit) -> str:
        subject = hit.subject
        if subject.member is not None:
            return member_link(subject.member)
        if subject.application is not None:
            return format_html(
                '<a href="{}">{}</a>',
                reverse("admin:members_application_change", args=[subject.application.pk]),
                str(subject.application),
            )
        return "—"

    @admin.display(description=_("list"), ordering="entry__source__title")
    def list_name(self, hit: Hit) -> str:
        return hit.entry.source.title

    @admin.display(description=_("why it matched"))
    def explanation(self, hit: Hit) -> str:
        return features_table(hit)

    @admin.display(description=_("screened person or company"))
    def subject_details(self, hit: Hit) -> str:
        subject, data = hit.subject, hit.subject.data
        return format_html(
            "<strong>{}</strong> ({}{})<br>{}: {}<br>{}: {}<br>{}: {}<br>{}",
            subject.name,
            subject.get_kind_display(),
            f", {subject.role}" if subject.role else "",
            _("names"),
            _values(data.get("names")),
            _("date of birth"),
            _values(data.get("birth_dates")),
            _("countries"),
            _values(data.get("countries")),
            self.owner(hit),
        )

    @admin.display(description=_("list entry"))
    def entry_details(self, hit: Hit) -> str:
        entry = hit.entry
        return format_html(
            "<strong>{}</strong> ({})<br>{}: {} · {}: {}<br>{}: {}<br>{}: {}<br>{}: {}<br>{}: {}",
            entry.caption,
            entry.schema,
            _("list"),
            entry.source.title,
            _("list id"),
            entry.entity_id,
            _("names and aliases"),
            _values(entry.names),
            _("dates of birth"),
            _values(entry.birth_dates),
            _("countries"),
            _values(entry.countries),
            _("programme"),
            entry.programme or "—",
        )

    @admin.display(description=_("forfeiture case"))
    def case_link(self, hit: Hit) -> str:
        if hit.case is None:
            return "—"
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:compliance_forfeiturecase_change", args=[hit.case.pk]),
            str(hit.case),
        )

    def action_available(self, obj: Hit, action: str) -> bool:
        if action == "propose_confirm":
            return obj.status == HitStatus.UNDER_REVIEW and obj.proposed_by_id is None
        return True

    def action_refusal(self, request: HttpRequest, obj: Hit, action: str) -> str | None:
        if action != "confirm":
            return None
        refusal = services.confirm_refusal(request.user, obj)  # type: ignore[arg-type]
        return str(refusal) if refusal is not None else None

    def perform(self, request: HttpRequest, obj: Hit, action: str, data: dict[str, Any]) -> None:
        actor: User = request.user  # type: ignore[assignment]
        if action == "start_review":
            services.hit_start_review(actor=actor, hit=obj, request=request)
        elif action == "false_positive":
            services.hit_mark_false_positive(
                actor=actor, hit=obj, reason=data["reason"], request=request
            )
        elif action == "propose_confirm":
            services.hit_propose_confirm(actor=actor, hit=obj, note=data["note"], request=request)
        elif action == "confirm":
            services.hit_confirm(actor=actor, hit=obj, request=request)


class ReadOnlyAdmin(admin.ModelAdmin[Any]):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ListVersion)
class ListVersionAdmin(ReadOnlyAdmin):
    list_display = [
        "__str__",
        "file_name",
        "format",
        "entries",
        "added",
        "changed",
        "removed",
        "imported_by",
        "screened_at",
    ]
    list_filter = ["source"]
    show_full_result_count = False

    def get_queryset(self, request: HttpRequest) -> QuerySet[ListVersion]:
        return selectors.versions_for_staff()


@admin.register(ListEntry)
class ListEntryAdmin(ReadOnlyAdmin):
    list_per_page = STAFF_LIST_PER_PAGE
    list_display = [
        "caption",
        "kind",
        "source",
        "entity_id",
        "programme",
        "first_version",
        "removed_in",
    ]
    list_filter = ["source", "kind", ("removed_in", admin.EmptyFieldListFilter)]
    search_fields = ["caption", "entity_id"]
    show_full_result_count = False

    def get_queryset(self, request: HttpRequest) -> QuerySet[ListEntry]:
        return selectors.entries_for_staff()
