"""Webhooks: events fanned out to the endpoints that want them, sent through the outbox,
signed per the Standard Webhooks specification (``standardwebhooks``).

The payload is built when the event is recorded, in the transaction of the change: a
receiver sees the record as that change left it (a ``licence.status_changed`` says which
status it changed *to*), even if it changed again before the call went out, and every retry
or "send again" carries the same bytes under the same webhook-id. Whoever needs the state of
now asks the API.
"""

import ipaddress
import json
import logging
import secrets
import socket
import time
import urllib.error
import urllib.request
from base64 import b64encode
from collections.abc import Callable, Iterable, Sequence
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from standardwebhooks.webhooks import Webhook

from alliance_portal.audit import audit_record
from alliance_portal.events import EventName
from alliance_portal.locks import lock
from alliance_portal.models import OutboxMessage
from alliance_portal.outbox import (
    OutboxDeferred,
    OutboxRefused,
    outbox_send_again,
    webhook_record,
)
from compliance.models import ComplianceCertificate, Finding, ForfeitureCase, ReviewCycle
from licensing.models import LicenceAgreement
from members.models import Application, User

from .models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from .permissions import can_manage_webhooks, can_resend_webhooks
from .schemas import (
    application_data,
    case_data,
    certificate_data,
    cycle_data,
    finding_data,
    licence_data,
)

logger = logging.getLogger(__name__)

SECRET_PREFIX = "whsec_"  # noqa: S105 - the Standard Webhooks label, not a secret
PAYLOADS: dict[type[models.Model], Callable[[Any], dict[str, Any]]] = {
    Application: application_data,
    LicenceAgreement: licence_data,
    ReviewCycle: cycle_data,
    Finding: finding_data,
    ForfeitureCase: case_data,
    ComplianceCertificate: certificate_data,
}


# --- endpoints ----------------------------------------------------------------------------


def new_secret() -> str:
    """24 random bytes in the ``whsec_<base64>`` form receivers' libraries read."""
    return SECRET_PREFIX + b64encode(secrets.token_bytes(24)).decode()


def endpoint_problems(*, name: str, url: str, events: Iterable[str]) -> list[str]:
    problems = [] if name.strip() else [_("Give the endpoint a name.")]
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        problems.append(_("The address must be an http:// or https:// URL."))
    elif parts.username or parts.password:
        problems.append(_("Put no user name or password in the address."))
    events = list(events)
    if not events:
        problems.append(_("Choose at least one event."))
    if any(event not in EventName.values for event in events):
        problems.append(_("Choose events from the list."))
    return problems


def webhook_endpoint_create(
    *,
    actor: User,
    name: str,
    url: str,
    events: Iterable[str],
    active: bool = True,
    request: HttpRequest | None = None,
) -> tuple[WebhookEndpoint, str]:
    """Register an endpoint. Returns it with its secret, to be shown once."""
    if not can_manage_webhooks(actor):
        raise PermissionDenied(_("You may not manage webhook endpoints."))
    events = sorted(set(events))
    problems = endpoint_problems(name=name, url=url, events=events)
    if problems:
        raise ValidationError(problems)
    secret = new_secret()
    with transaction.atomic():
        endpoint = WebhookEndpoint.objects.create(
            name=name.strip(),
            url=url,
            events=events,
            secret=secret,
            active=active,
            created_by=actor,
        )
        audit_record(
            actor=actor,
            action="webhook_endpoint.created",
            target=endpoint,
            payload={"url": url, "events": events, "active": active},
            request=request,
        )
    return endpoint, secret


def webhook_endpoint_update(
    *,
    actor: User,
    endpoint: WebhookEndpoint,
    name: str,
    url: str,
    events: Iterable[str],
    active: bool,
    request: HttpRequest | None = None,
) -> WebhookEndpoint:
    if not can_manage_webhooks(actor):
        raise PermissionDenied(_("You may not manage webhook endpoints."))
    events = sorted(set(events))
    problems = endpoint_problems(name=name, url=url, events=events)
    if problems:
        raise ValidationError(problems)
    with transaction.atomic():
        locked = lock(WebhookEndpoint, endpoint.pk)
        before = {"name": locked.name, "url": locked.url, "events": locked.events}
        locked.name, locked.url, locked.events, locked.active = name.strip(), url, events, active
        locked.save(update_fields=["name", "url", "events", "active"])
        audit_record(
            actor=actor,
            action="webhook_endpoint.changed",
            target=locked,
            payload={"before": {**before, "active": endpoint.active}, "active": active},
            request=request,
        )
    return locked


def webhook_delivery_resend(
    *, actor: User, delivery: WebhookDelivery, request: HttpRequest | None = None
) -> bool:
    """Send a delivery again, with the same webhook-id and body (a receiver that lost it, or
    fixed its side). False when it is still pending (it is going out anyway)."""
    if not can_resend_webhooks(actor):
        raise PermissionDenied(_("You may not send webhook calls again."))
    with transaction.atomic():
        again = outbox_send_again(message=delivery.message)
        if again:
            audit_record(
                actor=actor,
                action="webhook_delivery.resent",
                target=delivery,
                payload={"webhook_id": delivery.message.message_id},
                request=request,
            )
    return again


