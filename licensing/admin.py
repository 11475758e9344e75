from datetime import timedelta
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from django.http.response import HttpResponseBase
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from alliance_portal import text_limits
from alliance_portal.admin_filters import (
    STAFF_LIST_PER_PAGE,
    AutocompleteFilter,
    UnionSearchMixin,
    indexed_values_filter,
)
from alliance_portal.admin_links import member_link, picker_request
from alliance_portal.admin_workflow import AddFormMixin, WorkflowAdminMixin
from alliance_portal.documents import document_response
from alliance_portal.exports import ExportAdminMixin
from members.models import Member, User

from . import editions, logo_uses, services
from .agreement import PLACEHOLDERS, check_template_text
from .models import (
    LICENCE_TRANSITIONS,
    LOGO_USE_TRANSITIONS,
    AgreementTemplate,
    Criterion,
    CriterionMapping,
    GuidelinesAcknowledgement,
    GuidelinesSection,
    GuidelinesVersion,
    LicenceAgreement,
    LicenceStatus,
    LogoKitAcceptance,
    LogoUse,
    Signature,
)
from .selectors import edition_mapping_problems, previous_edition


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"), widget=forms.Textarea(attrs={"rows": 4}), max_length=text_limits.TEXT
    )


LICENCE_ACTIONS: dict[str, tuple[Any, type[forms.Form] | None]] = {
    "issue": (_("Issue"), None),
    "withdraw": (_("Withdraw"), ReasonForm),
    # Suspension, reinstatement and forfeiture are decided in forfeiture cases (four eyes).
    "terminate": (_("Terminate"), ReasonForm),
    "expire": (_("Expire"), None),
    "renew": (_("Prepare renewal"), None),
}


def licence_label(licence: LicenceAgreement) -> str:
    """A licence as staff pick it: its number, its member and its status (select the member)."""
    return f"{licence.number or '—'} · {licence.member.legal_name} · {licence.get_status_display()}"


