from typing import Any

from allauth.socialaccount.models import SocialAccount, SocialApp, SocialToken
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .admin_filters import (
    STAFF_LIST_PER_PAGE,
    AutocompleteFilter,
    EstimatedCountPaginator,
    UnionSearchMixin,
    indexed_values_filter,
)
from .documents.validation import ALLOWED_TYPES
from .exports import ExportAdminMixin
from .models import AuditEvent, Document, OutboxMessage
from .outbox import SCRUBBED, outbox_acknowledge, outbox_retry


def delivery_history(messages_: QuerySet[OutboxMessage], limit: int = 50) -> SafeString:
    """The e-mails sent about a record, as a table for its admin page (a read-only field)."""
    rows = list(messages_.filter(kind=OutboxMessage.Kind.EMAIL).order_by("-created_at")[:limit])
    return render_to_string("admin/includes/delivery_history.html", {"messages": rows})


@admin.register(AuditEvent)
class AuditEventAdmin(UnionSearchMixin, ExportAdminMixin, admin.ModelAdmin[AuditEvent]):
    """Read-only: the log is written by services and nothing else."""

    list_per_page = STAFF_LIST_PER_PAGE

    list_display = ["seq", "created_at", "actor_label", "action", "target_type", "target_label"]
    # At millions of events: filters read their values from indexes or search for them,
    # searches hit trigram or exact indexes, and the list is never counted in full.
    list_filter = [
        indexed_values_filter(AuditEvent, "action"),
        indexed_values_filter(AuditEvent, "target_type"),
        ("actor", AutocompleteFilter),
    ]
    # The actor by their account's e-mail, any part of it, or by the address recorded, from its
    # start; the target by any part of its name, or its id; the action exactly.
    search_fields = [
        "actor__email",
        "^actor_label",
        "target_label",
        "target_id__exact",
        "action__exact",
    ]
    search_help_text = _(
        "Actor's e-mail (any part, or the recorded address from its start), target's name "
        "(any part), target id or action (exact)."
    )
    list_select_related = ["actor"]
    show_full_result_count = False
    paginator = EstimatedCountPaginator
    fields = readonly_fields = (
        "seq",
        "created_at",
        "actor",
        "actor_label",
        "action",
        "target_type",
        "target_id",
        "target_label",
        "payload",
        "ip",
        "prev_hash",
        "hash",
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class ExtensionFilter(admin.SimpleListFilter):
    """The extensions uploads may have, not the distinct values of the whole table (a scan of
    every document on each view of the list)."""

    title = _("extension")
    parameter_name = "extension__exact"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [(extension, extension) for extension in sorted(ALLOWED_TYPES)]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        return queryset.filter(extension=self.value()) if self.value() else queryset


@admin.register(Document)
class DocumentAdmin(UnionSearchMixin, ExportAdminMixin, admin.ModelAdmin[Document]):
    """Read-only register of uploads, quarantined ones included; files are downloaded from the
    record they belong to (an application, an attestation), where access is checked."""

    list_per_page = STAFF_LIST_PER_PAGE

    list_display = [
        "original_name",
        "extension",
        "size",
        "scan_status",
        "uploaded_by",
        "uploaded_at",
    ]
    list_filter = ["scan_status", ExtensionFilter]
    search_fields = ["original_name", "sha256__exact", "uploaded_by__email"]
    list_select_related = ["uploaded_by"]
    show_full_result_count = False
    paginator = EstimatedCountPaginator
    readonly_fields = [
        "id",
        "original_name",
        "extension",
        "content_type",
        "size",
        "sha256",
        "scan_status",
        "scan_detail",
        "uploaded_by",
        "uploaded_at",
    ]
    exclude = ["storage_name"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(OutboxMessage)
class OutboxMessageAdmin(UnionSearchMixin, ExportAdminMixin, admin.ModelAdmin[OutboxMessage]):
    """Every e-mail and queued task with its delivery record. Read-only but for two actions
    on failed messages: send again, and acknowledge (seen and dealt with)."""

    list_per_page = STAFF_LIST_PER_PAGE

    list_display = [
        "created_at",
        "kind",
        "status",
        "recipient",
        "subject_or_task",
        "target_label",
        "attempts",
        "delivered_at",
        "acknowledged_at",
    ]
    list_filter = [
        "status",
        "kind",
        ("acknowledged_at", admin.EmptyFieldListFilter),
        indexed_values_filter(OutboxMessage, "template"),
    ]
    search_fields = ["recipient", "subject", "target_label"]
    show_full_result_count = False
    actions = ["send_again", "acknowledge"]
    readonly_fields = [
        "kind",
        "status",
        "created_at",
        "recipient",
        "template",
        "language",
        "subject",
        "body",
        "message_id",
        "task_name",
        "task_args",
        "task_kwargs",
        "target_type",
        "target_id",
        "target_label",
        "attempts",
        "next_attempt_at",
        "give_up_at",
        "last_error",
        "delivered_at",
        "failed_at",
        "acknowledged_at",
        "acknowledged_by",
    ]
    fields = list(readonly_fields)

    @admin.display(description=_("subject or task"))
    def subject_or_task(self, message: OutboxMessage) -> str:
        return message.subject or message.task_name

    @admin.display(description=_("text"))
    def body(self, message: OutboxMessage) -> str:
        # A message with a secret link is never shown, not even before it is sent.
        return SCRUBBED if message.sensitive else message.body_text

    def has_handle_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.has_perm("alliance_portal.handle_outboxmessage"))

    @admin.action(description=_("Send the selected failed messages again"), permissions=["handle"])
    def send_again(self, request: HttpRequest, queryset: QuerySet[OutboxMessage]) -> None:
        done = refused = 0
        for message in queryset.filter(status=OutboxMessage.Status.FAILED):
            if message.sensitive:
                refused += 1
                continue
            done += outbox_retry(actor=request.user, message=message, request=request)
        self.message_user(
            request,
            ngettext("%(n)d message queued again.", "%(n)d messages queued again.", done)
            % {"n": done},
        )
        if refused:
            self.message_user(
                request,
                _(
                    "Messages with a one-time link are not kept and cannot be sent again: "
                    "send a new invitation or ask the person to request a new link."
                ),
                level=messages.WARNING,
            )

    @admin.action(description=_("Acknowledge the selected failed messages"), permissions=["handle"])
    def acknowledge(self, request: HttpRequest, queryset: QuerySet[OutboxMessage]) -> None:
        done = sum(
            outbox_acknowledge(actor=request.user, message=message, request=request)
            for message in queryset.filter(status=OutboxMessage.Status.FAILED)
        )
        self.message_user(
            request,
            ngettext("%(n)d message acknowledged.", "%(n)d messages acknowledged.", done)
            % {"n": done},
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


# Single sign-on is configured by settings (ALLIANCE_OIDC_*), never by rows edited here, and no
# provider tokens are kept; who signed in through it is in the audit log.
for _social_model in (SocialApp, SocialToken, SocialAccount):
    if admin.site.is_registered(_social_model):
        admin.site.unregister(_social_model)
