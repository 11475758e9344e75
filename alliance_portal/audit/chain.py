"""Hashing and verification of the audit chain."""

import hashlib
import json
import logging
from dataclasses import dataclass
from datetime import UTC
from typing import Any

from django.core.mail import mail_admins
from django.core.serializers.json import DjangoJSONEncoder

from alliance_portal.models import AuditEvent

logger = logging.getLogger(__name__)

GENESIS_HASH = "0" * 64


def canonical_json(value: Any) -> str:
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, cls=DjangoJSONEncoder
    )


def event_hash(event: AuditEvent) -> str:
    row = {
        "seq": event.seq,
        "created_at": event.created_at.astimezone(UTC).isoformat(timespec="microseconds"),
        "actor_id": event.actor_id,
        "actor_label": event.actor_label,
        "action": event.action,
        "target_type": event.target_type,
        "target_id": event.target_id,
        "target_label": event.target_label,
        "payload": event.payload,
        "ip": event.ip,
    }
    return hashlib.sha256((event.prev_hash + canonical_json(row)).encode()).hexdigest()


@dataclass(frozen=True)
class ChainReport:
    checked: int
    broken_seq: int | None = None
    broken_id: int | None = None
    reason: str = ""
    head_hash: str = GENESIS_HASH

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
    cannot reach (the daily e-mail to the operators) — catches both.
    """
    expected_prev = GENESIS_HASH
    expected_seq = 1
    checked = 0
    for event in AuditEvent.objects.order_by("seq").iterator(chunk_size=chunk_size):
        if event.seq != expected_seq:
            return ChainReport(
                checked, event.seq, event.pk, f"expected sequence {expected_seq}, a row is missing"
            )
        if event.prev_hash != expected_prev:
            return ChainReport(checked, event.seq, event.pk, "previous-hash link does not match")
        if event_hash(event) != event.hash:
            return ChainReport(checked, event.seq, event.pk, "content does not match its hash")
        if anchor is not None and event.seq == anchor[0] and event.hash != anchor[1]:
            return ChainReport(
                checked, event.seq, event.pk, "differs from the anchor: the log was rewritten"
            )
        expected_prev = event.hash
        expected_seq += 1
        checked += 1
    if anchor is not None and checked < anchor[0]:
        return ChainReport(
            checked,
            checked + 1,
            None,
            f"the log ends before the anchor's row #{anchor[0]}: rows were removed from its end",
        )
    return ChainReport(checked, head_hash=expected_prev)


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
