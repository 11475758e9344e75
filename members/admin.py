from datetime import timedelta
from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from django.http.response import HttpResponseBase
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_countries import countries
from django_countries.filters import CountryFilter

from alliance_portal import text_limits
from alliance_portal.admin import delivery_history
from alliance_portal.admin_filters import (
    STAFF_LIST_PER_PAGE,
    UnionSearchMixin,
    indexed_values_filter,
)
from alliance_portal.admin_links import member_link, picker_request
from alliance_portal.admin_workflow import WorkflowAdminMixin
from alliance_portal.documents import document_response
from alliance_portal.exports import ExportAdminMixin
from alliance_portal.outbox import messages_for_member
from alliance_portal.roles import AUDITORS_GROUP

from . import selectors, services
from .admin_people import people_table
from .consent import consent_status_label
from .models import (
    APPLICATION_TRANSITIONS,
    Application,
    ApplicationDocument,
    DocumentRequirement,
    InformationRequest,
    Invitation,
    Member,
    Membership,
    RiskRating,
    User,
    field_label,
)
from .selectors import with_consent_status
from .services.applications import CHECKLIST_FIELDS, checklist_missing
from .services.members import STAFF_EDITABLE_FIELDS
from .services.users import user_access_changed, user_access_snapshot


class UserCreationForm(AdminUserCreationForm[User]):
    class Meta:
        model = User
        fields = ("email",)


class UserEditForm(UserChangeForm[User]):
    class Meta:
        model = User
        fields = "__all__"


@admin.register(User)
class UserAdmin(UnionSearchMixin, ExportAdminMixin, DjangoUserAdmin[User]):
    list_per_page = STAFF_LIST_PER_PAGE
    form = UserEditForm
    add_form = UserCreationForm
    ordering = ["email"]
    list_display = ["email", "full_name", "is_staff", "is_active", "last_login"]
    list_filter = ["is_staff", "is_active", "groups", "language"]
    search_fields = ["email", "full_name"]
    readonly_fields = ["last_login", "date_joined", "personal_data_consents"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Personal details"), {"fields": ("full_name", "language")}),
        (
            _("Permissions"),
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        (_("Dates"), {"fields": ("last_login", "date_joined")}),
        (_("Personal-data consent"), {"fields": ("personal_data_consents",)}),
    )

    @admin.display(description=_("consents given and withdrawn"))
    def personal_data_consents(self, user: User) -> str:
        """Each consent (a record, read only): given when, from where, on which text, and its
        withdrawal."""
        rows = list(selectors.consents_of(user))
        if not rows:
            return str(_("not given"))
        return format_html(
            '<table class="consents"><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th>'
            "</tr></thead><tbody>{}</tbody></table>",
            _("given"),
            _("IP address, browser"),
            _("text (SHA-256)"),
            _("withdrawn"),
            format_html_join(
                "",
                "<tr><td>{}</td><td>{} · {}</td><td><code>{}</code> ({})</td><td>{}</td></tr>",
                (
                    (
                        date_format(c.given_at, "SHORT_DATETIME_FORMAT"),
                        c.ip or "—",
                        c.user_agent[:80] or "—",
                        c.text_sha256[:16],
                        c.language,
                        date_format(c.withdrawn_at, "SHORT_DATETIME_FORMAT")
                        + f" · {c.withdrawal_ip or '—'}"
                        if c.withdrawn_at
                        else "—",
                    )
                    for c in rows
                ),
            ),
        )

    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("email", "full_name", "usable_password", "password1", "password2"),
            },
        ),
    )

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        # People are deactivated, never deleted: the audit log keeps pointing at them.
        return False

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[User], search_term: str
    ) -> tuple[QuerySet[User], bool]:
        if picker_request(request, "compliance.auditorgrant", "auditor"):
            queryset = queryset.filter(groups__name=AUDITORS_GROUP)  # only auditors are granted
        return super().get_search_results(request, queryset, search_term)

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        # Whoever can change accounts can grant themselves any role: superusers only.
        return bool(request.user.is_active and request.user.is_superuser)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.is_active and request.user.is_superuser)

    def save_model(self, request: HttpRequest, obj: User, form: Any, change: bool) -> None:
        self._access_before = user_access_snapshot(User.objects.get(pk=obj.pk)) if change else {}
        super().save_model(request, obj, form, change)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        user_access_changed(
            actor=request.user,  # type: ignore[arg-type]
            user=form.instance,
            before=self._access_before,
            request=request,
        )


# --- Applications -------------------------------------------------------------------------