class ExpiringFilter(admin.SimpleListFilter):
    title = _("expiry")
    parameter_name = "expiring"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("90", _("Active, ending within 90 days"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() == "90":
            today = timezone.localdate()
            return queryset.filter(
                status="active", ends_on__gte=today, ends_on__lte=today + timedelta(days=90)
            )
        return queryset


class NewLicenceForm(forms.ModelForm[LicenceAgreement]):
    class Meta:
        model = LicenceAgreement
        fields = ["member", "template", "guidelines", "term_years"]

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean() or {}
        if cleaned.get("member") is not None:
            for problem in services.licence_issue_problems(cleaned["member"]):
                self.add_error("member", problem)
        guidelines = cleaned.get("guidelines")
        if guidelines is not None and not guidelines.is_published:
            self.add_error("guidelines", _("Choose a published edition."))
        return cleaned


class SignatureInline(admin.StackedInline[Signature, LicenceAgreement]):
    model = Signature
    can_delete = False
    extra = 0
    fields = readonly_fields = (
        "signatory",
        "typed_name",
        "typed_title",
        "signed_at",
        "authenticated_at",
        "ip",
        "user_agent",
        "agreement_sha256",
        "consent_wording",
        "consent_sha256",
        "agreement_text",
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[Signature]:
        return super().get_queryset(request).select_related("signatory", "licence")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(LicenceAgreement)
class LicenceAgreementAdmin(  # type: ignore[misc]
    UnionSearchMixin,
    ExportAdminMixin,
    AddFormMixin,
    WorkflowAdminMixin,
    admin.ModelAdmin[LicenceAgreement],
):
    list_per_page = STAFF_LIST_PER_PAGE
    add_form = NewLicenceForm
    transitions = LICENCE_TRANSITIONS
    workflow_actions = LICENCE_ACTIONS
    list_display = ["__str__", "member_name", "country", "status", "starts_on", "ends_on"]
    list_filter = [
        "status",
        ExpiringFilter,
        ("member", AutocompleteFilter),
        indexed_values_filter(
            Member, "country", lookup="member__country", title=_("country"), label=countries.name
        ),
    ]
    search_fields = ["number", "member__legal_name", "member__registration_number"]
    list_select_related = ["member"]
    autocomplete_fields = ["member"]
    show_full_result_count = False
    inlines = [SignatureInline]
    readonly_fields = fields = (
        "number",
        "member",
        "template",
        "guidelines",
        "status",
        "term_years",
        "previous",
        "issued_at",
        "issued_by",
        "starts_on",
        "ends_on",
        "suspended_until",
        "ended_at",
        "status_reason",
        "signed_pdf_link",
    )

    @admin.display(description=_("member"), ordering="member__legal_name")
    def member_name(self, licence: LicenceAgreement) -> str:
        return member_link(licence.member)

    def autocomplete_label(self, licence: LicenceAgreement) -> str:
        return licence_label(licence)

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[LicenceAgreement], search_term: str
    ) -> tuple[QuerySet[LicenceAgreement], bool]:
        if picker_request(request, "compliance.forfeiturecase", "licence"):
            # A case is opened on a licence in force: the picker offers no other.
            queryset = queryset.filter(status__in=[LicenceStatus.ACTIVE, LicenceStatus.SUSPENDED])
        return super().get_search_results(request, queryset, search_term)

    @admin.display(description=_("country"), ordering="member__country")
    def country(self, licence: LicenceAgreement) -> str:
        return str(licence.member.country)

    @admin.display(description=_("signed agreement (PDF)"))
    def signed_pdf_link(self, licence: LicenceAgreement) -> str:
        if licence.signed_pdf is None:
            return "—"
        url = reverse("admin:licensing_licenceagreement_pdf", args=[licence.pk])
        return format_html(
            '<a href="{}">{}</a> · SHA-256 <code>{}</code>',
            url,
            licence.signed_pdf.original_name,
            licence.signed_pdf.sha256,
        )

    def get_urls(self) -> list[Any]:
        return [
            path(
                "<int:pk>/signed.pdf",
                self.admin_site.admin_view(self.pdf_view),
                name="licensing_licenceagreement_pdf",
            ),
            *super().get_urls(),
        ]

    def pdf_view(self, request: HttpRequest, pk: int) -> HttpResponseBase:
        licence = self.get_object(request, str(pk))
        if licence is None or licence.signed_pdf is None:
            raise Http404
        if not self.has_view_permission(request, licence):
            raise PermissionDenied
        return document_response(request, licence.signed_pdf, actor=request.user)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(
        self, request: HttpRequest, obj: LicenceAgreement, form: Any, change: bool
    ) -> None:
        if not change:
            issued = services.licence_create_and_issue(
                actor=request.user,  # type: ignore[arg-type]
                member=obj.member,
                template=obj.template,
                guidelines=obj.guidelines,
                term_years=obj.term_years,
                request=request,
            )
            obj.pk = issued.pk

    def perform(
        self, request: HttpRequest, obj: LicenceAgreement, action: str, data: dict[str, Any]
    ) -> None:
        actor: User = request.user  # type: ignore[assignment]
        reason = data.get("reason", "")
        if action == "issue":
            services.licence_issue(actor=actor, licence=obj, request=request)
        elif action == "withdraw":
            services.licence_withdraw(actor=actor, licence=obj, reason=reason, request=request)
        elif action == "terminate":
            services.licence_terminate(actor=actor, licence=obj, reason=reason, request=request)
        elif action == "expire":
            services.licence_expire(actor=actor, licence=obj, request=request)
        elif action == "renew":
            services.licence_renew(actor=actor, licence=obj, request=request)


class AgreementTemplateForm(forms.ModelForm[AgreementTemplate]):
    class Meta:
        model = AgreementTemplate
        fields = ["version", "title", "body"]
        help_texts = {
            "body": _("Placeholders: ")
            + ", ".join(f"${name} ({meaning})" for name, meaning in PLACEHOLDERS.items())
        }

    def clean_body(self) -> str:
        body: str = self.cleaned_data["body"]
        check_template_text(body)
        return body


@admin.register(AgreementTemplate)
class AgreementTemplateAdmin(admin.ModelAdmin[AgreementTemplate]):
    form = AgreementTemplateForm
    list_display = ["version", "title", "created_at", "first_used_at"]

    def save_model(
        self, request: HttpRequest, obj: AgreementTemplate, form: Any, change: bool
    ) -> None:
        services.agreement_template_save(
            actor=request.user,  # type: ignore[arg-type]
            template=obj,
            request=request,
        )

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # A text that licences were issued on is a record: it never changes.
        if obj is not None and obj.is_used:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Criterion)
class CriterionAdmin(admin.ModelAdmin[Criterion]):
    """Only for the pickers that choose a criterion (a finding's): criteria are written on
    their Guidelines section, so this admin has no page of its own in the index."""

    search_fields = ["code", "title_en", "title_ru"]
    list_select_related = ["section__version"]

    def autocomplete_label(self, criterion: Criterion) -> str:
        return f"{criterion.code} {criterion.title} ({criterion.section.version.edition})"

    def get_model_perms(self, request: HttpRequest) -> dict[str, bool]:
        return {}  # not listed in the index

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.has_perm("licensing.view_guidelinesversion"))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class CriterionInline(admin.StackedInline[Criterion, GuidelinesSection]):
    """Saved through ``GuidelinesSectionAdmin.save_formset`` (the criterion services)."""

    model = Criterion
    extra = 0
    fields = [
        "code",
        "position",
        "title_en",
        "title_ru",
        "description_en",
        "description_ru",
        "evidence_en",
        "evidence_ru",
        "evidence_expires",
        "evidence_validity_months",
    ]


