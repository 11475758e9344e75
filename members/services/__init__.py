"""Every write of the members app. Each function takes an explicit actor, runs in one
transaction and records an audit event in it."""

from .applications import (
    application_approve,
    application_attach_document,
    application_create,
    application_extend_review,
    application_reject,
    application_remove_document,
    application_request_information,
    application_resubmit,
    application_screening_hold,
    application_start_review,
    application_submit,
    application_update,
    application_update_checklist,
    application_withdraw,
    missing_for_submission,
)
from .consents import consent_give, consent_withdraw
from .members import document_requirement_save, member_document_add, member_update
from .people import (
    key_people_copy_to_member,
    key_person_accept,
    key_person_add,
    key_person_change,
    key_person_remove,
    key_person_return,
)
from .team import (
    invitation_accept,
    invitation_create,
    invitation_revoke,
    membership_change_role,
    membership_remove,
)
from .users import user_provision

__all__ = [
    "application_approve",
    "application_attach_document",
    "application_create",
    "application_extend_review",
    "application_reject",
    "application_remove_document",
    "application_request_information",
    "application_resubmit",
    "application_screening_hold",
    "application_start_review",
    "application_submit",
    "application_update",
    "application_update_checklist",
    "application_withdraw",
    "consent_give",
    "consent_withdraw",
    "document_requirement_save",
    "invitation_accept",
    "invitation_create",
    "invitation_revoke",
    "key_people_copy_to_member",
    "key_person_accept",
    "key_person_add",
    "key_person_change",
    "key_person_remove",
    "key_person_return",
    "member_document_add",
    "member_update",
    "membership_change_role",
    "membership_remove",
    "missing_for_submission",
    "user_provision",
]