class ReviewTargetFilter(admin.SimpleListFilter):
    title = _("review target")
    parameter_name = "target"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("30", _("Open past 30 days")), ("90", _("Open past 90 days"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() in ("30", "90"):
            cutoff = timezone.now() - timedelta(days=int(self.value() or 0))
            return queryset.filter(
                status__in=["submitted", "under_review", "information_requested"],
                submitted_at__lt=cutoff,
            )
        return queryset


class ApplicationDocumentInline(admin.TabularInline[ApplicationDocument, Application]):
    model = ApplicationDocument
    extra = 0
    can_delete = False
    fields = readonly_fields = ("requirement", "download", "size", "scan", "added_at")

    def get_queryset(self, request: HttpRequest) -> QuerySet[ApplicationDocument]:
        return super().get_queryset(request).select_related("document", "requirement")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("document"))
    def download(self, link: ApplicationDocument) -> str:
        url = reverse(
            "admin:members_application_document", args=[link.application_id, link.document_id]
        )
        return format_html('<a href="{}">{}</a>', url, link.document.original_name)

    @admin.display(description=_("size"))
    def size(self, link: ApplicationDocument) -> str:
        from django.template.defaultfilters import filesizeformat

        return filesizeformat(link.document.size)

    @admin.display(description=_("virus scan"))
    def scan(self, link: ApplicationDocument) -> str:
        return str(link.document.get_scan_status_display())


class InformationRequestInline(admin.StackedInline[InformationRequest, Application]):
    model = InformationRequest
    extra = 0
    can_delete = False

    def get_queryset(self, request: HttpRequest) -> QuerySet[InformationRequest]:
        return super().get_queryset(request).select_related("requested_by")

    fields = readonly_fields = ("requested_at", "requested_by", "message", "answered_at", "answer")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ApplicationChecklistForm(forms.ModelForm[Application]):
    class Meta:
        model = Application
        fields = CHECKLIST_FIELDS


class DecisionForm(forms.Form):
    message = forms.CharField(
        label=_("What information is needed"),
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=text_limits.TEXT,
    )


class ApproveForm(forms.Form):
    # No rating is preselected: approving says explicitly how risky the member is.
    risk_rating = forms.ChoiceField(
        label=_("Risk rating"), choices=[("", "---------"), *RiskRating.choices]
    )
    reason = forms.CharField(
        label=_("Note to the applicant (optional)"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=text_limits.TEXT,
    )


class RejectForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for the rejection"),
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=text_limits.TEXT,
    )


class ExtendReviewForm(forms.Form):
    until = forms.DateField(
        label=_("Decide by"),
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Once only, and no later than 90 days from the submission."),
    )
    reason = forms.CharField(
        label=_("Reason for the extension (the applicant reads it)"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=text_limits.TEXT,
    )


STAFF_ACTIONS: dict[str, tuple[Any, type[forms.Form] | None]] = {
    "start_review": (_("Start review"), None),
    "request_information": (_("Request information"), DecisionForm),
    "approve": (_("Approve"), ApproveForm),
    "reject": (_("Reject"), RejectForm),
    "extend_review": (_("Extend the review"), ExtendReviewForm),
}


@admin.display(description=_("country"), ordering="country")
def country_name(record: Any) -> str:
    """The country's name by a lookup: the admin's own display of a choice field walks all
    250 countries for every row."""
    return str(countries.name(record.country))


@admin.register(Application)
class ApplicationAdmin(  # type: ignore[misc]
    UnionSearchMixin, ExportAdminMixin, WorkflowAdminMixin, admin.ModelAdmin[Application]
):
    list_per_page = STAFF_LIST_PER_PAGE
    form = ApplicationChecklistForm
    transitions = APPLICATION_TRANSITIONS
    workflow_actions = STAFF_ACTIONS
    list_display = [
        "__str__",
        country_name,
        "applicant",
        "status",
        "submitted_at",
        "review_target",
        "member_name",
    ]
    list_filter = [
        "status",
        ("country", CountryFilter),
        ("submitted_at", admin.DateFieldListFilter),
        ReviewTargetFilter,
    ]
    search_fields = ["legal_name", "registration_number", "kp_registration", "applicant__email"]
    list_select_related = ["applicant", "member"]
    show_full_result_count = False
    inlines = [ApplicationDocumentInline, InformationRequestInline]
    fieldsets = (
        (
            _("Status"),
            {
                "fields": (
                    "status",
                    "applicant",
                    "member",
                    "submitted_at",
                    "review_target",
                    "review_extended_until",
                    "review_extension_reason",
                )
            },
        ),
        (
            _("Company"),
            {
                "fields": (
                    "legal_name",
                    "registration_number",
                    "country",
                    "address",
                    "website",
                    "kp_registration",
                    "contract_reference",
                    "public_listing_consent",
                    "former_names",
                )
            },
        ),
        (_("Owners and key people"), {"fields": ("no_owner_reason", "people")}),
        (
            _("Eligibility"),
            {
                "fields": (
                    "is_long_term_client",
                    "trades_only_kp_certified",
                    "free_of_sanctions",
                    "accepts_guidelines",
                )
            },
        ),
        (_("Review checklist"), {"fields": CHECKLIST_FIELDS}),
        (_("Decision"), {"fields": ("decided_at", "decided_by", "decision_reason")}),
    )

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        editable = (
            set(CHECKLIST_FIELDS)
            if obj is not None
            and obj.status
            in (
                "submitted",
                "under_review",
                "information_requested",
            )
            else set()
        )
        names = [str(name) for _, options in self.fieldsets for name in options["fields"]]
        return [name for name in names if name not in editable]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # applicants apply in the portal

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("member"), ordering="member__legal_name")
    def member_name(self, application: Application) -> str:
        return member_link(application.member)

    @admin.display(description=_("owners and key people"))
    def people(self, application: Application) -> str:
        return people_table(selectors.current_people_of_application(application))

    def act_context(self, request: HttpRequest, obj: Application, action: str) -> dict[str, Any]:
        if action != "approve":
            return {}
        return {
            "summary_template": "admin/workflow_checklist.html",
            "checklist": [
                (field_label(Application, name), getattr(obj, name)) for name in CHECKLIST_FIELDS
            ],
            "checklist_missing": checklist_missing(obj),
        }

    @admin.display(description=_("review target"))
    def review_target(self, application: Application) -> str:
        days = application.review_days_left
        if days is None:
            return "—"
        if days < 0:
            return format_html(
                '<strong style="color: #b91c1c">{}</strong>',
                gettext("%(days)d days overdue") % {"days": -days},
            )
        return gettext("%(days)d days left") % {"days": days}

    def save_model(self, request: HttpRequest, obj: Application, form: Any, change: bool) -> None:
        checks = {
            name: form.cleaned_data[name] for name in CHECKLIST_FIELDS if name in form.changed_data
        }
        if checks:
            services.application_update_checklist(
                actor=request.user,  # type: ignore[arg-type]
                application=obj,
                checks=checks,
                request=request,
            )

    def get_urls(self) -> list[Any]:
        return [
            path(
                "<int:pk>/documents/<uuid:document_id>/",
                self.admin_site.admin_view(self.document_view),
                name="members_application_document",
            ),
            *super().get_urls(),
        ]

    def action_available(self, obj: Application, action: str) -> bool:
        if action == "extend_review":
            return obj.review_days_left is not None and obj.review_extended_until is None
        return True

    def perform(
        self, request: HttpRequest, obj: Application, action: str, data: dict[str, Any]
    ) -> None:
        actor: User = request.user  # type: ignore[assignment]
        if action == "extend_review":
            services.application_extend_review(
                actor=actor,
                application=obj,
                until=data["until"],
                reason=data["reason"],
                request=request,
            )
        if action == "start_review":
            services.application_start_review(actor=actor, application=obj, request=request)
        elif action == "request_information":
            services.application_request_information(
                actor=actor, application=obj, message=data["message"], request=request
            )
        elif action == "approve":
            services.application_approve(
                actor=actor,
                application=obj,
                risk_rating=data["risk_rating"],
                reason=data.get("reason", ""),
                request=request,
            )
        elif action == "reject":
            services.application_reject(
                actor=actor, application=obj, reason=data["reason"], request=request
            )

    def document_view(self, request: HttpRequest, pk: int, document_id: str) -> HttpResponseBase:
        try:
            link = selectors.application_document_for_staff(pk, document_id)
        except ApplicationDocument.DoesNotExist:
            raise Http404 from None
        if not self.has_view_permission(request, link.application):
            raise PermissionDenied
        return document_response(request, link.document, actor=request.user)


# --- Members ------------------------------------------------------------------------------


class MembershipInline(admin.TabularInline[Membership, Member]):
    model = Membership
    extra = 0
    can_delete = False

    def get_queryset(self, request: HttpRequest) -> QuerySet[Membership]:
        return with_consent_status(super().get_queryset(request).select_related("user", "member"))

    fields = readonly_fields = ("user", "role", "created_at", "personal_data_consent")

    @admin.display(description=_("personal-data consent"))
    def personal_data_consent(self, membership: Membership) -> str:
        return consent_status_label(
            getattr(membership, "consent_given_at", None),
            getattr(membership, "consent_withdrawn_at", None),
        )

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # teams are managed by the members' signatories in the portal


class MemberApplicationInline(admin.TabularInline[Application, Member]):
    model = Application
    extra = 0
    can_delete = False
    fields = readonly_fields = ("link", "status", "submitted_at", "decided_at")
    verbose_name_plural = _("applications")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("application"))
    def link(self, application: Application) -> str:
        url = reverse("admin:members_application_change", args=[application.pk])
        return format_html('<a href="{}">{}</a>', url, application)


