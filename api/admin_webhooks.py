"""Staff register webhook endpoints (the secret is shown once, after saving) and follow each
delivery: its attempts, the receiver's answers, and "send again"."""

from typing import Any, cast

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from alliance_portal.admin_filters import STAFF_LIST_PER_PAGE
from alliance_portal.events import EventName
from members.models import User

from .models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from .permissions import can_manage_webhooks, can_resend_webhooks
from .webhooks import (
    endpoint_problems,
    webhook_delivery_resend,
    webhook_endpoint_create,
    webhook_endpoint_update,
)


class WebhookEndpointForm(forms.ModelForm[WebhookEndpoint]):
    url = forms.URLField(
        label=_("Address"),
        max_length=2000,
        assume_scheme="https",
        help_text=_("Where the portal sends the events (POST, JSON), over HTTPS."),
    )
    events = forms.MultipleChoiceField(
        label=_("Events"), choices=EventName.choices, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = WebhookEndpoint
        fields = ["name", "url", "events", "active"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if "url" in data and "events" in data:
            problems = endpoint_problems(
                name=data.get("name", ""), url=data["url"], events=data["events"]
            )
            if problems:
                raise ValidationError(problems)
        return data


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin[WebhookEndpoint]):
    form = WebhookEndpointForm
    list_display = ["name", "url", "active", "created_at"]
    list_filter = ["active"]
    search_fields = ["name", "url"]
    readonly_fields = ["created_at", "created_by"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return can_manage_webhooks(cast(User, request.user)) and super().has_add_permission(request)

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return can_manage_webhooks(cast(User, request.user))

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False  # deliveries keep pointing at it: deactivate instead

    def save_model(
        self, request: HttpRequest, obj: WebhookEndpoint, form: Any, change: bool
    ) -> None:
        data = form.cleaned_data
        actor = cast(User, request.user)
        if change:
            saved = webhook_endpoint_update(
                actor=actor,
                endpoint=WebhookEndpoint.objects.get(pk=obj.pk),
                name=data["name"],
                url=data["url"],
                events=data["events"],
                active=data["active"],
                request=request,
            )
        else:
            saved, secret = webhook_endpoint_create(
                actor=actor,
                name=data["name"],
                url=data["url"],
                events=data["events"],
                active=data["active"],
                request=request,
            )
            request._webhook_secret = secret  # type: ignore[attr-defined]
        obj.pk = saved.pk

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        """Nothing related to save (and the service saved the endpoint)."""

    def log_addition(self, request: HttpRequest, obj: Any, message: Any) -> Any:
        """The audit log records it (the service does)."""

    def log_change(self, request: HttpRequest, obj: Any, message: Any) -> Any:
        """The audit log records it (the service does)."""

    def response_add(
        self, request: HttpRequest, obj: WebhookEndpoint, post_url_continue: Any = None
    ) -> HttpResponse:
        response = TemplateResponse(
            request,
            "api/admin_webhook_created.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "endpoint": WebhookEndpoint.objects.get(pk=obj.pk),
                "secret": getattr(request, "_webhook_secret", ""),
                "title": _("Webhook endpoint registered"),
            },
        )
        response["Cache-Control"] = "no-store"
        return response


class WebhookAttemptInline(admin.TabularInline[WebhookAttempt, WebhookDelivery]):
    model = WebhookAttempt
    fields = readonly_fields = ("at", "status_code", "error", "duration_ms")
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin[WebhookDelivery]):
    list_per_page = STAFF_LIST_PER_PAGE
    list_display = [
        "created_at",
        "event",
        "endpoint",
        "target",
        "state",
        "attempt_count",
        "answer",
        "last_error",
    ]
    list_filter = ["event", "message__status", "endpoint"]
    list_select_related = ["endpoint", "message"]
    search_fields = ["message__message_id", "message__target_label", "endpoint__name"]
    fields = readonly_fields = (
        "created_at",
        "event",
        "endpoint",
        "target",
        "webhook_id",
        "state",
        "attempt_count",
        "answer",
        "last_error",
        "delivered_at",
        "next_attempt_at",
        "body",
    )
    inlines = [WebhookAttemptInline]
    actions = ["send_again"]

    @admin.display(description=_("about"))
    def target(self, obj: WebhookDelivery) -> str:
        return obj.message.target_label

    @admin.display(description=_("webhook-id"))
    def webhook_id(self, obj: WebhookDelivery) -> str:
        return obj.message.message_id

    @admin.display(description=_("status"), ordering="message__status")
    def state(self, obj: WebhookDelivery) -> str:
        return str(obj.message.get_status_display())

    @admin.display(description=_("attempts"))
    def attempt_count(self, obj: WebhookDelivery) -> int:
        return obj.message.attempts

    @admin.display(description=_("last answer (HTTP status)"))
    def answer(self, obj: WebhookDelivery) -> Any:
        return obj.message.response_status

    @admin.display(description=_("last error"))
    def last_error(self, obj: WebhookDelivery) -> str:
        return obj.message.last_error[:200]

    @admin.display(description=_("delivered at"))
    def delivered_at(self, obj: WebhookDelivery) -> Any:
        return obj.message.delivered_at

    @admin.display(description=_("next attempt at"))
    def next_attempt_at(self, obj: WebhookDelivery) -> Any:
        return obj.message.next_attempt_at if obj.message.status == "pending" else None

    @admin.display(description=_("body"))
    def body(self, obj: WebhookDelivery) -> str:
        return obj.message.body_text

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_resend_permission(self, request: HttpRequest) -> bool:
        return can_resend_webhooks(cast(User, request.user))

    @admin.action(description=_("Send again"), permissions=["resend"])
    def send_again(self, request: HttpRequest, queryset: QuerySet[WebhookDelivery]) -> None:
        actor = cast(User, request.user)
        done = sum(
            webhook_delivery_resend(actor=actor, delivery=delivery, request=request)
            for delivery in queryset.select_related("message")
        )
        skipped = queryset.count() - done
        self.message_user(
            request,
            ngettext(
                "%(n)d delivery will be sent again.", "%(n)d deliveries will be sent again.", done
            )
            % {"n": done},
        )
        if skipped:
            self.message_user(
                request,
                ngettext(
                    "%(n)d delivery was still waiting to be sent.",
                    "%(n)d deliveries were still waiting to be sent.",
                    skipped,
                )
                % {"n": skipped},
                messages.WARNING,
            )
