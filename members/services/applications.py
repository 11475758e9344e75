"""The application's lifecycle: draft → submitted → under review ⇄ information requested →
approved | rejected (or withdrawn). Transitions are declared in members.models."""

from datetime import date
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
from alliance_portal.documents.validity import validity_dates_check
from alliance_portal.emails import absolute_url, email_people, email_user
from alliance_portal.events import EventName, event_record
from alliance_portal.locks import lock
from alliance_portal.states import IllegalTransition, move
from members.models import (
    APPLICATION_TRANSITIONS,
    OPEN_STATUSES,
    Application,
    ApplicationDocument,
    DocumentRequirement,
    InformationRequest,
    Member,
    MemberDocument,
    Membership,
    PersonRole,
    RiskRating,
    Role,
    User,
    field_label,
)
from members.permissions import can_edit_application, can_review_applications
from members.selectors import (
    active_requirements,
    current_people_of_application,
    staff_recipients,
)

from .people import key_people_copy_to_member

# What the applicant fills in; the rest of the row belongs to staff and to the lifecycle.
APPLICANT_FIELDS = (
    "legal_name",
    "registration_number",
    "country",
    "address",
    "website",
    "kp_registration",
    "contract_reference",
    "is_long_term_client",
    "trades_only_kp_certified",
    "free_of_sanctions",
    "accepts_guidelines",
    "public_listing_consent",
    "former_names",
    "no_owner_reason",
)
REQUIRED_COMPANY_FIELDS = (
    "legal_name",
    "registration_number",
    "country",
    "address",
    "kp_registration",
    "contract_reference",
)
ELIGIBILITY_FIELDS = (
    "is_long_term_client",
    "trades_only_kp_certified",
    "free_of_sanctions",
    "accepts_guidelines",
)
CHECKLIST_FIELDS = (
    "check_identity",
    "check_kp",
    "check_sanctions",
    "check_financials",
    "check_aml",
)


def _lock(application: Application) -> Application:
    return lock(Application, application.pk)


def _require_editor(actor: User, application: Application) -> None:
    if not can_edit_application(actor, application):
        raise PermissionDenied(_("Only the applicant or the company's signatory may do this."))


def _require_editable(application: Application) -> None:
    if not application.is_editable:
        raise IllegalTransition(
            _("The application can no longer be changed: it is “%(status)s”.")
            % {"status": application.get_status_display()},
            code="not_editable",
        )


def _require_reviewer(actor: User) -> None:
    if not can_review_applications(actor):
        raise PermissionDenied(_("Only customer policy staff may review applications."))


def _application_url(application: Application) -> str:
    return absolute_url(reverse("portal:application_detail", args=[application.pk]))


def _notify_applicant(application: Application, template: str, **context: Any) -> None:
    email_user(
        application.applicant,
        template=template,
        context={
            "company": application.legal_name,
            "url": _application_url(application),
            **context,
        },
        about=application,
        member_id=application.member_id,
    )


def _notify_staff(application: Application, template: str) -> None:
    admin_url = absolute_url(reverse("admin:members_application_change", args=[application.pk]))
    email_people(
        staff_recipients(),
        template=template,
        context={
            "company": application.legal_name,
            "applicant": application.applicant.email,
            "url": admin_url,
        },
        about=application,
        member_id=application.member_id,
    )


def application_create(*, actor: User, request: HttpRequest | None = None) -> Application:
    with transaction.atomic():
        application = Application.objects.create(applicant=actor)
        audit_record(actor=actor, action="application.created", target=application, request=request)
    return application


def application_update(
    *,
    actor: User,
    application: Application,
    data: dict[str, Any],
    request: HttpRequest | None = None,
) -> Application:
    """Save the applicant's data, complete or not (a draft may be saved half-filled)."""
    unknown = set(data) - set(APPLICANT_FIELDS)
    if unknown:
        raise ValueError(f"not applicant fields: {sorted(unknown)}")
    with transaction.atomic():
        locked = _lock(application)
        _require_editor(actor, locked)
        _require_editable(locked)
        changed = sorted(name for name, value in data.items() if getattr(locked, name) != value)
        for name in changed:
            setattr(locked, name, data[name])
        locked.full_clean(exclude=["applicant", "member", "decided_by"])
        locked.save()
        if changed:
            audit_record(
                actor=actor,
                action="application.updated",
                target=locked,
                payload={"fields": changed},
                request=request,
            )
    return locked


