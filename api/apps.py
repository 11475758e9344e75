from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApiConfig(AppConfig):
    name = "api"
    verbose_name = _("REST API")

    def ready(self) -> None:
        # The lower apps announce events and keep the outbox; this app owns the webhook
        # subscriptions, so it plugs in here (they never import it).
        from alliance_portal.events import event_subscribe
        from alliance_portal.models import OutboxMessage
        from alliance_portal.outbox import outbox_sender

        from .webhooks import event_fan_out, webhook_send

        event_subscribe(event_fan_out)
        outbox_sender(OutboxMessage.Kind.WEBHOOK, webhook_send)
