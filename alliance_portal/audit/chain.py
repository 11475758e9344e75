"""Hashing and verification of the audit chain."""

import hashlib
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC
from typing import Any

from django.core.mail import mail_admins
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction

from alliance_portal.models import AuditEvent

logger = logging.getLogger(__name__)

GENESIS_HASH = "0" * 64
# Any constant works; it only has to be the same for every process chaining the log.
_CHAIN_LOCK_KEY = 0x414C4C49  # "ALLI"
CHAIN_BATCH = 2000


def canonical_json(value: Any) -> str:
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, cls=DjangoJSONEncoder
    )


# The columns a row's hash covers besides its sequence number, in the order the chainer reads
# them.
HASHED = (
    "created_at",
    "actor_id",
    "actor_label",
    "action",
    "target_type",
    "target_id",
    "target_label",
    "payload",
    "ip",
)


def _digest(prev_hash: str, seq: int, values: Sequence[Any]) -> str:
    row = dict(zip(HASHED, values, strict=True))
    row["seq"] = seq
    row["created_at"] = row["created_at"].astimezone(UTC).isoformat(timespec="microseconds")
    return hashlib.sha256((prev_hash + canonical_json(row)).encode()).hexdigest()


def event_hash(event: AuditEvent) -> str:
    if event.prev_hash is None or event.seq is None:
        raise ValueError("a row is hashed when it is chained, with its previous hash")
    return _digest(event.prev_hash, event.seq, [getattr(event, name) for name in HASHED])


def audit_chain_extend(*, wait: bool = True, batch_size: int = CHAIN_BATCH) -> int:
    """Link the committed rows not yet chained, in id order, after the chain's last row.

    One chainer at a time (an advisory lock on PostgreSQL; SQLite's immediate transactions
    hold the write lock). ``wait=False`` (after a writer's commit) gives way to a chainer
    already running: that one, a later writer or the beat job links the row. Returns the
    number of rows chained.
    """
    chained = 0
    while True:
        with transaction.atomic():
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    if wait:
                        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_CHAIN_LOCK_KEY])
                    else:
                        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [_CHAIN_LOCK_KEY])
                        if not cursor.fetchone()[0]:
                            return chained
            # Plain rows, not model instances: the chainer's share of every audited write.
            rows = list(
                AuditEvent.objects.filter(seq__isnull=True)
                .order_by("id")
                .values_list("id", *HASHED)[:batch_size]
            )
            if not rows:
                return chained
            last = (
                AuditEvent.objects.filter(seq__isnull=False)
                .order_by("-seq")
                .values_list("seq", "hash")
                .first()
            )
            seq, prev = (int(last[0] or 0), str(last[1])) if last else (0, GENESIS_HASH)
            links = []
            for pk, *values in rows:
                seq += 1
                digest = _digest(prev, seq, values)
                links.append((pk, seq, prev, digest))
                prev = digest
            _store_links(links)
        chained += len(rows)
        if len(rows) < batch_size:
            return chained


def _store_links(links: list[tuple[int, int, str, str]]) -> None:
    """Write the chain columns, ``(id, seq, prev_hash, hash)`` per row, in one statement on
    PostgreSQL, the values as four arrays (bulk_update's CASE per row grows quadratically
    with the batch)."""
    table = connection.ops.quote_name(AuditEvent._meta.db_table)
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            cursor.executemany(
                f"UPDATE {table} SET seq = %s, prev_hash = %s, hash = %s WHERE id = %s",  # noqa: S608
                [(seq, prev, digest, pk) for pk, seq, prev, digest in links],
            )
            return
        cursor.execute(
            f"UPDATE {table} AS t SET seq = v.seq, prev_hash = v.prev_hash, hash = v.hash "  # noqa: S608
            "FROM unnest(%s::bigint[], %s::bigint[], %s::text[], %s::text[]) "
            "AS v(id, seq, prev_hash, hash) WHERE t.id = v.id",
            [list(column) for column in zip(*links, strict=True)],
        )


@dataclass(frozen=True)
class ChainReport:
    checked: int
    broken_seq: int | None = None
    broken_id: int | None = None
    reason: str = ""
    head_hash: str = GENESIS_HASH
    # Rows committed while the verification ran, not yet in the chain.
    unchained: int = 0

    @property
    def ok(self) -> bool:
        return self.broken_seq is None

    @property
    def head(self) -> str:
        """The anchor to keep outside the database: ``<seq>:<hash>`` of the last row."""
        return f"{self.checked}:{self.head_hash}"


def parse_anchor(text: str) -> tuple[int, str]:
    seq, _, digest = text.partition(":")
    if not seq.isdigit() or len(digest) != 64:
        raise ValueError("an anchor is <seq>:<64 hex digits>, as printed by verify_audit_chain")
    return int(seq), digest.lower()


def audit_chain_verify(
    *, anchor: tuple[int, str] | None = None, chunk_size: int = 2000
) -> ChainReport:
    """Walk the whole log in order; return the first row whose link or hash is wrong.

    The chain alone cannot show rows cut off its end, or a log rewritten with every hash
    recomputed. An anchor — the ``seq:hash`` of a row, kept somewhere the database's users
    cannot reach (the daily e-mail to the operators) — catches both. Rows waiting to be
    chained are chained first.
    """
    audit_chain_extend()
    expected_prev = GENESIS_HASH
    expected_seq = 1
    checked = 0
    chain = (
        AuditEvent.objects.filter(seq__isnull=False)
        .order_by("seq")
        .values_list("id", "seq", "prev_hash", "hash", *HASHED)
    )
    for pk, seq, prev_hash, digest, *values in chain.iterator(chunk_size=chunk_size):
        if seq != expected_seq:
            return ChainReport(
                checked, seq, pk, f"expected sequence {expected_seq}, a row is missing"
            )
        if prev_hash != expected_prev:
            return ChainReport(checked, seq, pk, "previous-hash link does not match")
        if _digest(prev_hash, seq, values) != digest:
            return ChainReport(checked, seq, pk, "content does not match its hash")
        if anchor is not None and seq == anchor[0] and digest != anchor[1]:
            return ChainReport(checked, seq, pk, "differs from the anchor: the log was rewritten")
        expected_prev = digest
        expected_seq += 1
        checked += 1
    if anchor is not None and checked < anchor[0]:
        return ChainReport(
            checked,
            checked + 1,
            None,
            f"the log ends before the anchor's row #{anchor[0]}: rows were removed from its end",
        )
    unchained = AuditEvent.objects.filter(seq__isnull=True).count()
    return ChainReport(checked, head_hash=expected_prev, unchained=unchained)


def audit_chain_monitor() -> ChainReport:
    """Verify the chain and tell the operators (ADMINS): an alert, or today's anchor."""
    report = audit_chain_verify()
    if not report.ok:
        logger.critical(
            "Audit chain broken at seq %s (id %s): %s",
            report.broken_seq,
            report.broken_id,
            report.reason,
        )
        mail_admins(
            "Audit chain broken",
            f"The audit log fails verification at row #{report.broken_seq} "
            f"(id {report.broken_id}): {report.reason}. Rows checked before it: {report.checked}.",
            fail_silently=True,
        )
    else:
        logger.info("Audit chain intact; anchor %s", report.head)
        mail_admins(
            "Audit log anchor",
            "The audit log verified intact. Keep this anchor; later, "
            f"`manage.py verify_audit_chain --anchor {report.head}` proves that nothing up to "
            "this row has been removed or rewritten since.",
            fail_silently=True,
        )
    return report
