import json
from typing import Any

from allauth.account.adapter import get_adapter
from django.core.exceptions import PermissionDenied, ValidationError
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


def _storable(value: Any) -> Any:
    """JSON that PostgreSQL's jsonb and SQLite give back exactly as it was hashed.

    Floats do not survive jsonb unchanged (1e20 comes back as 100000000000000000000, -0.0 as
    0.0) and NaN cannot be stored at all, so they are kept as their text; NUL characters are
    refused by PostgreSQL, so they are replaced.
    """
    if isinstance(value, dict):
        return {_text(str(k)): _storable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_storable(v) for v in value]
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, str):
        return _text(value)
    return value


def _text(value: str) -> str:
    return value.replace("\x00", "\ufffd")


def _clean_ip(ip: str | None) -> str | None:
    """The address as the database will store it (IPv6 compressed, mapped IPv4 kept)."""
    if not ip:
        return None
    try:
        return str(AuditEvent._meta.get_field("ip").clean(ip, None))
    except ValidationError:
        return None


def _chain_lock_sql(user: Any | None) -> str:
    """Take, in one round trip, the locks this transaction still lacks, then the chain lock.

    The foreign keys Django creates are checked at COMMIT, each check taking FOR KEY SHARE on
    the row pointed to. Made after the chain lock, such a check would wait, holding the chain
    lock, for a transaction that changed that row's key columns (a licence getting its signed
    PDF: ``signed_pdf`` is unique) and now waits for the chain lock itself: a deadlock. So the
    checks pending so far run now (SET CONSTRAINTS ... IMMEDIATE, then back to deferred, as
    Django's check_constraints() does), and the event's actor row is share-locked now.
    """
    statements = ["SET CONSTRAINTS ALL IMMEDIATE", "SET CONSTRAINTS ALL DEFERRED"]
    if user is not None and user.pk is not None:
        table = connection.ops.quote_name(user._meta.db_table)
        column = connection.ops.quote_name(user._meta.pk.column)
        # Quoted names and an integer: nothing from outside reaches the text.
        key_share = f"SELECT 1 FROM {table} WHERE {column} = {int(user.pk)} FOR KEY SHARE"  # noqa: S608
        statements.append(key_share)
    # The key and the user id are integers: no parameters, so one simple-protocol query.
    statements.append(f"SELECT pg_advisory_xact_lock({int(_CHAIN_LOCK_KEY)})")
    return "; ".join(statements)


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
    held until the caller's transaction ends, so it is the last lock a transaction takes
    (docs/architecture.md, "Lock order"): services lock their rows and write first, and
    record their event last.
    """
    user = actor if actor is not None and getattr(actor, "is_authenticated", False) else None
    # Store exactly what we hash: the payload after a JSON round trip (UUIDs, dates -> text).
    clean_payload = _storable(json.loads(json.dumps(payload or {}, cls=DjangoJSONEncoder)))
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(_chain_lock_sql(user))
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
            target_label=_text(str(target))[:255] if target is not None else "",
            payload=clean_payload,
            ip=_clean_ip(ip or client_ip(request)),
        )
        event.hash = event_hash(event)
        event.save(force_insert=True)
    return event
