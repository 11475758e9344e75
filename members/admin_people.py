"""Staff's side of owners and key people: the list to review (accept or return, through the
services), each person's history read-only, and the people shown with applications and members.
"""

from typing import Any

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from django.http.response import HttpResponseBase
from django.template.loader import render_to_string
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from alliance_portal.admin_filters import STAFF_LIST_PER_PAGE, UnionSearchMixin
from alliance_portal.admin_links import member_link
from alliance_portal.admin_workflow import WorkflowAdminMixin
from alliance_portal.documents import document_response

from . import selectors, services
from .forms import AcceptForm, ReturnForm
from .models import PERSON_REVIEW_TRANSITIONS, KeyPerson, User
from .services.people import PERSON_FIELDS


def _document_link(person: KeyPerson) -> str:
    if person.document is None:
        return "—"
    url = reverse("admin:members_keyperson_document", args=[person.pk])
    return format_html('<a href="{}">{}</a>', url, person.document.original_name)


class CurrentFilter(admin.SimpleListFilter):
    title = _("current")
    parameter_name = "current"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("yes", _("Current")), ("no", _("Ended"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() == "yes":
            return queryset.filter(ended_at__isnull=True)
        if self.value() == "no":
            return queryset.filter(ended_at__isnull=False)
        return queryset


class ToReviewFilter(admin.SimpleListFilter):
    """The staff queue: members' changes waiting for review, newest version of each."""

    title = _("to review")
    parameter_name = "to_review"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("yes", _("Changes to review"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() == "yes":
            return queryset.filter(pk__in=selectors.people_changes_for_staff().values("pk"))
        return queryset


REVIEW_ACTIONS: dict[str, tuple[Any, Any]] = {
    "accept": (_("Accept the change"), AcceptForm),
    "return": (_("Return for correction"), ReturnForm),
}


@admin.register(KeyPerson)
class KeyPersonAdmin(UnionSearchMixin, WorkflowAdminMixin, admin.ModelAdmin[KeyPerson]):  # type: ignore[misc]
    list_per_page = STAFF_LIST_PER_PAGE
    transitions = PERSON_REVIEW_TRANSITIONS
    workflow_actions = REVIEW_ACTIONS
    list_display = [
        "name",
        "name_latin",
        "role",
        "company",
        "review_status",
        "created_at",
        "ended_at",
    ]
    list_filter = [
        ToReviewFilter,
        "review_status",
        "role",
        CurrentFilter,
        ("member", admin.RelatedOnlyFieldListFilter),
    ]
    search_fields = ["name", "name_latin", "member__legal_name", "application__legal_name"]
    list_select_related = ["member", "application"]
    show_full_result_count = False
    fieldsets = (
        (_("Person"), {"fields": (*PERSON_FIELDS, "document_link")}),
        (_("Whose"), {"fields": ("member", "application")}),
        (
            _("Review"),
            {
                "fields": (
                    "change_kind",
                    "review_status",
                    "reviewed_at",
                    "reviewed_by",
                    "review_comment",
                )
            },
        ),
        (_("History"), {"fields": ("created_at", "created_by", "ended_at", "history")}),
    )

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [str(name) for _, options in self.fieldsets for name in options["fields"]]

    def get_queryset(self, request: HttpRequest) -> QuerySet[KeyPerson]:
        return (
            super()
            .get_queryset(request)
            .select_related("member", "application", "document", "created_by", "reviewed_by")
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # members and applicants record their people in the portal

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # the history is kept

    def save_model(self, request: HttpRequest, obj: KeyPerson, form: Any, change: bool) -> None:
        """Nothing here is edited directly: staff accept or return through the buttons."""

    @admin.display(description=_("company"))
    def company(self, person: KeyPerson) -> str:
        if person.member is not None:
            return member_link(person.member)
        return str(person.application)

    @admin.display(description=_("supporting document"))
    def document_link(self, person: KeyPerson) -> str:
        return _document_link(person)

    @admin.display(description=_("change"))
    def change_kind(self, person: KeyPerson) -> str:
        if person.member_id is None:
            return gettext("Given with the application")
        if person.ended_at is not None and not KeyPerson.objects.filter(replaces=person).exists():
            return gettext("Removed")
        if person.replaces_id is not None:
            return gettext("Changed")
        return gettext("Added")

    @admin.display(description=_("versions"))
    def history(self, person: KeyPerson) -> str:
        return render_to_string(
            "admin/members/keyperson_history.html",
            {"versions": selectors.person_history(person), "shown": person},
        )

    def action_refusal(self, request: HttpRequest, obj: KeyPerson, action: str) -> str | None:
        if obj.member_id is None:
            return gettext("An applicant's people are reviewed with the application.")
        if KeyPerson.objects.filter(replaces=obj).exists():
            return gettext("A newer change replaces this one: review that one.")
        return None

    def perform(
        self, request: HttpRequest, obj: KeyPerson, action: str, data: dict[str, Any]
    ) -> None:
        actor: User = request.user  # type: ignore[assignment]
        if action == "accept":
            services.key_person_accept(
                actor=actor, person=obj, comment=data.get("comment", ""), request=request
            )
        elif action == "return":
            services.key_person_return(
                actor=actor, person=obj, comment=data["comment"], request=request
            )

    def get_urls(self) -> list[Any]:
        return [
            path(
                "<int:pk>/document/",
                self.admin_site.admin_view(self.document_view),
                name="members_keyperson_document",
            ),
            *super().get_urls(),
        ]

    def document_view(self, request: HttpRequest, pk: int) -> HttpResponseBase:
        person = KeyPerson.objects.select_related("document").filter(pk=pk).first()
        if person is None or person.document is None:
            raise Http404
        if not self.has_view_permission(request, person):
            raise PermissionDenied
        return document_response(request, person.document, actor=request.user)


def people_table(people: QuerySet[KeyPerson]) -> str:
    """The current people of an application or member, read-only, for their admin pages (a
    field, not an inline: nothing here is edited, and no formset is posted with the page)."""
    return render_to_string("admin/members/keyperson_table.html", {"people": list(people)})
