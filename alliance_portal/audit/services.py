import json
from typing import Any

from allauth.account.adapter import get_adapter
from django.core.exceptions import PermissionDenied
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, models, transaction
from django.http import HttpRequest
from django.utils import timezone

from alliance_portal.models import AuditEvent

from .chain import GENESIS_HASH, event_hash

# Any constant works; it only has to be the same for every process writing the log.
_CHAIN_LOCK_KEY = 0x414C4C49  # "ALLI"


def client_ip(request: HttpRequest | None) -> str | None:
    """The client's address, honouring TRUSTED_PROXY_COUNT (shared with allauth)."""
    if request is None:
        return None
    try:
        return get_adapter(request).get_client_ip(request) or None
    except PermissionDenied:  # no usable address (a request built in code, not from a socket)
        return None


def audit_record(
    *,
    actor: Any | None,
    action: str,
    target: models.Model | None = None,
    payload: dict[str, Any] | None = None,
    request: HttpRequest | None = None,
    ip: str | None = None,
) -> AuditEvent:
    """Append one event to the audit log, inside the caller's transaction.

    Appends are serialised (an advisory lock on PostgreSQL; SQLite's immediate transactions
    already hold the write lock) so that every row links to the one before it. The lock is
    held until the caller's transaction ends: services record their event as their last write.
    """
    user = actor if actor is not None and getattr(actor, "is_authenticated", False) else None
    # Store exactly what we hash: the payload after a JSON round trip (UUIDs, dates -> text).
    clean_payload = json.loads(json.dumps(payload or {}, cls=DjangoJSONEncoder))
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_CHAIN_LOCK_KEY])
        last = AuditEvent.objects.order_by("-seq").values("seq", "hash").first()
        event = AuditEvent(
            seq=(last["seq"] + 1) if last else 1,
            prev_hash=last["hash"] if last else GENESIS_HASH,
            created_at=timezone.now(),
            actor=user,
            actor_label=(user.get_username() if user else "")[:254],
            action=action,
            target_type=target._meta.label_lower if target is not None else "",
            target_id=str(target.pk) if target is not None else "",
            target_label=str(target)[:255] if target is not None else "",
            payload=clean_payload,
            ip=ip or client_ip(request),
        )
        event.hash = event_hash(event)
        event.save(force_insert=True)
    return event
