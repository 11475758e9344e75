import json
import time
from collections.abc import Iterable
from typing import Any

from allauth.account.adapter import get_adapter
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, models, transaction
from django.http import HttpRequest
from django.utils import timezone

from alliance_portal.models import AuditEvent

from .chain import HASHED, audit_chain_extend


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

    The row is written unchained, so concurrent writers never wait for one another (one
    global lock held until every writer's commit capped the log at a few hundred events a
    second). Once the caller's transaction commits, the chainer links it (and whatever else
    committed meanwhile) into the hash chain, unless this process chained less than
    ``ALLIANCE_AUDIT_CHAIN_INTERVAL`` seconds ago; the beat job and ``audit_chain_verify``
    chain anything a busy moment left behind. The content is fixed from the insert on: the
    trigger refuses any change but the chainer's one-time setting of the chain columns.
    """
    event = _event(actor, action, target, payload, _clean_ip(ip or client_ip(request)))
    _insert(event)
    _chain_after_commit()
    return event


def audit_record_many(
    *,
    actor: Any | None,
    action: str,
    entries: Iterable[tuple[models.Model | None, dict[str, Any] | None]],
) -> list[AuditEvent]:
    """Append one event per ``(target, payload)`` of ``entries``, in one insert, inside the
    caller's transaction: a periodic job's batch. Each row is exactly what
    :func:`audit_record` would write for it, unchained as its rows are, and linked into the
    chain in id order after the commit."""
    events = [_event(actor, action, target, payload, None) for target, payload in entries]
    if not events:
        return []
    created = AuditEvent.objects.bulk_create(events)
    _chain_after_commit()
    return created


def _event(
    actor: Any | None,
    action: str,
    target: models.Model | None,
    payload: dict[str, Any] | None,
    ip: str | None,
) -> AuditEvent:
    user = actor if actor is not None and getattr(actor, "is_authenticated", False) else None
    # Store exactly what will be hashed: the payload after a JSON round trip (UUIDs, dates ->
    # text), floats and NULs made safe for jsonb.
    clean_payload = (
        _storable(json.loads(json.dumps(payload, cls=DjangoJSONEncoder))) if payload else {}
    )
    return AuditEvent(
        created_at=timezone.now(),
        actor=user,
        actor_label=(user.get_username() if user else "")[:254],
        action=action,
        target_type=target._meta.label_lower if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        target_label=_text(str(target))[:255] if target is not None else "",
        payload=clean_payload,
        ip=ip,
    )


# A row's content is exactly what its hash covers: one list of columns for both.
_COLUMNS = HASHED
# Double quotes name a column in PostgreSQL and SQLite alike; the names are the model's own.
_INSERT_SQL = 'INSERT INTO "{table}" ({columns}) VALUES ({values}) RETURNING "id"'.format(  # noqa: S608
    table=AuditEvent._meta.db_table,
    columns=", ".join(f'"{column}"' for column in _COLUMNS),
    values=", ".join(["%s"] * len(_COLUMNS)),
)


def _insert(event: AuditEvent) -> None:
    """One INSERT statement, built once. The ORM's save() spent more time per audited write
    than the database's own work for the row, on nothing an append needs (no signal listens
    for audit rows)."""
    ops = connection.ops
    params = [
        ops.adapt_datetimefield_value(event.created_at),
        event.actor_id,
        event.actor_label,
        event.action,
        event.target_type,
        event.target_id,
        event.target_label,
        ops.adapt_json_value(event.payload, DjangoJSONEncoder),
        ops.adapt_ipaddressfield_value(event.ip),
    ]
    with connection.cursor() as cursor:
        cursor.execute(_INSERT_SQL, params)
        event.pk = cursor.fetchone()[0]
    event._state.adding = False
    event._state.db = connection.alias


def _chain_after_commit() -> None:
    """Ask, once per transaction, for the chainer to run when the transaction commits."""
    if any(entry[1] is _chain_now for entry in connection.run_on_commit):
        return
    # robust: the caller's work is committed; a failed chaining is logged and the beat job
    # picks the rows up.
    transaction.on_commit(_chain_now, robust=True)


_last_chained = -float("inf")  # time.monotonic() of this process's last after-commit pass


def _chain_now() -> None:
    global _last_chained  # one clock per process, on purpose
    now = time.monotonic()
    if now - _last_chained < settings.ALLIANCE_AUDIT_CHAIN_INTERVAL:
        return
    _last_chained = now
    audit_chain_extend(wait=False)
