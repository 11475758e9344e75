"""Beneficial owners and key people of an applicant or a member.

Rows are versions (see ``KeyPerson``): a change ends the current row and adds one that
``replaces`` it; a removal ends the row. The applicant keeps their people while the application
may be edited; staff see them with the application. A member's signatory or compliance officer
keeps them current afterwards: every such change waits for staff review (the row is
``pending``) and staff are told through the outbox in the same transaction. Screening (a higher
app) finds new and changed rows by itself.
"""

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from alliance_portal import text_limits
from alliance_portal.audit import audit_record
from alliance_portal.documents import discard_file_on_rollback, document_store
from alliance_portal.emails import absolute_url, email_people
from alliance_portal.locks import lock
from alliance_portal.models import Document
from alliance_portal.states import IllegalTransition, transition_target
from members.models import (
    PERSON_REVIEW_TRANSITIONS,
    Application,
    KeyPerson,
    Member,
    PersonReview,
    User,
)
from members.permissions import can_edit_application, can_manage_people, can_review_people
from members.selectors import staff_recipients

# What the applicant or member fills in about a person; the rest is history and review.
PERSON_FIELDS = (
    "role",
    "name",
    "name_latin",
    "date_of_birth",
    "nationality",
    "country_of_residence",
    "ownership_percent",
    "control",
)
# Model checks that are not the data's own (who it belongs to, history links).
_NOT_CHECKED = ["application", "member", "document", "replaces", "created_by", "reviewed_by"]


def _payload(person: KeyPerson) -> dict[str, Any]:
    """What the audit event keeps of a person: every field the applicant or member gave."""
    values: dict[str, Any] = {}
    for name in PERSON_FIELDS:
        value = getattr(person, name)
        values[name] = "" if value is None else str(value)
    values["document"] = str(person.document_id) if person.document_id else ""
    return values


def _require_person_editor(actor: User, person: KeyPerson) -> None:
    if person.application_id is not None:
        application = person.application
        if application is None or not can_edit_application(actor, application):
            raise PermissionDenied(_("Only the applicant may change the application's people."))
        if not application.is_editable:
            raise IllegalTransition(
                _("The application can no longer be changed: it is “%(status)s”.")
                % {"status": application.get_status_display()},
                code="not_editable",
            )
    elif person.member is None or not can_manage_people(actor, person.member):
        raise PermissionDenied(
            _("Only the company's signatory or compliance officer may change its people.")
        )


def _lock_owner(person: KeyPerson) -> None:
    """The lock order: the member (or the application), then the person's rows."""
    if person.member_id is not None:
        person.member = lock(Member, person.member_id)
    else:
        person.application = lock(Application, person.application_id)


def _checked(person: KeyPerson) -> KeyPerson:
    person.full_clean(exclude=_NOT_CHECKED)
    return person


def _store_document(
    actor: User, uploaded_file: "UploadedFile[bytes] | None", request: HttpRequest | None, keep: Any
) -> tuple[Document | None, bool]:
    """The supporting document, checked and stored like any upload, and whether it was found
    infected (then it is quarantined, and nothing is to be linked to it)."""
    if uploaded_file is None:
        return None, False
    document = document_store(actor=actor, uploaded_file=uploaded_file, request=request)
    keep(document)
    if document.quarantined:
        return None, True
    return document, False


def _notify_staff(person: KeyPerson, change: str) -> None:
    member = person.member
    if member is None:  # an applicant's people are seen with the application
        return
    email_people(
        staff_recipients(),
        template="key_people_changed",
        context={
            "company": member.legal_name,
            "person": person.name,
            # The role by its value: each recipient reads the message in their own language.
            "role": person.role,
            "change": change,
            "url": absolute_url(reverse("admin:members_keyperson_change", args=[person.pk])),
        },
        about=person,
        member_id=member.pk,
    )


def _record(
    *,
    actor: User,
    action: str,
    person: KeyPerson,
    request: HttpRequest | None,
    change: str,
    **extra: Any,
) -> None:
    """The audit event (the last write) and, for a member, the staff's message: one
    transaction with the change."""
    if person.member_id is not None:
        _notify_staff(person, change)
    audit_record(
        actor=actor,
        action=action,
        target=person,
        payload={
            "application": person.application_id,
            "member": person.member_id,
            **_payload(person),
            **extra,
        },
        request=request,
    )


def key_person_add(
    *,
    actor: User,
    data: dict[str, Any],
    application: Application | None = None,
    member: Member | None = None,
    uploaded_file: "UploadedFile[bytes] | None" = None,
    request: HttpRequest | None = None,
) -> KeyPerson | None:
    """Record a new owner or key person of a draft application or of a member.

    ValidationError for bad data (nothing is kept); None when the document was infected (it
    is quarantined, and no person is recorded).
    """
    if (application is None) == (member is None):
        raise ValueError("a person belongs to an application or to a member")
    unknown = set(data) - set(PERSON_FIELDS)
    if unknown:
        raise ValueError(f"not person fields: {sorted(unknown)}")
    person = KeyPerson(
        application=application,
        member=member,
        created_by=actor,
        review_status=PersonReview.PENDING,
        **data,
    )
    with discard_file_on_rollback() as keep, transaction.atomic():
        _lock_owner(person)
        _require_person_editor(actor, person)
        _checked(person)
        document, infected = _store_document(actor, uploaded_file, request, keep)
        if infected:
            return None
        person.document = document
        person.created_at = timezone.now()
        person.save()
        _record(
            actor=actor,
            action="key_person.added",
            person=person,
            request=request,
            change="added",
        )
    return person