def application_attach_document(
    *,
    actor: User,
    application: Application,
    requirement: DocumentRequirement,
    uploaded_file: "UploadedFile[bytes]",
    issued_on: date | None = None,
    expires_on: date | None = None,
    request: HttpRequest | None = None,
) -> ApplicationDocument | None:
    """Check, store and link an uploaded document. UploadRejected leaves nothing behind.

    An infected file is quarantined and nothing is linked: returns None (the quarantine and
    its audit event are kept). The dates are checked against the requirement's validity.
    """
    issued_on, expires_on = validity_dates_check(
        issued_on=issued_on,
        expires_on=expires_on,
        expires=requirement.expires,
        validity_months=requirement.validity_months,
        required=False,
    )
    with discard_file_on_rollback() as keep, transaction.atomic():
        locked = _lock(application)
        _require_editor(actor, locked)
        _require_editable(locked)
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
        link = ApplicationDocument.objects.create(
            application=locked, requirement=requirement, document=document
        )
        audit_record(
            actor=actor,
            action="application.document_added",
            target=locked,
            payload={"document": str(document.pk), "requirement": requirement.code},
            request=request,
        )
    return link


def application_remove_document(
    *,
    actor: User,
    application: Application,
    link: ApplicationDocument,
    request: HttpRequest | None = None,
) -> None:
    """Unlink a document from the application; the document itself stays in the record."""
    with transaction.atomic():
        locked = _lock(application)
        _require_editor(actor, locked)
        _require_editable(locked)
        if link.application_id != locked.pk:
            raise PermissionDenied
        link.delete()
        audit_record(
            actor=actor,
            action="application.document_removed",
            target=locked,
            payload={"document": str(link.document_id)},
            request=request,
        )


def missing_for_submission(application: Application) -> list[str]:
    """What still stands between the application and its submission, in words."""
    missing: list[str] = []
    for name in REQUIRED_COMPANY_FIELDS:
        if not getattr(application, name):
            label = field_label(Application, name)
            missing.append(_("Fill in: %(field)s.") % {"field": label})
    for name in ELIGIBILITY_FIELDS:
        if getattr(application, name) is None:
            question = field_label(Application, name)
            missing.append(_("Answer: “%(question)s”") % {"question": question})
    if application.accepts_guidelines is False:
        missing.append(_("The company must commit to follow the Guidelines to apply."))
    given = {link.requirement_id for link in application.documents.all()}
    for requirement in active_requirements().filter(required=True):
        if requirement.pk not in given:
            missing.append(_("Upload: %(document)s.") % {"document": requirement.title})
    roles = {person.role for person in current_people_of_application(application)}
    if PersonRole.OWNER not in roles and not application.no_owner_reason.strip():
        missing.append(
            _(
                # xgettext:no-python-format
                "Name the beneficial owners (people owning or controlling 25 % or more), or "
                "explain why there is none."
            )
        )
    if not roles & {PersonRole.DIRECTOR, PersonRole.SIGNATORY}:
        missing.append(_("Name at least one director or authorised signatory."))
    return missing


def application_submit(
    *, actor: User, application: Application, request: HttpRequest | None = None
) -> Application:
    with transaction.atomic():
        locked = _lock(application)
        _require_editor(actor, locked)
        locked.status = move(locked, APPLICATION_TRANSITIONS, "submit")
        missing = missing_for_submission(locked)
        if missing:
            raise ValidationError(missing, code="incomplete")
        now = timezone.now()
        locked.submitted_at = locked.submitted_at or now
        locked.save(update_fields=["status", "submitted_at"])
        audit_record(actor=actor, action="application.submitted", target=locked, request=request)
        event_record(EventName.APPLICATION_SUBMITTED, locked)
        _notify_staff(locked, "application_submitted")
        _notify_applicant(locked, "application_received")
    return locked


def application_start_review(
    *, actor: User, application: Application, request: HttpRequest | None = None
) -> Application:
    _require_reviewer(actor)
    with transaction.atomic():
        locked = _lock(application)
        locked.status = move(locked, APPLICATION_TRANSITIONS, "start_review")
        locked.review_started_at = timezone.now()
        locked.review_started_by = actor
        locked.save(update_fields=["status", "review_started_at", "review_started_by"])
        audit_record(
            actor=actor, action="application.review_started", target=locked, request=request
        )
    return locked


def application_request_information(
    *,
    actor: User,
    application: Application,
    message: str,
    request: HttpRequest | None = None,
) -> InformationRequest:
    _require_reviewer(actor)
    message = (message or "").strip()
    if not message:
        raise ValidationError(_("Say what information is needed."), code="message_required")
    with transaction.atomic():
        locked = _lock(application)
        locked.status = move(locked, APPLICATION_TRANSITIONS, "request_information")
        locked.save(update_fields=["status"])
        info = InformationRequest.objects.create(
            application=locked, message=message, requested_by=actor
        )
        audit_record(
            actor=actor,
            action="application.information_requested",
            target=locked,
            payload={"message": message},
            request=request,
        )
        _notify_applicant(locked, "application_information_requested", message=message)
    return info