# --- recording (in the transaction of the change) -----------------------------------------


def event_fan_out(name: str, targets: Sequence[models.Model]) -> None:
    """The listener of ``alliance_portal.events``: per target, one outbox call per endpoint
    that wants ``name``. One query when no endpoint wants it."""
    endpoints = [e for e in WebhookEndpoint.objects.filter(active=True) if name in e.events]
    for target in targets if endpoints else ():
        body = event_body(name, target)
        for endpoint in endpoints:
            delivery_record(endpoint=endpoint, name=name, target=target, body=body)


def event_body(name: str, target: models.Model) -> str:
    """The JSON sent: the event, when, and the API's representation of the record."""
    build = PAYLOADS.get(type(target))
    if build is None:
        raise ValueError(f"no webhook payload for {type(target).__name__}")
    return json.dumps(
        {"type": name, "timestamp": timezone.now(), "data": build(target)},
        cls=DjangoJSONEncoder,
        ensure_ascii=False,
        separators=(",", ":"),
    )


def delivery_record(
    *, endpoint: WebhookEndpoint, name: str, target: models.Model, body: str = ""
) -> WebhookDelivery:
    """One delivery of ``name`` to ``endpoint``, in the caller's transaction."""
    message = webhook_record(
        url=endpoint.url, body=body or event_body(name, target), event=name, about=target
    )
    return WebhookDelivery.objects.create(endpoint=endpoint, event=name, message=message)


# --- sending (by the outbox relay, no transaction open) -----------------------------------


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # a 3xx comes back as an HTTPError, never followed


_opener = urllib.request.build_opener(_NoRedirects)


def destination_problem(url: str) -> str:
    """Why the portal will not call ``url``, or "". Besides the scheme, production refuses
    hosts that resolve to loopback, private, link-local or reserved addresses (a webhook
    must not become a way to reach the portal's own network)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "only http(s) addresses are called"
    if settings.ALLIANCE_WEBHOOK_ALLOW_PRIVATE:
        return ""
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        infos = socket.getaddrinfo(parts.hostname, port, proto=socket.IPPROTO_TCP)
    except (OSError, ValueError) as error:
        return f"the host could not be resolved: {error}"
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])
        if not address.is_global or address.is_multicast:
            return f"{parts.hostname} resolves to a non-public address ({address})"
    return ""


def webhook_send(message: OutboxMessage) -> int:
    """The outbox sender for webhook calls: sign now (the timestamp is part of the signature
    and receivers refuse old ones), POST with a short timeout, never follow a redirect."""
    try:
        delivery = WebhookDelivery.objects.select_related("endpoint").get(message=message)
    except WebhookDelivery.DoesNotExist:
        raise OutboxRefused("no delivery record for this call") from None
    endpoint = delivery.endpoint
    # The endpoint's address of now: correcting it and sending again is how staff repair one.
    url = endpoint.url
    started = time.monotonic()
    status: int | None = None
    error = ""
    try:
        if not endpoint.active:
            error = "the endpoint is switched off"
            raise OutboxRefused(error)
        problem = destination_problem(url)
        if problem:
            error = problem
            raise OutboxRefused(problem)
        now = timezone.now()
        signature = Webhook(endpoint.secret).sign(message.message_id, now, message.body_text)
        request = urllib.request.Request(  # noqa: S310 - the scheme is checked above
            url,
            data=message.body_text.encode(),
            method="POST",
            headers={
                "Content-Type": "application/json",
                "User-Agent": "ALROSA-ALLIANCE-Webhooks/1",
                "webhook-id": message.message_id,
                "webhook-timestamp": str(int(now.timestamp())),
                "webhook-signature": signature,
            },
        )
        try:
            with _opener.open(request, timeout=settings.ALLIANCE_WEBHOOK_TIMEOUT_SECONDS) as answer:
                status = int(answer.status)
        except urllib.error.HTTPError as answer:
            status = int(answer.code)
            answer.close()
        except (OSError, ValueError) as failure:
            error = f"{type(failure).__name__}: {failure}"
            raise OutboxDeferred(error) from failure
        if 200 <= status < 300:
            return status
        error = f"the receiver answered {status}"
        if 300 <= status < 400 or status == 410:
            # A redirect is never followed and a 410 means "gone": trying again cannot help.
            raise OutboxRefused(error, status=status)
        raise OutboxDeferred(error, status=status)
    finally:
        WebhookAttempt.objects.create(
            delivery=delivery,
            status_code=status,
            error=error[:500],
            duration_ms=int((time.monotonic() - started) * 1000),
        )