class CriterionMappingInline(admin.TabularInline[CriterionMapping, GuidelinesVersion]):
    """The mapping from the previous edition, line by line; saved through
    ``GuidelinesVersionAdmin.save_formset`` (the mapping services)."""

    model = CriterionMapping
    fk_name = "version"
    extra = 0
    fields = ["change", "criterion", "previous", "note"]

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        object_id = (
            request.resolver_match.kwargs.get("object_id") if request.resolver_match else None
        )
        version = GuidelinesVersion.objects.filter(pk=object_id).first() if object_id else None
        if db_field.name == "criterion":
            kwargs["queryset"] = Criterion.objects.filter(section__version=version).select_related(
                "section"
            )
        elif db_field.name == "previous":
            before = previous_edition(version) if version is not None else None
            kwargs["queryset"] = Criterion.objects.filter(section__version=before).select_related(
                "section"
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class GuidelinesAcknowledgementInline(admin.TabularInline[GuidelinesAcknowledgement, Any]):
    """Members' acknowledgements of the edition: a record, never edited."""

    model = GuidelinesAcknowledgement
    extra = 0
    fields = readonly_fields = ("member", "typed_name", "acknowledged_at", "ip", "user_agent")

    def get_queryset(self, request: HttpRequest) -> QuerySet[GuidelinesAcknowledgement]:
        return super().get_queryset(request).select_related("member")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(GuidelinesVersion)
class GuidelinesVersionAdmin(admin.ModelAdmin[GuidelinesVersion]):
    list_display = ["edition", "title_en", "adopted_on", "published_at"]
    readonly_fields = ["published_at", "mapping_status"]
    actions = ["publish", "propose_mapping"]
    inlines = [CriterionMappingInline, GuidelinesAcknowledgementInline]

    @admin.display(description=_("Mapping from the previous edition"))
    def mapping_status(self, obj: GuidelinesVersion) -> str:
        if obj.pk is None:
            return "—"
        problems = edition_mapping_problems(obj)
        if not problems:
            return str(_("Complete."))
        return " ".join(problems)

    @admin.action(description=_("Propose the mapping from the previous edition by code"))
    def propose_mapping(self, request: HttpRequest, queryset: QuerySet[GuidelinesVersion]) -> None:
        for version in queryset:
            try:
                added = editions.criterion_mappings_propose(
                    actor=request.user,  # type: ignore[arg-type]
                    version=version,
                    request=request,
                )
            except ValidationError as error:
                messages.error(request, f"{version}: {' '.join(error.messages)}")
            else:
                messages.success(
                    request,
                    _(
                        "%(edition)s: %(count)d mapping lines proposed; check them before publishing."
                    )
                    % {"edition": version, "count": added},
                )

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        actor: User = request.user  # type: ignore[assignment]
        lines = formset.save(commit=False)  # what changed; the services write it
        try:
            for line in formset.deleted_objects:
                editions.criterion_mapping_delete(actor=actor, mapping=line, request=request)
            for line in lines:
                editions.criterion_mapping_save(actor=actor, mapping=line, request=request)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))

    @admin.action(description=_("Publish the selected editions"))
    def publish(self, request: HttpRequest, queryset: QuerySet[GuidelinesVersion]) -> None:
        for version in queryset:
            try:
                services.guidelines_publish(
                    actor=request.user,  # type: ignore[arg-type]
                    version=version,
                    request=request,
                )
            except ValidationError as error:
                messages.error(request, f"{version}: {' '.join(error.messages)}")
            else:
                messages.success(request, _("Published: %(edition)s") % {"edition": version})

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and obj.is_published:
            return False  # a published edition is immutable
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(GuidelinesSection)
class GuidelinesSectionAdmin(admin.ModelAdmin[GuidelinesSection]):
    list_display = ["__str__", "version"]
    list_filter = ["version"]
    list_select_related = ["version"]
    inlines = [CriterionInline]

    def save_model(
        self, request: HttpRequest, obj: GuidelinesSection, form: Any, change: bool
    ) -> None:
        services.guidelines_section_save(
            actor=request.user,  # type: ignore[arg-type]
            section=obj,
            request=request,
        )

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        actor: User = request.user  # type: ignore[assignment]
        criteria = formset.save(commit=False)  # what changed; the services write it
        for criterion in formset.deleted_objects:
            services.criterion_delete(actor=actor, criterion=criterion, request=request)
        for criterion in criteria:
            services.criterion_save(actor=actor, criterion=criterion, request=request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and obj.version.is_published:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "version":
            # Sections are added to editions still being written, never to published ones.
            kwargs["queryset"] = GuidelinesVersion.objects.filter(published_at__isnull=True)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class CommentsForm(forms.Form):
    comments = forms.CharField(
        label=_("Comments to the member"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=text_limits.TEXT,
    )


class RejectionForm(forms.Form):
    comments = forms.CharField(
        label=_("Why the use is rejected (the member reads this)"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=text_limits.TEXT,
    )


@admin.register(LogoUse)
class LogoUseAdmin(UnionSearchMixin, WorkflowAdminMixin, admin.ModelAdmin[LogoUse]):  # type: ignore[misc]
    """Planned uses of the logo: staff look at the artwork and approve or reject."""

    list_per_page = STAFF_LIST_PER_PAGE

    transitions = LOGO_USE_TRANSITIONS
    workflow_actions = {
        "approve": (_("Approve"), CommentsForm),
        "reject": (_("Reject"), RejectionForm),
    }
    list_display = ["__str__", "member_name", "status", "starts_on", "ends_on", "submitted_at"]
    list_filter = ["status", "medium"]
    search_fields = ["member__legal_name", "markets", "description"]
    list_select_related = ["member"]
    show_full_result_count = False
    readonly_fields = fields = (
        "member",
        "licence",
        "status",
        "medium",
        "markets",
        "starts_on",
        "ends_on",
        "description",
        "artwork_link",
        "submitted_by",
        "submitted_at",
        "decided_by",
        "decided_at",
        "comments",
    )

    @admin.display(description=_("member"), ordering="member__legal_name")
    def member_name(self, use: LogoUse) -> str:
        return member_link(use.member)

    @admin.display(description=_("artwork"))
    def artwork_link(self, use: LogoUse) -> str:
        url = reverse("admin:licensing_logouse_artwork", args=[use.pk])
        return format_html(
            '<a href="{}">{}</a> · SHA-256 <code>{}</code>',
            url,
            use.artwork.original_name,
            use.artwork.sha256,
        )

    def get_urls(self) -> list[Any]:
        return [
            path(
                "<int:pk>/artwork",
                self.admin_site.admin_view(self.artwork_view),
                name="licensing_logouse_artwork",
            ),
            *super().get_urls(),
        ]

    def artwork_view(self, request: HttpRequest, pk: int) -> HttpResponseBase:
        use = self.get_object(request, str(pk))
        if use is None:
            raise Http404
        if not self.has_view_permission(request, use):
            raise PermissionDenied
        return document_response(request, use.artwork, actor=request.user)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # members submit uses in the portal

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def perform(
        self, request: HttpRequest, obj: LogoUse, action: str, data: dict[str, Any]
    ) -> None:
        actor: User = request.user  # type: ignore[assignment]
        comments = data.get("comments", "")
        if action == "approve":
            logo_uses.logo_use_approve(actor=actor, use=obj, comments=comments, request=request)
        elif action == "reject":
            logo_uses.logo_use_reject(actor=actor, use=obj, comments=comments, request=request)


@admin.register(LogoKitAcceptance)
class LogoKitAcceptanceAdmin(UnionSearchMixin, admin.ModelAdmin[LogoKitAcceptance]):
    """Who accepted the rules of use of the logo before downloading the kit (a record)."""

    list_per_page = STAFF_LIST_PER_PAGE

    list_display = ["accepted_at", "user", "licence", "ip"]
    list_select_related = ["user", "licence"]
    search_fields = ["user__email", "licence__number"]
    show_full_result_count = False
    readonly_fields = fields = (
        "licence",
        "user",
        "accepted_at",
        "rules_sha256",
        "ip",
        "user_agent",
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
