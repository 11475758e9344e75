"""Writes about Guidelines editions: the mapping from the previous edition that staff
complete before publishing, telling members of a published edition, and a signatory's
acknowledgement of it (recorded like a declaration). Each service takes an actor, runs in
one transaction and records an audit event in it."""

from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from alliance_portal.audit import audit_record, client_ip
from alliance_portal.emails import absolute_url, email_people
from alliance_portal.locks import lock
from members.models import Member, Role, User
from members.selectors import people_of

from .agreement import sha256_text
from .models import (
    Criterion,
    CriterionChange,
    CriterionMapping,
    GuidelinesAcknowledgement,
    GuidelinesVersion,
    LicenceAgreement,
    LicenceStatus,
)
from .permissions import can_manage_licences, can_sign_licence
from .selectors import edition_mappings, previous_edition


def _require_manager(actor: User) -> None:
    if not can_manage_licences(actor):
        raise PermissionDenied(_("Only customer policy staff may change the Guidelines."))


def _lock_draft(version_id: int) -> GuidelinesVersion:
    locked = lock(GuidelinesVersion, version_id)
    if locked.is_published:
        raise ValidationError(_("This edition is published and cannot change."), code="published")
    return locked


def _check_sides(mapping: CriterionMapping, before: GuidelinesVersion | None) -> None:
    """The new side is a criterion of the edition mapped, the old one of the edition before."""
    if before is None:
        raise ValidationError(
            _("This edition follows no published edition: there is nothing to map from.")
        )
    if (
        mapping.criterion_id
        and not Criterion.objects.filter(
            pk=mapping.criterion_id, section__version_id=mapping.version_id
        ).exists()
    ):
        raise ValidationError(_("Choose a criterion of this edition."), code="criterion")
    if (
        mapping.previous_id
        and not Criterion.objects.filter(pk=mapping.previous_id, section__version=before).exists()
    ):
        raise ValidationError(
            _("Choose a criterion of the %(edition)s.") % {"edition": before.edition_name},
            code="previous",
        )


def criterion_mapping_save(
    *, actor: User, mapping: CriterionMapping, request: HttpRequest | None = None
) -> CriterionMapping:
    """Add or change one line of an unpublished edition's mapping."""
    _require_manager(actor)
    with transaction.atomic():
        version = _lock_draft(mapping.version_id)
        if mapping.change == CriterionChange.NEW:
            mapping.previous = None
        elif mapping.change == CriterionChange.REMOVED:
            mapping.criterion = None
        _check_sides(mapping, previous_edition(version))
        created = mapping.pk is None
        mapping.full_clean(exclude=["version"])
        try:
            with transaction.atomic():
                mapping.save()
        except IntegrityError:
            raise ValidationError(_("This line repeats another of the mapping.")) from None
        audit_record(
            actor=actor,
            action="guidelines.mapping_created" if created else "guidelines.mapping_changed",
            target=version,
            payload=_payload(mapping),
            request=request,
        )
    return mapping


def _payload(mapping: CriterionMapping) -> dict[str, object]:
    return {
        "mapping": mapping.pk,
        "change": mapping.change,
        "criterion": mapping.criterion.code if mapping.criterion else None,
        "previous": mapping.previous.code if mapping.previous else None,
    }


def criterion_mapping_delete(
    *, actor: User, mapping: CriterionMapping, request: HttpRequest | None = None
) -> None:
    _require_manager(actor)
    with transaction.atomic():
        version = _lock_draft(mapping.version_id)
        payload = _payload(mapping)
        mapping.delete()
        audit_record(
            actor=actor,
            action="guidelines.mapping_deleted",
            target=version,
            payload=payload,
            request=request,
        )


def criterion_mappings_propose(
    *, actor: User, version: GuidelinesVersion, request: HttpRequest | None = None
) -> int:
    """Fill the lines still missing by code, for staff to check: a criterion whose code and
    wording are those of the previous edition is "same", one with the code but other wording
    "changed", one with a new code "new"; an old code gone is "removed". Lines already there
    stay as staff wrote them. Returns how many lines were added."""
    _require_manager(actor)
    with transaction.atomic():
        locked = _lock_draft(version.pk)
        before = previous_edition(locked)
        if before is None:
            raise ValidationError(
                _("This edition follows no published edition: there is nothing to map from.")
            )
        existing = list(edition_mappings(locked))
        mapped_new = {m.criterion_id for m in existing if m.criterion_id}
        accounted_old = {m.previous_id for m in existing if m.previous_id}
        old_by_code = {c.code: c for c in Criterion.objects.filter(section__version=before)}
        lines = []
        for criterion in Criterion.objects.filter(section__version=locked).order_by("pk"):
            if criterion.pk in mapped_new:
                continue
            old = old_by_code.get(criterion.code)
            if old is None:
                lines.append(CriterionMapping(version=locked, criterion=criterion, change="new"))
                continue
            change = CriterionChange.SAME if _same(old, criterion) else CriterionChange.CHANGED
            lines.append(
                CriterionMapping(version=locked, criterion=criterion, previous=old, change=change)
            )
            accounted_old.add(old.pk)
        new_codes = set(
            Criterion.objects.filter(section__version=locked).values_list("code", flat=True)
        )
        for code, old in old_by_code.items():
            if old.pk not in accounted_old and code not in new_codes:
                lines.append(
                    CriterionMapping(version=locked, previous=old, change=CriterionChange.REMOVED)
                )
        CriterionMapping.objects.bulk_create(lines)
        audit_record(
            actor=actor,
            action="guidelines.mapping_proposed",
            target=locked,
            payload={"added": len(lines)},
            request=request,
        )
    return len(lines)


