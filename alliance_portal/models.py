import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AuditEvent(models.Model):
    """One row of the append-only, hash-chained audit log.

    ``hash = sha256(prev_hash + canonical JSON of the row)``, so changing, removing or
    reordering any row breaks every hash after it; ``manage.py verify_audit_chain`` finds
    the first broken row. On PostgreSQL a trigger refuses UPDATE and DELETE outright.
    Rows are written only by ``alliance_portal.audit.audit_record``.
    """

    seq = models.PositiveBigIntegerField(_("sequence"), unique=True, editable=False)
    created_at = models.DateTimeField(_("time"), editable=False)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        # Users who acted are deactivated, never deleted: the log must keep pointing at them.
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    actor_label = models.CharField(_("actor (as recorded)"), max_length=254, blank=True)
    action = models.CharField(_("action"), max_length=100, db_index=True)
    target_type = models.CharField(_("target type"), max_length=100, blank=True, db_index=True)
    target_id = models.CharField(_("target id"), max_length=64, blank=True)
    target_label = models.CharField(_("target"), max_length=255, blank=True)
    payload = models.JSONField(_("details"), default=dict, blank=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    prev_hash = models.CharField(_("previous hash"), max_length=64)
    hash = models.CharField(_("hash"), max_length=64, unique=True)

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-seq"]
        indexes = [models.Index(fields=["target_type", "target_id"], name="audit_target_idx")]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} {self.target_label}".strip()


class Document(models.Model):
    """A file someone uploaded, kept in private storage and served only by checked views.

    The record knows nothing of who may see it: the app that links a document to its own
    records (an application, an attestation answer) checks that before serving it.
    """

    class ScanStatus(models.TextChoices):
        CLEAN = "clean", _("Clean")
        NOT_SCANNED = "not_scanned", _("Not scanned")
        INFECTED = "infected", _("Infected (quarantined)")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    original_name = models.CharField(_("file name"), max_length=255)
    extension = models.CharField(_("extension"), max_length=8)
    content_type = models.CharField(_("content type"), max_length=120)
    size = models.PositiveBigIntegerField(_("size in bytes"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    storage_name = models.CharField(max_length=255, unique=True, editable=False)
    scan_status = models.CharField(_("virus scan"), max_length=16, choices=ScanStatus.choices)
    scan_detail = models.CharField(_("scan result"), max_length=200, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        help_text=_("Empty for documents the portal generated itself."),
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), default=timezone.now)

    class Meta:
        verbose_name = _("document")
        verbose_name_plural = _("documents")
        ordering = ["-uploaded_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(scan_status__in=["clean", "not_scanned", "infected"]),
                name="document_scan_status_valid",
            ),
            models.CheckConstraint(condition=models.Q(size__gt=0), name="document_not_empty"),
        ]

    def __str__(self) -> str:
        return self.original_name

    @property
    def quarantined(self) -> bool:
        return self.scan_status == self.ScanStatus.INFECTED