@admin.register(Member)
class MemberAdmin(ExportAdminMixin, admin.ModelAdmin[Member]):
    list_per_page = STAFF_LIST_PER_PAGE
    list_display = [
        "legal_name",
        country_name,
        "risk_rating",
        "approved_at",
        "public_listing_consent",
        "overview",
    ]
    export_fields = [
        "legal_name",
        "registration_number",
        "country",
        "kp_registration",
        "contract_reference",
        "risk_rating",
        "approved_at",
        "public_listing_consent",
    ]
    list_filter = [
        "risk_rating",
        indexed_values_filter(Member, "country", label=countries.name),
        "public_listing_consent",
    ]
    # The name and the three numbers, as one indexed column (Member.search_text).
    search_fields = ["search_text"]
    fields = [
        "overview",
        *STAFF_EDITABLE_FIELDS,
        "people",
        "approved_at",
        "documents",
        "deliveries",
    ]
    readonly_fields = ["overview", "people", "approved_at", "documents", "deliveries"]
    inlines = [MembershipInline, MemberApplicationInline]
    show_full_result_count = False
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # a member is born from an approved application

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("owners and key people"))
    def people(self, member: Member) -> str:
        return people_table(selectors.current_people_of_member(member))

    @admin.display(description=_("e-mails sent"))
    def deliveries(self, member: Member) -> str:
        return delivery_history(messages_for_member(member.pk))

    @admin.display(description=_("360° view"))
    def overview(self, member: Member) -> str:
        return format_html(
            '<a href="{}">{}</a>',
            reverse("workbench:member", args=[member.pk]),
            gettext("Everything about %(member)s") % {"member": member.legal_name},
        )

    @admin.display(description=_("documents"))
    def documents(self, member: Member) -> str:
        links = selectors.documents_of_member(member)
        if not links:
            return "—"
        return format_html(
            "<ul>{}</ul>",
            format_html_join(
                "",
                '<li><a href="{}">{}</a> — {}</li>',
                (
                    (
                        reverse(
                            "admin:members_application_document",
                            args=[link.application_id, link.document_id],
                        ),
                        link.document.original_name,
                        link.requirement.title,
                    )
                    for link in links
                ),
            ),
        )

    def save_model(self, request: HttpRequest, obj: Member, form: Any, change: bool) -> None:
        changes = {
            name: form.cleaned_data[name]
            for name in form.changed_data
            if name in STAFF_EDITABLE_FIELDS
        }
        if changes:
            services.member_update(
                actor=request.user,  # type: ignore[arg-type]
                member=Member.objects.get(pk=obj.pk),
                changes=changes,
                request=request,
            )


