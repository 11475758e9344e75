from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _

from alliance_portal.audit import audit_record
from alliance_portal.locks import lock
from members.models import DocumentRequirement, Member, User
from members.permissions import can_manage_members

STAFF_EDITABLE_FIELDS = (
    "legal_name",
    "registration_number",
    "country",
    "address",
    "website",
    "kp_registration",
    "contract_reference",
    "risk_rating",
    "public_listing_consent",
    "former_names",
    "no_owner_reason",
)


def member_update(
    *,
    actor: User,
    member: Member,
    changes: dict[str, Any],
    request: HttpRequest | None = None,
) -> Member:
    """Staff correct a member's data or change its risk rating; every change is audited."""
    if not can_manage_members(actor):
        raise PermissionDenied(_("Only customer policy staff may change members."))
    if set(changes) - set(STAFF_EDITABLE_FIELDS):
        raise ValueError("not editable member fields")
    with transaction.atomic():
        locked = lock(Member, member.pk)
        diff = {
            name: [str(getattr(locked, name)), str(value)]
            for name, value in changes.items()
            if getattr(locked, name) != value
        }
        for name, value in changes.items():
            setattr(locked, name, value)
        locked.full_clean()
        locked.save()
        if "risk_rating" in diff:
            audit_record(
                actor=actor,
                action="member.risk_rating_changed",
                target=locked,
                payload={"from": diff["risk_rating"][0], "to": diff["risk_rating"][1]},
                request=request,
            )
        if set(diff) - {"risk_rating"}:
            audit_record(
                actor=actor,
                action="member.updated",
                target=locked,
                payload={k: v for k, v in diff.items() if k != "risk_rating"},
                request=request,
            )
    return locked


def document_requirement_save(
    *,
    actor: User,
    requirement: DocumentRequirement,
    changed: list[str],
    request: HttpRequest | None = None,
) -> DocumentRequirement:
    """Staff keep the list of documents applicants must give; every change is audited."""
    if not actor.has_perm("members.change_documentrequirement"):
        raise PermissionDenied(_("Only customer policy staff may change the required documents."))
    created = requirement.pk is None
    with transaction.atomic():
        requirement.full_clean()
        requirement.save()
        audit_record(
            actor=actor,
            action="requirement.created" if created else "requirement.changed",
            target=requirement,
            payload={"fields": sorted(changed)},
            request=request,
        )
    return requirement
