import uuid

from django.apps import apps
from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .search_indexes import prefix_index, trigram_index
from .states import Transition


class AuditEvent(models.Model):
    """One row of the append-only, hash-chained audit log.

    ``hash = sha256(prev_hash + canonical JSON of the row)``, so changing, removing or
    reordering any row breaks every hash after it; ``manage.py verify_audit_chain`` finds
    the first broken row. Rows are written only by ``alliance_portal.audit.audit_record``,
    which appends them unchained (``seq``, ``prev_hash`` and ``hash`` empty) so that writers
    never wait for each other; the chainer (``audit_chain_extend``) links them in order right
    after their transactions commit. On PostgreSQL a trigger refuses DELETE, and any UPDATE
    but the chainer's one-time setting of the chain columns of an unchained row.
    """

    seq = models.PositiveBigIntegerField(
        _("sequence"), unique=True, null=True, blank=True, editable=False
    )
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
        # audit_actor_id_idx below serves every lookup by actor; one index less per write.
        db_index=False,
    )
    actor_label = models.CharField(_("actor (as recorded)"), max_length=254, blank=True)
    # No index of their own: the compound indexes below start with them.
    action = models.CharField(_("action"), max_length=100)
    target_type = models.CharField(_("target type"), max_length=100, blank=True)
    target_id = models.CharField(_("target id"), max_length=64, blank=True)
    target_label = models.CharField(_("target"), max_length=255, blank=True)
    payload = models.JSONField(_("details"), default=dict, blank=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    # NULL, not "": the chain columns are empty together until the chainer sets them.
    prev_hash = models.CharField(_("previous hash"), max_length=64, null=True, blank=True)  # noqa: DJ001
    # Not indexed: nothing looks a row up by its hash, and each index costs every write twice
    # (the insert and the chainer's update).
    hash = models.CharField(_("hash"), max_length=64, null=True, blank=True)  # noqa: DJ001

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        # Insertion order: rows not yet chained have no sequence number.
        ordering = ["-id"]
        indexes = [
            # The chainer's work list stays small however long the log grows.
            models.Index(
                fields=["id"], condition=models.Q(seq__isnull=True), name="audit_unchained_idx"
            ),
            # The changelist's filters, newest first without a sort; its exact searches.
            models.Index(fields=["action", "-id"], name="audit_action_id_idx"),
            models.Index(fields=["target_type", "-id"], name="audit_type_id_idx"),
            models.Index(fields=["actor", "-id"], name="audit_actor_id_idx"),
            models.Index(fields=["target_id"], name="audit_target_id_idx"),
            # Actors are searched by their account's e-mail (its own trigram index, on a
            # table 20 times smaller) and by the address recorded here, from its start: a
            # trigram index here read millions of entries for the letters every address shares.
            prefix_index("actor_label", name="audit_actor_label_prefix"),
            trigram_index("target_label", name="audit_target_label_trgm"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(seq__isnull=True, prev_hash__isnull=True, hash__isnull=True)
                | models.Q(seq__isnull=False, prev_hash__isnull=False, hash__isnull=False),
                name="audit_chain_columns_together",
            )
        ]

    def __str__(self) -> str:
        return f"#{self.seq or '-'} {self.action} {self.target_label}".strip()


class DocumentReview(models.TextChoices):
    """Staff's check of a document's content and dates."""

    PENDING = "pending", _("Not reviewed yet")
    VERIFIED = "verified", _("Verified")
    REJECTED = "rejected", pgettext_lazy("document review", "Rejected")


_R = DocumentReview
# A document this close to its expiry shows as expiring (to members and in the staff queue).
EXPIRING_SOON_DAYS = 30
# Staff may change their mind: a verified document rejected later, a rejection withdrawn.
DOCUMENT_REVIEW_TRANSITIONS: dict[str, Transition] = {
    "verify": Transition.of({_R.PENDING, _R.REJECTED, _R.VERIFIED}, _R.VERIFIED),
    "reject": Transition.of({_R.PENDING, _R.VERIFIED}, _R.REJECTED),
}


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
    # The document's own dates (a registration, a policy, an audited statement), apart from the
    # upload: a document past ``expires_on`` no longer counts as evidence.
    issued_on = models.DateField(_("issued on"), null=True, blank=True)
    expires_on = models.DateField(_("valid until"), null=True, blank=True, db_index=True)
    # Staff confirm (or correct) the dates the uploader gave and verify or reject the content.
    review_status = models.CharField(
        _("review"), max_length=12, choices=DocumentReview.choices, default=_R.PENDING
    )
    review_reason = models.TextField(_("reason"), blank=True, max_length=2000)
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reviewed by"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )

    class Meta:
        verbose_name = _("document")
        verbose_name_plural = _("documents")
        ordering = ["-uploaded_at"]
        indexes = [
            # POST /verify/ looks a dropped PDF up by its digest.
            models.Index(fields=["sha256"], name="document_sha256_idx"),
            models.Index(fields=["-uploaded_at"], name="document_uploaded_idx"),
            trigram_index("original_name", name="document_name_trgm"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(scan_status__in=["clean", "not_scanned", "infected"]),
                name="document_scan_status_valid",
            ),
            models.CheckConstraint(condition=models.Q(size__gt=0), name="document_not_empty"),
            models.CheckConstraint(
                condition=models.Q(review_status__in=["pending", "verified", "rejected"]),
                name="document_review_status_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(issued_on__isnull=True)
                | models.Q(expires_on__isnull=True)
                | models.Q(expires_on__gte=models.F("issued_on")),
                name="document_expires_after_issue",
            ),
            models.CheckConstraint(
                condition=~models.Q(review_status="rejected") | ~models.Q(review_reason=""),
                name="document_rejection_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return self.original_name

    @property
    def quarantined(self) -> bool:
        return self.scan_status == self.ScanStatus.INFECTED

    @property
    def validity_state(self) -> str:
        """``rejected`` (by staff), ``expired`` (past ``expires_on``), ``expiring`` (within
        ``EXPIRING_SOON_DAYS``), ``valid``, or empty for a document without an expiry."""
        if self.review_status == _R.REJECTED:
            return "rejected"
        if self.expires_on is None:
            return ""
        left = (self.expires_on - timezone.localdate()).days
        if left < 0:
            return "expired"
        return "expiring" if left <= EXPIRING_SOON_DAYS else "valid"

    @property
    def update_required(self) -> bool:
        """The document no longer counts: its requirement is open again."""
        return self.validity_state in ("expired", "rejected")

    @property
    def status(self) -> str:
        """The review state, under the name ``alliance_portal.states.move`` reads."""
        return self.review_status

    def get_status_display(self) -> str:
        return str(self.get_review_status_display())


class OutboxMessage(models.Model):
    """An e-mail, a Celery task or a webhook call, recorded in the transaction of the change
    that caused it.

    Nothing in a request talks to SMTP or the broker: the relay (``manage.py outbox_relay``,
    or inline after the commit in the embedded default) delivers pending rows, retries with
    exponential backoff over ``ALLIANCE_OUTBOX_HORIZON`` and then marks them failed for staff
    to see. The row is the delivery record: when the mail server (or the broker) accepted
    it, how many attempts it took and the last error. Written only by ``alliance_portal.outbox``.
    """

    class Kind(models.TextChoices):
        EMAIL = "email", _("E-mail")
        TASK = "task", _("Task")
        WEBHOOK = "webhook", _("Webhook")

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        DELIVERED = "delivered", _("Delivered")
        FAILED = "failed", _("Failed")

    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.PENDING
    )
    created_at = models.DateTimeField(_("queued at"), default=timezone.now, editable=False)
    # What the message is about (like the audit log's target) and the member it concerns,
    # so staff see the delivery history on the record. Kept as labels: this app sits below
    # the apps whose records these are.
    target_type = models.CharField(_("about (type)"), max_length=100, blank=True)
    target_id = models.CharField(_("about (id)"), max_length=64, blank=True)
    target_label = models.CharField(_("about"), max_length=255, blank=True)
    member_ref = models.PositiveBigIntegerField(_("member id"), null=True, blank=True)
    # E-mail: the message as it was rendered when queued, in the recipient's language.
    recipient = models.EmailField(_("recipient"), max_length=254, blank=True)
    template = models.CharField(_("template"), max_length=100, blank=True)
    language = models.CharField(_("language"), max_length=8, blank=True)
    subject = models.CharField(_("subject"), max_length=300, blank=True)
    body_text = models.TextField(_("text"), blank=True)
    body_html = models.TextField(_("HTML"), blank=True)
    message_id = models.CharField(_("Message-ID"), max_length=200, blank=True)
    # The body carries a secret (an invitation or password-reset link): never shown to staff,
    # and emptied once the message is delivered or given up.
    sensitive = models.BooleanField(_("contains a secret link"), default=False)
    # Task: the registered task name and its JSON arguments.
    task_name = models.CharField(_("task"), max_length=200, blank=True)
    task_args = models.JSONField(_("arguments"), default=list, blank=True)
    task_kwargs = models.JSONField(_("keyword arguments"), default=dict, blank=True)
    # Webhook: the receiver's address; the JSON body is ``body_text`` (signed exactly as kept)
    # and ``message_id`` the webhook-id, the same on every attempt. The app that recorded it
    # (api) signs and sends it: see ``alliance_portal.outbox.outbox_sender``.
    url = models.URLField(_("address"), max_length=2000, blank=True)
    response_status = models.PositiveSmallIntegerField(
        _("last answer (HTTP status)"), null=True, blank=True
    )
    last_attempt_at = models.DateTimeField(_("last attempt at"), null=True, blank=True)
    # A task queued (in the same transaction) once this message is delivered, with
    # ``message_id=<this row's id>``: how a higher app learns that its notice went out.
    on_delivery = models.CharField(_("then run"), max_length=200, blank=True)
    # Delivery.
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"), default=timezone.now)
    last_error = models.TextField(_("last error"), blank=True)
    give_up_at = models.DateTimeField(_("retried until"))
    delivered_at = models.DateTimeField(_("accepted by the server at"), null=True, blank=True)
    failed_at = models.DateTimeField(_("given up at"), null=True, blank=True)
    acknowledged_at = models.DateTimeField(_("failure acknowledged at"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("failure acknowledged by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("outbox")
        permissions = [
            ("handle_outboxmessage", _("Can send failed messages again or acknowledge them"))
        ]
        ordering = ["-created_at", "-id"]
        indexes = [
            # The relay's query: due pending rows, oldest first.
            models.Index(
                fields=["next_attempt_at"],
                condition=models.Q(status="pending"),
                name="outbox_due_idx",
            ),
            models.Index(fields=["target_type", "target_id"], name="outbox_target_idx"),
            models.Index(fields=["member_ref"], name="outbox_member_idx"),
            models.Index(fields=["-created_at", "-id"], name="outbox_created_idx"),
            models.Index(fields=["template"], name="outbox_template_idx"),
            trigram_index("recipient", name="outbox_recipient_trgm"),
            trigram_index("subject", name="outbox_subject_trgm"),
            trigram_index("target_label", name="outbox_target_label_trgm"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=["email", "task", "webhook"]),
                name="outbox_kind_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=["pending", "delivered", "failed"]),
                name="outbox_status_valid",
            ),
            models.CheckConstraint(
                condition=~models.Q(kind="email", recipient="")
                & ~models.Q(kind="task", task_name="")
                & ~models.Q(kind="webhook", url=""),
                name="outbox_has_destination",
            ),
            models.CheckConstraint(
                condition=models.Q(status="delivered", delivered_at__isnull=False)
                | ~models.Q(status="delivered"),
                name="outbox_delivered_has_time",
            ),
        ]

    def __str__(self) -> str:
        if self.kind == self.Kind.EMAIL:
            return f"{self.subject} → {self.recipient}"
        if self.kind == self.Kind.WEBHOOK:
            return f"{self.subject} → {self.url}"
        return self.task_name


class Notification(models.Model):
    """What a portal user was told, shown in the portal: written with the outbox row (same
    transaction) by ``alliance_portal.notifications``. For a user on the daily digest a
    message that may wait has no outbox row of its own: ``digest_pending`` holds it until
    the digest job sends it with the others."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    template = models.CharField(_("template"), max_length=100)
    subject = models.CharField(_("subject"), max_length=300)
    link = models.CharField(_("link"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    digest_pending = models.BooleanField(_("waiting for the daily digest"), default=False)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        indexes = [
            # The navbar's unread count and the digest job's query.
            models.Index(
                fields=["user"],
                condition=models.Q(read_at__isnull=True),
                name="notification_unread_idx",
            ),
            models.Index(
                fields=["user"],
                condition=models.Q(digest_pending=True),
                name="notification_digest_idx",
            ),
        ]

    def __str__(self) -> str:
        return self.subject


class ExportJob(models.Model):
    """An admin list exported in the background (too many rows to stream in the request).

    The job keeps what it needs to rebuild the list exactly as its requester saw it: the model,
    the list's query string (filters, search, ordering) and the language. Its file lives in
    private storage until ``expires_at``; only the requester downloads it.
    """

    class Format(models.TextChoices):
        CSV = "csv", "CSV"
        XLSX = "xlsx", "XLSX"

    class Status(models.TextChoices):
        QUEUED = "queued", pgettext_lazy("export status", "Queued")
        RUNNING = "running", pgettext_lazy("export status", "Running")
        DONE = "done", pgettext_lazy("export status", "Ready")
        FAILED = "failed", pgettext_lazy("export status", "Failed")
        EXPIRED = "expired", pgettext_lazy("export status", "Expired")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    model_label = models.CharField(_("list"), max_length=100)
    query = models.CharField(_("filters"), max_length=2000, blank=True)
    file_format = models.CharField(_("format"), max_length=8, choices=Format.choices)
    language = models.CharField(_("language"), max_length=8)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.QUEUED
    )
    rows_total = models.PositiveIntegerField(_("rows"), default=0)
    rows_done = models.PositiveIntegerField(_("rows written"), default=0)
    file_name = models.CharField(max_length=255, blank=True, editable=False)
    error = models.CharField(_("error"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("requested at"), default=timezone.now)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    expires_at = models.DateTimeField(_("available until"), null=True, blank=True)

    class Meta:
        verbose_name = _("export")
        verbose_name_plural = _("exports")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(file_format__in=["csv", "xlsx"]),
                name="exportjob_format_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=["queued", "running", "done", "failed", "expired"]),
                name="exportjob_status_valid",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="done") | ~models.Q(file_name=""),
                name="exportjob_done_has_file",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.model_label} ({self.file_format}, {self.created_at:%Y-%m-%d %H:%M})"

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        return min(100, round(100 * self.rows_done / self.rows_total)) if self.rows_total else 0

    @property
    def list_title(self) -> str:
        """The exported list's name, as the admin names it."""
        try:
            model = apps.get_model(self.model_label)
        except (LookupError, ValueError):
            return self.model_label
        return capfirst(str(model._meta.verbose_name_plural))

    @property
    def finished(self) -> bool:
        return self.status not in (self.Status.QUEUED, self.Status.RUNNING)


_E = ExportJob.Status
EXPORT_TRANSITIONS: dict[str, Transition] = {
    "start": Transition.of({_E.QUEUED}, _E.RUNNING),
    # A run whose worker died mid-way: a later delivery of the task takes the job over.
    "restart": Transition.of({_E.RUNNING}, _E.RUNNING),
    "finish": Transition.of({_E.RUNNING}, _E.DONE),
    "fail": Transition.of({_E.QUEUED, _E.RUNNING}, _E.FAILED),
    "expire": Transition.of({_E.DONE}, _E.EXPIRED),
}