@admin.register(Invitation)
class InvitationAdmin(UnionSearchMixin, ExportAdminMixin, admin.ModelAdmin[Invitation]):
    list_per_page = STAFF_LIST_PER_PAGE
    list_display = [
        "email",
        "member_name",
        "role",
        "created_at",
        "expires_at",
        "accepted_at",
        "revoked_at",
    ]
    list_filter = ["role"]
    search_fields = ["email", "member__legal_name"]
    list_select_related = ["member"]
    readonly_fields = [
        "member",
        "email",
        "role",
        "invited_by",
        "created_at",
        "expires_at",
        "accepted_at",
        "accepted_by",
        "revoked_at",
    ]
    exclude = ["token_hash"]

    @admin.display(description=_("member"), ordering="member__legal_name")
    def member_name(self, invitation: Invitation) -> str:
        return member_link(invitation.member)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(DocumentRequirement)
class DocumentRequirementAdmin(admin.ModelAdmin[DocumentRequirement]):
    list_display = [
        "title_en",
        "code",
        "required",
        "active",
        "expires",
        "validity_months",
        "position",
    ]
    list_editable = ["required", "active", "position"]
    prepopulated_fields = {"code": ["title_en"]}

    def save_model(
        self, request: HttpRequest, obj: DocumentRequirement, form: Any, change: bool
    ) -> None:
        services.document_requirement_save(
            actor=request.user,  # type: ignore[arg-type]
            requirement=obj,
            changed=list(form.changed_data),
            request=request,
        )

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # retire a requirement by unticking "asked for"
