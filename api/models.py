"""API tokens (a named, scoped, expiring secret of one user, stored only as its SHA-256) and
webhook endpoints with their deliveries."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from alliance_portal.events import EventName
from alliance_portal.models import OutboxMessage


class TokenScope(models.TextChoices):
    READ = "read", _("Read only")
    WRITE = "write", _("Read and write")


class ApiToken(models.Model):
    """The secret is shown once, when the token is made; only its hash is kept. A random secret
    of 256 bits needs no slow password hash: SHA-256 cannot be searched backwards."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.PROTECT,
        related_name="api_tokens",
    )
    name = models.CharField(_("name"), max_length=100)
    scope = models.CharField(_("scope"), max_length=5, choices=TokenScope.choices)
    # The first characters of the secret, to tell tokens apart in lists (not enough to guess).
    prefix = models.CharField(_("starts with"), max_length=16, editable=False)
    secret_sha256 = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    expires_at = models.DateTimeField(_("expires at"))
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("revoked by"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(scope__in=TokenScope.values), name="apitoken_scope_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(expires_at__gt=models.F("created_at")),
                name="apitoken_expires_after_creation",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_usable(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now()


class WebhookEndpoint(models.Model):
    """A receiver that staff registered: the events it wants, sent signed per the Standard
    Webhooks specification. The secret signs with HMAC, so it is kept (not a hash) and shown
    to staff once, when the endpoint is made."""

    name = models.CharField(_("name"), max_length=100)
    url = models.URLField(
        _("address"),
        max_length=2000,
        help_text=_("Where the portal sends the events (POST, JSON), over HTTPS."),
    )
    events = models.JSONField(_("events"), default=list)
    secret = models.CharField(max_length=100, editable=False)
    active = models.BooleanField(
        _("active"), default=True, help_text=_("Inactive endpoints are sent nothing.")
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return self.name


class WebhookDelivery(models.Model):
    """One event for one endpoint. The call itself is an outbox row (the same webhook-id on
    every attempt, retried with backoff); each attempt is logged below it."""

    endpoint = models.ForeignKey(
        WebhookEndpoint,
        verbose_name=_("endpoint"),
        on_delete=models.PROTECT,
        related_name="deliveries",
    )
    event = models.CharField(_("event"), max_length=40, choices=EventName.choices)
    message = models.OneToOneField(
        OutboxMessage, verbose_name=_("call"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-created_at", "-pk"]
        permissions = [("resend_webhookdelivery", _("Can send webhook calls again"))]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(event__in=EventName.values), name="webhookdelivery_event_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event} → {self.endpoint}"


class WebhookAttempt(models.Model):
    """One try at a delivery: what the receiver answered, or why it could not be reached."""

    delivery = models.ForeignKey(
        WebhookDelivery,
        verbose_name=_("delivery"),
        on_delete=models.CASCADE,
        related_name="attempts",
    )
    at = models.DateTimeField(_("time"), default=timezone.now)
    status_code = models.PositiveSmallIntegerField(_("HTTP status"), null=True, blank=True)
    error = models.CharField(_("error"), max_length=500, blank=True)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), default=0)

    class Meta:
        verbose_name = _("attempt")
        verbose_name_plural = _("attempts")
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["delivery", "at"], name="webhookattempt_delivery_idx")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.status_code or self.error}"
