from django.contrib import admin
from django.http import HttpRequest

from .models import AuditEvent, Document


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only: the log is written by services and nothing else."""

    list_display = ["seq", "created_at", "actor_label", "action", "target_type", "target_label"]
    list_filter = ["action", "target_type", ("actor", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["actor_label", "target_id", "target_label", "action"]
    list_select_related = ["actor"]
    show_full_result_count = False
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


@admin.register(Document)
class DocumentAdmin(admin.ModelAdmin):
    """Read-only register of uploads, quarantined ones included; files are downloaded from the
    record they belong to (an application, an attestation), where access is checked."""

    list_display = [
        "original_name",
        "extension",
        "size",
        "scan_status",
        "uploaded_by",
        "uploaded_at",
    ]
    list_filter = ["scan_status", "extension"]
    search_fields = ["original_name", "sha256", "uploaded_by__email"]
    list_select_related = ["uploaded_by"]
    show_full_result_count = False
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