def key_person_change(
    *,
    actor: User,
    person: KeyPerson,
    data: dict[str, Any],
    uploaded_file: "UploadedFile[bytes] | None" = None,
    request: HttpRequest | None = None,
) -> KeyPerson | None:
    """Correct or update a person: the current row ends and a new one replaces it (the
    document carries over unless a new one is given). Returns the new row; None when the new
    document was infected (nothing changes)."""
    unknown = set(data) - set(PERSON_FIELDS)
    if unknown:
        raise ValueError(f"not person fields: {sorted(unknown)}")
    with discard_file_on_rollback() as keep, transaction.atomic():
        _lock_owner(person)
        current = lock(KeyPerson, person.pk)
        current.application, current.member = person.application, person.member
        _require_person_editor(actor, current)
        if current.ended_at is not None:
            raise IllegalTransition(
                _("This person's record was changed or removed meanwhile: reload the page."),
                code="ended",
            )
        successor = KeyPerson(
            application=current.application,
            member=current.member,
            replaces=current,
            document=current.document,
            created_by=actor,
            review_status=PersonReview.PENDING,
            **{name: getattr(current, name) for name in PERSON_FIELDS},
        )
        for name, value in data.items():
            setattr(successor, name, value)
        _checked(successor)
        changed = sorted(
            name for name in PERSON_FIELDS if getattr(successor, name) != getattr(current, name)
        )
        document, infected = _store_document(actor, uploaded_file, request, keep)
        if infected:
            return None
        if document is not None:
            successor.document = document
            changed.append("document")
        if not changed:
            return current  # nothing new: no version, no review
        now = timezone.now()
        current.ended_at = now
        current.save(update_fields=["ended_at"])
        successor.created_at = now
        successor.save()
        _record(
            actor=actor,
            action="key_person.changed",
            person=successor,
            request=request,
            change="changed",
            replaces=current.pk,
            fields=changed,
        )
    return successor


def key_person_remove(
    *, actor: User, person: KeyPerson, request: HttpRequest | None = None
) -> KeyPerson:
    """End a person's row: they no longer own or act for the company. A member's removal is
    reviewed like any change (the ended row waits for review)."""
    with transaction.atomic():
        _lock_owner(person)
        current = lock(KeyPerson, person.pk)
        current.application, current.member = person.application, person.member
        _require_person_editor(actor, current)
        if current.ended_at is not None:
            raise IllegalTransition(
                _("This person's record was changed or removed meanwhile: reload the page."),
                code="ended",
            )
        current.ended_at = timezone.now()
        fields = ["ended_at"]
        if current.member_id is not None:
            current.review_status = PersonReview.PENDING
            current.reviewed_at, current.reviewed_by, current.review_comment = None, None, ""
            fields += ["review_status", "reviewed_at", "reviewed_by", "review_comment"]
        current.save(update_fields=fields)
        _record(
            actor=actor,
            action="key_person.removed",
            person=current,
            request=request,
            change="removed",
        )
    return current


def _review(
    *,
    actor: User,
    person: KeyPerson,
    action: str,
    comment: str,
    request: HttpRequest | None,
) -> KeyPerson:
    if not can_review_people(actor):
        raise PermissionDenied(_("Only customer policy staff may review key people."))
    with transaction.atomic():
        if person.member_id is not None:
            lock(Member, person.member_id)
        locked = lock(KeyPerson, person.pk)
        if locked.member_id is None:
            raise IllegalTransition(
                _("An applicant's people are reviewed with the application."), code="applicant"
            )
        if KeyPerson.objects.filter(replaces=locked).exists():
            raise IllegalTransition(
                _("A newer change replaces this one: review that one."), code="superseded"
            )
        locked.review_status = transition_target(
            PERSON_REVIEW_TRANSITIONS,
            action,
            locked.review_status,
            current_label=locked.get_status_display(),
        )
        locked.reviewed_at = timezone.now()
        locked.reviewed_by = actor
        locked.review_comment = comment
        locked.save(update_fields=["review_status", "reviewed_at", "reviewed_by", "review_comment"])
        audit_record(
            actor=actor,
            action="key_person.accepted" if action == "accept" else "key_person.returned",
            target=locked,
            payload={"member": locked.member_id, "comment": comment},
            request=request,
        )
    return locked


def key_person_accept(
    *, actor: User, person: KeyPerson, comment: str = "", request: HttpRequest | None = None
) -> KeyPerson:
    """Staff accept a member's change (an addition, a change or a removal)."""
    return _review(
        actor=actor,
        person=person,
        action="accept",
        comment=(comment or "").strip(),
        request=request,
    )


def key_person_return(
    *, actor: User, person: KeyPerson, comment: str, request: HttpRequest | None = None
) -> KeyPerson:
    """Staff return a member's change for correction, saying why: the member reads it."""
    comment = (comment or "").strip()
    if not comment:
        raise ValidationError(_("Say what needs correcting."), code="comment_required")
    if len(comment) > text_limits.TEXT:
        raise ValidationError(
            _("The comment is too long: at most %(limit)d characters.")
            % {"limit": text_limits.TEXT},
            code="comment_too_long",
        )
    return _review(actor=actor, person=person, action="return", comment=comment, request=request)


def key_people_copy_to_member(*, actor: User, application: Application, member: Member) -> int:
    """On approval (inside its transaction): the applicant's current people become the
    member's, accepted, since staff just reviewed them. Returns how many were copied."""
    now = timezone.now()
    copies = [
        KeyPerson(
            member=member,
            document_id=person.document_id,
            created_at=now,
            created_by=person.created_by,
            review_status=PersonReview.ACCEPTED,
            reviewed_at=now,
            reviewed_by=actor,
            **{name: getattr(person, name) for name in PERSON_FIELDS},
        )
        for person in application.people.filter(ended_at__isnull=True).order_by("pk")
    ]
    KeyPerson.objects.bulk_create(copies)
    return len(copies)