def _same(old: Criterion, new: Criterion) -> bool:
    fields = ["title_en", "title_ru", "description_en", "description_ru"]
    fields += ["evidence_en", "evidence_ru"]
    return all(getattr(old, name) == getattr(new, name) for name in fields)


def members_tell_of_edition(version: GuidelinesVersion) -> int:
    """In the publishing transaction: every member with a licence in force is told of the new
    edition (notification and e-mail through the outbox), with the link to acknowledge it.
    Returns how many members were told."""
    licences = LicenceAgreement.objects.filter(
        status__in=[LicenceStatus.ACTIVE, LicenceStatus.SUSPENDED]
    ).select_related("member")
    told = 0
    for licence in licences.exclude(guidelines=version).order_by("pk"):
        path = reverse("licensing:guidelines_acknowledge", args=[licence.pk, version.pk])
        email_people(
            people_of(licence.member, [Role.SIGNATORY, Role.COMPLIANCE_OFFICER]),
            template="guidelines_published",
            context={
                "company": licence.member.legal_name,
                "edition": version.edition_name,
                "title": version.title_en,
                "url": absolute_url(path),
            },
            about=version,
            member_id=licence.member_id,
        )
        told += 1
    return told


def acknowledgement_text(member: Member, version: GuidelinesVersion, name: str) -> str:
    return _(
        "I, %(name)s, acknowledge for %(company)s the %(edition)s of the ALROSA ALLIANCE "
        "Guidelines on Responsible Business Practices (“%(title)s”, adopted %(adopted)s). The "
        "company's attestations from now on follow this edition."
    ) % {
        "name": name,
        "company": member.legal_name,
        "edition": version.edition_name,
        "title": version.title,
        "adopted": version.adopted_on.isoformat(),
    }


def guidelines_acknowledge(
    *,
    actor: User,
    licence: LicenceAgreement,
    version: GuidelinesVersion,
    typed_name: str,
    declared: bool,
    authenticated_at: datetime | None = None,
    request: HttpRequest | None = None,
) -> GuidelinesAcknowledgement:
    """A signatory acknowledges a published edition for the company of ``licence``: who,
    when, from where, with which browser and the exact statement, once per company and
    edition."""
    typed_name = typed_name.strip()
    if not typed_name:
        raise ValidationError(_("Type your full name."), code="required")
    if not declared:
        raise ValidationError(_("Confirm the statement to acknowledge the edition."))
    if not can_sign_licence(actor, licence):
        raise PermissionDenied(_("Only a signatory of the company may acknowledge an edition."))
    if not version.is_published:
        raise ValidationError(_("Only a published edition can be acknowledged."))
    with transaction.atomic():
        member = lock(Member, licence.member_id)
        if GuidelinesAcknowledgement.objects.filter(member=member, version=version).exists():
            raise ValidationError(
                _("The company has already acknowledged this edition."), code="done"
            )
        statement = acknowledgement_text(member, version, typed_name[:200])
        acknowledgement = GuidelinesAcknowledgement.objects.create(
            member=member,
            version=version,
            user=actor,
            typed_name=typed_name[:200],
            statement=statement,
            statement_sha256=sha256_text(statement),
            acknowledged_at=timezone.now(),
            authenticated_at=authenticated_at,
            ip=client_ip(request),
            user_agent=(request.headers.get("User-Agent", "") if request else "")[:500],
        )
        audit_record(
            actor=actor,
            action="guidelines.acknowledged",
            target=version,
            payload={
                "member": member.pk,
                "edition": version.edition,
                "statement_sha256": acknowledgement.statement_sha256,
                "authenticated_at": authenticated_at.isoformat() if authenticated_at else None,
            },
            request=request,
        )
    return acknowledgement