def application_resubmit(
    *,
    actor: User,
    application: Application,
    answer: str,
    request: HttpRequest | None = None,
) -> Application:
    """The applicant answers the open information request and sends the application back."""
    answer = (answer or "").strip()
    if not answer:
        raise ValidationError(_("Write your answer to the request."), code="answer_required")
    with transaction.atomic():
        locked = _lock(application)
        _require_editor(actor, locked)
        locked.status = move(locked, APPLICATION_TRANSITIONS, "resubmit")
        missing = missing_for_submission(locked)
        if missing:
            raise ValidationError(missing, code="incomplete")
        open_request = locked.information_requests.filter(answered_at__isnull=True).first()
        if open_request is not None:
            open_request.answer = answer
            open_request.answered_at = timezone.now()
            open_request.save(update_fields=["answer", "answered_at"])
        locked.save(update_fields=["status"])
        audit_record(
            actor=actor,
            action="application.resubmitted",
            target=locked,
            payload={"answer": answer},
            request=request,
        )
        event_record(EventName.APPLICATION_SUBMITTED, locked)
        _notify_staff(locked, "application_resubmitted")
    return locked


def checklist_missing(application: Application) -> list[str]:
    """The review checklist's items not ticked yet, by their labels."""
    return [
        field_label(Application, name)
        for name in CHECKLIST_FIELDS
        if not getattr(application, name)
    ]


def application_approve(
    *,
    actor: User,
    application: Application,
    risk_rating: str,
    reason: str = "",
    request: HttpRequest | None = None,
) -> Member:
    """Approve: the company becomes a member, and the applicant its first signatory."""
    _require_reviewer(actor)
    if risk_rating not in RiskRating.values:
        raise ValidationError(_("Choose a risk rating."), code="risk_rating_required")
    with transaction.atomic():
        locked = _lock(application)
        locked.status = move(locked, APPLICATION_TRANSITIONS, "approve")
        if locked.screening_hold:
            raise ValidationError(
                _(
                    "A sanctions screening match on the company or its people is unresolved or "
                    "confirmed: the application cannot be approved."
                ),
                code="screening_hold",
            )
        missing = checklist_missing(locked)
        if missing:
            raise ValidationError(
                _("Complete the review checklist before approving. Not ticked: %(items)s.")
                % {"items": "; ".join(missing)},
                code="checklist_incomplete",
            )
        now = timezone.now()
        member = Member(
            legal_name=locked.legal_name,
            registration_number=locked.registration_number,
            country=locked.country,
            address=locked.address,
            website=locked.website,
            kp_registration=locked.kp_registration,
            contract_reference=locked.contract_reference,
            public_listing_consent=locked.public_listing_consent,
            former_names=locked.former_names,
            no_owner_reason=locked.no_owner_reason,
            risk_rating=risk_rating,
            approved_at=now,
        )
        member.full_clean()
        member.save()
        Membership.objects.create(user=locked.applicant, member=member, role=Role.SIGNATORY)
        # The application's documents become the member's (kept valid from now on).
        MemberDocument.objects.bulk_create(
            MemberDocument(
                member=member,
                requirement_id=link.requirement_id,
                document_id=link.document_id,
                application=locked,
                added_at=link.added_at,
                added_by=locked.applicant,
            )
            for link in ApplicationDocument.objects.filter(application=locked)
        )
        copied = key_people_copy_to_member(actor=actor, application=locked, member=member)
        locked.member = member
        locked.decided_at = now
        locked.decided_by = actor
        locked.decision_reason = reason.strip()
        locked.save(
            update_fields=["status", "member", "decided_at", "decided_by", "decision_reason"]
        )
        audit_record(
            actor=actor,
            action="application.approved",
            target=locked,
            payload={"member": member.pk, "risk_rating": risk_rating, "people": copied},
            request=request,
        )
        event_record(EventName.APPLICATION_DECIDED, locked)
        _notify_applicant(locked, "application_approved", reason=locked.decision_reason)
    return member


