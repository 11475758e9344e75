"""Every write of the compliance app. Each function takes an explicit actor, runs in one
transaction and records an audit event in it."""

from .cases import (
    case_add_response_document,
    case_close_window,
    case_decide,
    case_open,
    case_reinstate,
    case_respond,
    case_send_notice,
)
from .certificates import (
    auditor_grant_save,
    certificate_batch_start,
    certificate_render,
    certificates_expire_due,
    certificates_render_pending,
    certificates_revoke_for_licence,
)
from .common import next_review_due
from .cycles import (
    answer_note,
    answer_save,
    cycle_accept,
    cycle_open,
    cycle_reject,
    cycle_request_changes,
    cycle_start_review,
    cycle_submit,
    declaration_text,
    evidence_add,
    evidence_remove,
)
from .findings import (
    finding_add_evidence,
    finding_close,
    finding_escalate,
    finding_raise,
    finding_reopen,
    finding_submit_action,
)

__all__ = [
    "answer_note",
    "answer_save",
    "auditor_grant_save",
    "case_add_response_document",
    "case_close_window",
    "case_decide",
    "case_open",
    "case_reinstate",
    "case_respond",
    "case_send_notice",
    "certificate_batch_start",
    "certificate_render",
    "certificates_expire_due",
    "certificates_render_pending",
    "certificates_revoke_for_licence",
    "cycle_accept",
    "cycle_open",
    "cycle_reject",
    "cycle_request_changes",
    "cycle_start_review",
    "cycle_submit",
    "declaration_text",
    "evidence_add",
    "evidence_remove",
    "finding_add_evidence",
    "finding_close",
    "finding_escalate",
    "finding_raise",
    "finding_reopen",
    "finding_submit_action",
    "next_review_due",
]
