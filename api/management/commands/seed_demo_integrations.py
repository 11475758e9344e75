"""The API's part of the demo (run by ``seed_demo``): a webhook endpoint that is clearly a
demo — a local address nothing answers on, switched off — with one delivery in its log."""

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from alliance_portal.events import EventName
from alliance_portal.outbox import relay_pending
from licensing.models import LicenceAgreement
from members.models import User

from ...models import WebhookDelivery, WebhookEndpoint
from ...webhooks import delivery_record, webhook_endpoint_create

DEMO_ENDPOINT = "Demo receiver (local, switched off)"
# Port 9 is "discard": nothing answers there, so the delivery shows a refused attempt.
DEMO_URL = "http://127.0.0.1:9/demo-webhooks"


class Command(BaseCommand):
    help = "Add the demo webhook endpoint and a delivery (only with DEBUG on)."

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError("seed_demo_integrations only runs with DEBUG on.")
        staff = User.objects.get(email="staff@example.com")
        endpoint = WebhookEndpoint.objects.filter(name=DEMO_ENDPOINT).first()
        if endpoint is None:
            endpoint, _secret = webhook_endpoint_create(
                actor=staff,
                name=DEMO_ENDPOINT,
                url=DEMO_URL,
                events=EventName.values,
                active=False,
            )
        licence = LicenceAgreement.objects.filter(member__legal_name="Demo Diamonds Ltd").first()
        if licence is not None and not WebhookDelivery.objects.filter(endpoint=endpoint).exists():
            # What the switched-off endpoint would have been sent when the demo licence was
            # signed: its log shows the call, and why it did not go out.
            with transaction.atomic():
                delivery_record(endpoint=endpoint, name=EventName.LICENCE_SIGNED, target=licence)
            relay_pending()
        self.stdout.write(f"  Demo webhook endpoint (switched off): {DEMO_URL}")
