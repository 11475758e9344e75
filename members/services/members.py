from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _

from alliance_portal.audit import audit_record
from alliance_portal.cache_versions import public_register_changed
from alliance_portal.documents import discard_file_on_rollback, document_store
from alliance_portal.documents.validity import validity_dates_check
from alliance_portal.locks import lock
from members.models import DocumentRequirement, Member, MemberDocument, User
from members.permissions import can_manage_members, can_update_member_documents

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


# What the public register shows of a member (and whether it shows it at all).
REGISTER_FIELDS = {"legal_name", "country", "public_listing_consent"}


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
        if diff.keys() & REGISTER_FIELDS:
            public_register_changed()
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


def member_document_add(
    *,
    actor: User,
    member: Member,
    requirement: DocumentRequirement,
    uploaded_file: "UploadedFile[bytes]",
    issued_on: date | None = None,
    expires_on: date | None = None,
    request: HttpRequest | None = None,
) -> MemberDocument | None:
    """A member's signatory or compliance officer gives a new document for a requirement: it
    becomes the current one (the one it replaces no longer counts, nor reminds). None when the
    file was quarantined."""
    if not can_update_member_documents(actor, member):
        raise PermissionDenied(
            _("Only signatories and compliance officers update the company's documents.")
        )
    issued_on, expires_on = validity_dates_check(
        issued_on=issued_on,
        expires_on=expires_on,
        expires=requirement.expires,
        validity_months=requirement.validity_months,
        required=False,
    )
    with discard_file_on_rollback() as keep, transaction.atomic():
        locked = lock(Member, member.pk)
        document = document_store(
            actor=actor,
            uploaded_file=uploaded_file,
            request=request,
            issued_on=issued_on,
            expires_on=expires_on,
        )
        keep(document)
        if document.quarantined:
            return None
        link = MemberDocument.objects.create(
            member=locked, requirement=requirement, document=document, added_by=actor
        )
        audit_record(
            actor=actor,
            action="member.document_added",
            target=locked,
            payload={
                "document": str(document.pk),
                "requirement": requirement.code,
                "expires_on": expires_on.isoformat() if expires_on else None,
            },
            request=request,
        )
    return link