def application_reject(
    *,
    actor: User,
    application: Application,
    reason: str,
    request: HttpRequest | None = None,
) -> Application:
    _require_reviewer(actor)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_("Give the reason for the rejection."), code="reason_required")
    with transaction.atomic():
        locked = _lock(application)
        locked.status = move(locked, APPLICATION_TRANSITIONS, "reject")
        locked.decided_at = timezone.now()
        locked.decided_by = actor
        locked.decision_reason = reason
        locked.save(update_fields=["status", "decided_at", "decided_by", "decision_reason"])
        audit_record(
            actor=actor,
            action="application.rejected",
            target=locked,
            payload={"reason": reason},
            request=request,
        )
        event_record(EventName.APPLICATION_DECIDED, locked)
        _notify_applicant(locked, "application_rejected", reason=reason)
    return locked


def application_withdraw(
    *, actor: User, application: Application, request: HttpRequest | None = None
) -> Application:
    with transaction.atomic():
        locked = _lock(application)
        _require_editor(actor, locked)
        locked.status = move(locked, APPLICATION_TRANSITIONS, "withdraw")
        locked.save(update_fields=["status"])
        audit_record(actor=actor, action="application.withdrawn", target=locked, request=request)
    return locked


def application_update_checklist(
    *,
    actor: User,
    application: Application,
    checks: dict[str, bool],
    request: HttpRequest | None = None,
) -> Application:
    _require_reviewer(actor)
    if set(checks) - set(CHECKLIST_FIELDS):
        raise ValueError("not checklist fields")
    with transaction.atomic():
        locked = _lock(application)
        changed = {k: v for k, v in checks.items() if getattr(locked, k) != v}
        if changed.get("check_sanctions") and locked.screening_hold:
            raise ValidationError(
                _("Sanctions screening is not clear: a match is unresolved or confirmed."),
                code="screening_hold",
            )
        for name, value in changed.items():
            setattr(locked, name, value)
        if changed:
            locked.save(update_fields=list(changed))
            audit_record(
                actor=actor,
                action="application.checklist_updated",
                target=locked,
                payload=changed,
                request=request,
            )
    return locked


def application_screening_hold(
    *, actor: User | None, application: Application, held: bool, reason: str
) -> Application:
    """Hold (or release) an application for sanctions screening. Called by the screening
    services, which check their own permissions; ``actor`` is None when a job raised the
    match. A hold also unticks "sanctions screening clear"."""
    with transaction.atomic():
        locked = _lock(application)
        if locked.screening_hold == held:
            return locked
        locked.screening_hold = held
        fields = ["screening_hold"]
        if held and locked.check_sanctions:
            locked.check_sanctions = False
            fields.append("check_sanctions")
        locked.save(update_fields=fields)
        audit_record(
            actor=actor,
            action="application.screening_held" if held else "application.screening_released",
            target=locked,
            payload={"reason": reason},
        )
    return locked


def application_extend_review(
    *,
    actor: User,
    application: Application,
    until: date,
    reason: str,
    request: HttpRequest | None = None,
) -> Application:
    """Extend the 30-day review target once, to a day no later than 90 days from submission,
    for a reason the applicant is told (by e-mail and on the application's page)."""
    _require_reviewer(actor)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_("Give the reason for the extension."), code="reason_required")
    if len(reason) > text_limits.TEXT:
        raise ValidationError(
            _("The reason is too long: at most %(limit)d characters.")
            % {"limit": text_limits.TEXT},
            code="reason_too_long",
        )
    with transaction.atomic():
        locked = _lock(application)
        if locked.status not in OPEN_STATUSES:
            raise IllegalTransition(
                _("Only an application under review can have its review extended."),
                code="not_open",
            )
        if locked.review_extended_until is not None:
            raise ValidationError(
                _("The review has already been extended once."), code="already_extended"
            )
        current, latest = locked.review_due_on, locked.review_max_on
        if current is None or latest is None:  # never submitted: nothing to extend
            raise IllegalTransition(_("The application was never submitted."), code="not_open")
        if until <= current:
            raise ValidationError(
                _("The new target must be later than the current one (%(date)s).")
                % {"date": current.isoformat()},
                code="not_later",
            )
        if until > latest:
            raise ValidationError(
                _("The review may be extended to 90 days from submission at most (%(date)s).")
                % {"date": latest.isoformat()},
                code="too_late",
            )
        locked.review_extended_until = until
        locked.review_extension_reason = reason
        locked.review_extended_at = timezone.now()
        locked.review_extended_by = actor
        locked.save(
            update_fields=[
                "review_extended_until",
                "review_extension_reason",
                "review_extended_at",
                "review_extended_by",
            ]
        )
        audit_record(
            actor=actor,
            action="application.review_extended",
            target=locked,
            payload={"until": until.isoformat(), "previous": current.isoformat(), "reason": reason},
            request=request,
        )
        _notify_applicant(
            locked, "application_review_extended", until=until.isoformat(), reason=reason
        )
    return locked
