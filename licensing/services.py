"""Every write of the licensing app: the licence's lifecycle and its signature.

The transitions are declared in ``licensing.models.LICENCE_TRANSITIONS``. Suspension,
reinstatement, forfeiture, termination and expiry are services here because compliance calls
them from its own decisions, inside its own transaction.
"""

from collections.abc import Collection
from datetime import date, datetime, timedelta
from typing import Any, cast

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from alliance_portal.audit import audit_record, audit_record_many, client_ip
from alliance_portal.cache_versions import public_register_changed
from alliance_portal.documents import document_store_generated
from alliance_portal.emails import absolute_url, email_people, email_people_many
from alliance_portal.events import EventName, event_record, event_record_many
from alliance_portal.jobs import enqueue_on_commit
from alliance_portal.locks import for_update, lock
from alliance_portal.pdf import render_pdf_template
from alliance_portal.pdf_signing import sign_pdf
from alliance_portal.states import move, statuses_save
from members.models import Member, Role, User
from members.selectors import people_of, people_of_members

from . import editions, tasks
from .agreement import agreement_text, check_template_text, e_signature_clause, sha256_text
from .logo_kit import logo_kit_zip, rules_sha256
from .models import (
    LICENCE_TRANSITIONS,
    AgreementTemplate,
    Criterion,
    GuidelinesSection,
    GuidelinesVersion,
    LicenceAgreement,
    LicenceNumberSequence,
    LicenceStatus,
    LogoKitAcceptance,
    Signature,
)
from .permissions import can_manage_licences, can_sign_licence
from .selectors import edition_mapping_problems, in_good_standing, latest_published_guidelines
from .signing import consent_language, consent_sha256, consent_wording, consents


def _lock(licence: LicenceAgreement) -> LicenceAgreement:
    return for_update(
        LicenceAgreement.objects.select_related("member", "template", "guidelines")
    ).get(pk=licence.pk)


def _require_manager(actor: User) -> None:
    if not can_manage_licences(actor):
        raise PermissionDenied(_("Only customer policy staff may change licences."))


def _add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def _next_number(year: int) -> str:
    sequence, _created = for_update(LicenceNumberSequence.objects.all()).get_or_create(year=year)
    sequence.last += 1
    sequence.save(update_fields=["last"])
    return f"AA-{year}-{sequence.last:04d}"


def _licence_url(licence: LicenceAgreement) -> str:
    return absolute_url(reverse("licensing:licence_detail", args=[licence.pk]))


def _tell_signatories(licence: LicenceAgreement, template: str, **context: Any) -> None:
    email_people(
        people_of(licence.member, [Role.SIGNATORY]),
        template=template,
        context={
            "company": licence.member.legal_name,
            "number": licence.number or "",
            "url": _licence_url(licence),
            **context,
        },
        about=licence,
        member_id=licence.member_id,
    )


def licence_create(
    *,
    actor: User,
    member: Member,
    template: AgreementTemplate | None = None,
    guidelines: GuidelinesVersion | None = None,
    term_years: int | None = None,
    previous: LicenceAgreement | None = None,
    request: HttpRequest | None = None,
) -> LicenceAgreement:
    """A draft licence for a member, on the latest terms and Guidelines unless told otherwise."""
    _require_manager(actor)
    template = template or AgreementTemplate.objects.order_by("-version").first()
    guidelines = guidelines or latest_published_guidelines()
    if template is None or guidelines is None:
        raise ValidationError(_("Publish the Guidelines and an agreement template first."))
    if not guidelines.is_published:
        raise ValidationError(_("A licence can only incorporate a published Guidelines edition."))
    years = term_years or settings.ALLIANCE_LICENCE_TERM_YEARS
    if not 1 <= years <= 3:
        raise ValidationError(_("A licence runs for one to three years."))
    with transaction.atomic():
        licence = LicenceAgreement.objects.create(
            member=member,
            template=template,
            guidelines=guidelines,
            term_years=years,
            previous=previous,
        )
        audit_record(
            actor=actor,
            action="licence.created",
            target=licence,
            payload={"member": member.pk, "template": template.version},
            request=request,
        )
    return licence


def licence_issue_problems(member: Member, previous: LicenceAgreement | None = None) -> list[str]:
    """Why a licence cannot be issued to this member now (empty when it can).

    A renewal (``previous`` set) may be issued while the licence it renews is in force.
    """
    problems = []
    if not member.memberships.filter(role=Role.SIGNATORY).exists():
        problems.append(_("The member has no signatory to sign the licence."))
    if member.licences.filter(status=LicenceStatus.ISSUED).exists():
        problems.append(_("This member already has a licence to sign."))
    in_force = member.licences.filter(status__in=[LicenceStatus.ACTIVE, LicenceStatus.SUSPENDED])
    if previous is not None:
        in_force = in_force.exclude(pk=previous.pk)
    if in_force.exists():
        problems.append(_("This member already has a licence in force."))
    return problems


def licence_issue(
    *, actor: User, licence: LicenceAgreement, request: HttpRequest | None = None
) -> LicenceAgreement:
    """Number the licence and send it to the member's signatories to sign."""
    _require_manager(actor)
    with transaction.atomic():
        # The member row first: two licences of one member are issued one at a time.
        lock(Member, licence.member_id)
        locked = _lock(licence)
        target = move(locked, LICENCE_TRANSITIONS, "issue")
        problems = licence_issue_problems(locked.member, previous=locked.previous)
        if problems:
            raise ValidationError(problems)
        now = timezone.now()
        locked.status = target
        locked.number = _next_number(now.year)
        locked.issued_at = now
        locked.issued_by = actor
        locked.full_clean(exclude=["template", "guidelines", "previous", "signed_pdf"])
        locked.save()
        AgreementTemplate.objects.filter(pk=locked.template_id, first_used_at__isnull=True).update(
            first_used_at=now
        )
        audit_record(
            actor=actor,
            action="licence.issued",
            target=locked,
            payload={"number": locked.number},
            request=request,
        )
        event_record(EventName.LICENCE_STATUS_CHANGED, locked)
        _tell_signatories(locked, "licence_issued")
    return locked


def licence_create_and_issue(
    *, actor: User, member: Member, request: HttpRequest | None = None, **options: Any
) -> LicenceAgreement:
    with transaction.atomic():
        draft = licence_create(actor=actor, member=member, request=request, **options)
        return licence_issue(actor=actor, licence=draft, request=request)


def licence_sign(
    *,
    actor: User,
    licence: LicenceAgreement,
    typed_name: str,
    typed_title: str,
    accepted: Collection[str],
    shown_sha256: str,
    authenticated_at: datetime | None = None,
    request: HttpRequest | None = None,
) -> Signature:
    """The signatory accepts the exact text they were shown; the licence becomes active.

    Refused when the text changed since it was shown (the page asks to read it again), when
    any consent is missing, or when the licence is no longer waiting for a signature (a second
    click or tab): exactly one signature per licence. ``authenticated_at`` is when the
    signatory last proved who they were (the view asks for it again when it is not recent);
    it is kept with the signature.
    """
    typed_name, typed_title = typed_name.strip(), typed_title.strip()
    problems = []
    if not typed_name:
        problems.append(_("Type your full name."))
    if not typed_title:
        problems.append(_("Type your title in the company."))
    if len(typed_name) > 200 or len(typed_title) > 200:
        problems.append(_("Your name and title may have at most 200 characters each."))
    if set(accepted) != {key for key, _text in consents()}:
        problems.append(_("Tick every statement to sign."))
    if problems:
        raise ValidationError(problems, code="incomplete")
    with transaction.atomic():
        locked = _lock(licence)
        if not can_sign_licence(actor, locked):
            raise PermissionDenied(_("Only a signatory of the company may sign its licence."))
        target = move(locked, LICENCE_TRANSITIONS, "sign")
        text = agreement_text(locked)
        text_sha256 = sha256_text(text)
        if shown_sha256 != text_sha256:
            raise ValidationError(
                _(
                    "The agreement text has changed since you opened it. "
                    "Please read it again before signing."
                ),
                code="text_changed",
            )
        now = timezone.now()
        signature = Signature.objects.create(
            licence=locked,
            signatory=actor,
            member_name=locked.member.legal_name,
            member_registration=(
                f"{locked.member.registration_number}, {cast(Any, locked.member.country).code}"
            ),
            typed_name=typed_name,
            typed_title=typed_title,
            consent_wording=consent_wording(),
            consent_sha256=consent_sha256(),
            agreement_text=text,
            agreement_sha256=text_sha256,
            signed_at=now,
            authenticated_at=authenticated_at,
            ip=client_ip(request),
            user_agent=(request.headers.get("User-Agent", "") if request else "")[:500],
        )
        # The licence renewed is locked after this one, and ends before this one starts (one
        # licence in force per member); the events follow every write.
        superseded = _supersede(locked) if locked.previous_id is not None else None
        locked.status = target
        locked.starts_on = timezone.localdate(now)
        locked.ends_on = _add_years(locked.starts_on, locked.term_years) - timedelta(days=1)
        locked.save(update_fields=["status", "starts_on", "ends_on"])
        if superseded is not None:
            audit_record(
                actor=actor,
                action="licence.superseded",
                target=superseded,
                payload={"renewal": locked.number},
                request=request,
            )
            event_record(EventName.LICENCE_STATUS_CHANGED, superseded)
        audit_record(
            actor=actor,
            action="licence.signed",
            target=locked,
            payload={
                "agreement_sha256": text_sha256,
                "typed_name": typed_name,
                "authenticated_at": authenticated_at.isoformat() if authenticated_at else None,
            },
            request=request,
        )
        event_record(EventName.LICENCE_SIGNED, locked)
        enqueue_on_commit(tasks.licence_render_signed_pdf, locked.pk)
        _tell_signatories(locked, "licence_signed", signer=typed_name)
        public_register_changed()
    return signature


def _supersede(renewal: LicenceAgreement) -> LicenceAgreement | None:
    """Signing a renewal ends the licence it renews, in the same transaction: the licence
    ended (its event is the caller's to record), or None when it had already ended."""
    previous = _lock(renewal.previous)  # type: ignore[arg-type]
    if previous.status not in (LicenceStatus.ACTIVE, LicenceStatus.SUSPENDED):
        return None
    previous.status = move(previous, LICENCE_TRANSITIONS, "expire")
    previous.ended_at = timezone.now()
    previous.status_reason = _("Replaced by the renewal %(number)s.") % {"number": renewal.number}
    previous.save(update_fields=["status", "ended_at", "status_reason"])
    return previous


def licence_render_signed_pdf(*, licence_id: int) -> LicenceAgreement:
    """Render the signed agreement with its evidence page and seal it with the portal's PAdES
    signature (timestamped when a TSA is configured), once per signature.

    The render and the seal hold no lock and no transaction (they take seconds and may wait
    on the time-stamping authority; a licence row locked that long blocks signing, suspending
    and the review cycles pointing to it): what it shows is fixed once signed. A short
    transaction then links the stored PDF. Should another run
    have linked one first, ours stays unlinked: a generated document no record points to.
    """
    licence = LicenceAgreement.objects.select_related(
        "member", "signature__signatory", "guidelines"
    ).get(pk=licence_id)
    if licence.signed_pdf_id is not None:
        return licence  # already rendered: a second run changes nothing
    content = render_pdf_template(
        "licensing/agreement_pdf.html",
        {
            "licence": licence,
            "signature": licence.signature,
            "member": licence.member,
            "evidence_language": consent_language(licence.signature.consent_wording),
            "e_signature_clause": e_signature_clause(licence.signature.agreement_text),
        },
    )
    content = sign_pdf(content, reason=f"ALROSA ALLIANCE licence agreement {licence.number}")
    document = document_store_generated(
        name=f"{licence.number}-signed.pdf", content=content, content_type="application/pdf"
    )
    with transaction.atomic():
        locked = lock(LicenceAgreement, licence_id)
        if locked.signed_pdf_id is not None:
            return locked  # another run was first; its PDF stays the one
        locked.signed_pdf = document
        locked.save(update_fields=["signed_pdf"])
        audit_record(
            actor=None,
            action="licence.pdf_rendered",
            target=locked,
            payload={"sha256": document.sha256, "document": str(document.pk)},
        )
    return locked


def _change_state(
    *,
    actor: User,
    licence: LicenceAgreement,
    action: str,
    reason: str,
    request: HttpRequest | None,
    **fields: Any,
) -> LicenceAgreement:
    _require_manager(actor)
    return _apply_change(
        actor=actor, licence=licence, action=action, reason=reason, request=request, **fields
    )


def _apply_change(
    *,
    actor: User | None,
    licence: LicenceAgreement,
    action: str,
    reason: str,
    request: HttpRequest | None,
    **fields: Any,
) -> LicenceAgreement:
    """``actor`` is None only from the ``*_by_portal`` services."""
    reason = (reason or "").strip()
    if action != "expire" and not reason:
        raise ValidationError(_("Give the reason."), code="reason_required")
    with transaction.atomic():
        locked = _lock(licence)
        locked.status = move(locked, LICENCE_TRANSITIONS, action)
        locked.status_reason = reason
        for name, value in fields.items():
            setattr(locked, name, value)
        locked.save()
        audit_record(
            actor=actor,
            action=f"licence.{action}",
            target=locked,
            payload={"reason": reason, **{k: str(v) for k, v in fields.items()}},
            request=request,
        )
        event_record(EventName.LICENCE_STATUS_CHANGED, locked)
        _tell_signatories(
            locked, "licence_status_changed", status=str(locked.get_status_display()), reason=reason
        )
        public_register_changed()
    return locked


def licence_withdraw(
    *, actor: User, licence: LicenceAgreement, reason: str, request: HttpRequest | None = None
) -> LicenceAgreement:
    return _change_state(
        actor=actor,
        licence=licence,
        action="withdraw",
        reason=reason,
        request=request,
        ended_at=timezone.now(),
    )


def licence_suspend(
    *,
    actor: User,
    licence: LicenceAgreement,
    reason: str,
    until: date | None = None,
    request: HttpRequest | None = None,
) -> LicenceAgreement:
    """Suspend until a date, or (``until=None``) until the failure is remedied."""
    if until is not None and until <= timezone.localdate():
        raise ValidationError(_("A suspension ends on a future date."), code="until_past")
    return _change_state(
        actor=actor,
        licence=licence,
        action="suspend",
        reason=reason,
        request=request,
        suspended_until=until,
        suspended_at=timezone.now(),
    )


def licence_reinstate(
    *,
    actor: User,
    licence: LicenceAgreement,
    reason: str,
    request: HttpRequest | None = None,
) -> LicenceAgreement:
    return _change_state(
        actor=actor,
        licence=licence,
        action="reinstate",
        reason=reason,
        request=request,
        suspended_until=None,
        suspended_at=None,
    )


def licence_forfeit(
    *,
    actor: User,
    licence: LicenceAgreement,
    reason: str,
    request: HttpRequest | None = None,
) -> LicenceAgreement:
    return _change_state(
        actor=actor,
        licence=licence,
        action="forfeit",
        reason=reason,
        request=request,
        ended_at=timezone.now(),
    )


def licence_terminate(
    *,
    actor: User,
    licence: LicenceAgreement,
    reason: str,
    request: HttpRequest | None = None,
) -> LicenceAgreement:
    return _change_state(
        actor=actor,
        licence=licence,
        action="terminate",
        reason=reason,
        request=request,
        ended_at=timezone.now(),
    )


def _require_term_over(licence: LicenceAgreement) -> None:
    if licence.ends_on is not None and licence.ends_on >= timezone.localdate():
        raise ValidationError(
            _("The licence runs until %(date)s; terminate it to end it earlier.")
            % {"date": licence.ends_on.isoformat()},
            code="not_due",
        )


def licence_expire(
    *, actor: User, licence: LicenceAgreement, request: HttpRequest | None = None
) -> LicenceAgreement:
    """A licence expires once its term is over (terminate it to end it early)."""
    _require_term_over(licence)
    return _change_state(
        actor=actor,
        licence=licence,
        action="expire",
        reason="",
        request=request,
        ended_at=timezone.now(),
    )


def licence_expire_by_portal(*, licence: LicenceAgreement) -> LicenceAgreement:
    """The portal expires a licence whose term is over (the daily job); its audit event has
    no actor."""
    _require_term_over(licence)
    return _apply_change(
        actor=None,
        licence=licence,
        action="expire",
        reason="",
        request=None,
        ended_at=timezone.now(),
    )


def licence_renew(
    *, actor: User, licence: LicenceAgreement, request: HttpRequest | None = None
) -> LicenceAgreement:
    """Prepare the next agreement as a draft linked to this one (issued when staff are ready)."""
    if licence.status not in (LicenceStatus.ACTIVE, LicenceStatus.SUSPENDED, LicenceStatus.EXPIRED):
        raise ValidationError(_("Only a licence in force or just expired can be renewed."))
    with transaction.atomic():
        _lock(licence)  # one renewal at a time
        if LicenceAgreement.objects.filter(previous=licence).exists():
            raise ValidationError(_("This licence has already been renewed."))
        return licence_create(
            actor=actor,
            member=licence.member,
            term_years=licence.term_years,
            previous=licence,
            request=request,
        )


def licences_expire_due(*, batch_size: int = 200) -> int:
    """Expire every licence whose term is over (the daily job). Returns how many.

    The ids are read once by an indexed query and worked on a batch at a time, each batch
    in one transaction, as :func:`licence_expire_by_portal` would one by one."""
    due = LicenceAgreement.objects.filter(
        status__in=[LicenceStatus.ACTIVE, LicenceStatus.SUSPENDED],
        ends_on__lt=timezone.localdate(),
    )
    ids = list(due.order_by("pk").values_list("pk", flat=True))
    expired = 0
    for start in range(0, len(ids), batch_size):
        expired += len(_expire_batch(due, ids[start : start + batch_size]))
    return expired


def _expire_batch(due: "QuerySet[LicenceAgreement]", ids: list[int]) -> list[LicenceAgreement]:
    """The licences of ``ids`` still due, expired: the same rows, audit events, domain events
    and e-mails as :func:`licence_expire_by_portal`, each kind inserted in one go."""
    with transaction.atomic():
        licences = list(for_update(due.filter(pk__in=ids).select_related("member").order_by("pk")))
        if not licences:
            return []
        now = timezone.now()
        for licence in licences:
            licence.status = move(licence, LICENCE_TRANSITIONS, "expire")
            licence.status_reason = ""
            licence.ended_at = now
        # Each row's own status, as its transition set it; the other columns are the same.
        statuses_save(licences)
        LicenceAgreement.objects.filter(pk__in=[licence.pk for licence in licences]).update(
            status_reason="", ended_at=now
        )
        audit_record_many(
            actor=None,
            action="licence.expire",
            entries=[(licence, {"reason": "", "ended_at": str(now)}) for licence in licences],
        )
        event_record_many(EventName.LICENCE_STATUS_CHANGED, licences)
        signatories = people_of_members(
            [licence.member_id for licence in licences], [Role.SIGNATORY]
        )
        email_people_many(
            (
                (
                    signatories.get(licence.member_id, []),
                    {
                        "company": licence.member.legal_name,
                        "number": licence.number or "",
                        "url": _licence_url(licence),
                        "status": str(LicenceStatus(licence.status).label),
                        "reason": "",
                    },
                    licence,
                    licence.member_id,
                )
                for licence in licences
            ),
            template="licence_status_changed",
        )
        public_register_changed()
    return licences


def licences_render_missing_pdfs(*, older_than_minutes: int = 5) -> int:
    """Render signed agreements whose PDF never came (a lost task): the sweeper job."""
    cutoff = timezone.now() - timedelta(minutes=older_than_minutes)
    missing = LicenceAgreement.objects.filter(
        signed_pdf__isnull=True, signature__signed_at__lt=cutoff
    ).values_list("pk", flat=True)
    for pk in missing:
        licence_render_signed_pdf(licence_id=pk)
    return len(missing)


def guidelines_publish(
    *, actor: User, version: GuidelinesVersion, request: HttpRequest | None = None
) -> GuidelinesVersion:
    """Publish an edition: from now on it cannot change, licences may incorporate it and
    reviews opened attest to it. It needs its mapping from the previous edition complete;
    members with a licence in force are told, to acknowledge it."""
    _require_manager(actor)
    with transaction.atomic():
        locked = lock(GuidelinesVersion, version.pk)
        if locked.is_published:
            raise ValidationError(_("This edition is already published."))
        if not Criterion.objects.filter(section__version=locked).exists():
            raise ValidationError(_("An edition needs at least one criterion."))
        problems = edition_mapping_problems(locked)
        if problems:
            raise ValidationError(
                [_("The mapping from the previous edition is incomplete."), *problems],
                code="mapping",
            )
        locked.published_at = timezone.now()
        locked.save(update_fields=["published_at"])
        audit_record(actor=actor, action="guidelines.published", target=locked, request=request)
        editions.members_tell_of_edition(locked)
    return locked


def _lock_editions_being_written(*version_ids: int) -> None:
    """Lock the editions a change touches (in id order); a published one refuses it."""
    for version_id in sorted(set(version_ids)):
        if lock(GuidelinesVersion, version_id).is_published:
            raise ValidationError(
                _("This edition is published and cannot change."), code="published"
            )


def guidelines_section_save(
    *, actor: User, section: GuidelinesSection, request: HttpRequest | None = None
) -> GuidelinesSection:
    """Add or change a section of an edition still being written."""
    _require_manager(actor)
    with transaction.atomic():
        editions = [section.version_id]
        if section.pk is not None:  # and the edition it was in, should it be moved
            editions.append(
                GuidelinesSection.objects.values_list("version_id", flat=True).get(pk=section.pk)
            )
        _lock_editions_being_written(*editions)
        created = section.pk is None
        section.full_clean()
        section.save()
        audit_record(
            actor=actor,
            action="guidelines.section_created" if created else "guidelines.section_changed",
            target=section,
            payload={
                "edition": section.version_id,
                "number": section.number,
                "title_en": section.title_en,
                "title_ru": section.title_ru,
            },
            request=request,
        )
    return section


def _criterion_payload(criterion: Criterion) -> dict[str, Any]:
    return {
        "section": criterion.section_id,
        "code": criterion.code,
        "title_en": criterion.title_en,
        "evidence_expires": criterion.evidence_expires,
        "evidence_validity_months": criterion.evidence_validity_months,
        "sha256": sha256_text(
            "\n".join(
                [
                    criterion.title_en,
                    criterion.title_ru,
                    criterion.description_en,
                    criterion.description_ru,
                    criterion.evidence_en,
                    criterion.evidence_ru,
                ]
            )
        ),
    }


def criterion_save(
    *, actor: User, criterion: Criterion, request: HttpRequest | None = None
) -> Criterion:
    """Add or change a criterion of an edition still being written."""
    _require_manager(actor)
    with transaction.atomic():
        editions = [
            GuidelinesSection.objects.values_list("version_id", flat=True).get(
                pk=criterion.section_id
            )
        ]
        if criterion.pk is not None:  # and the edition it was in, should it be moved
            editions.append(
                Criterion.objects.values_list("section__version_id", flat=True).get(pk=criterion.pk)
            )
        _lock_editions_being_written(*editions)
        created = criterion.pk is None
        criterion.full_clean()
        criterion.save()
        audit_record(
            actor=actor,
            action="guidelines.criterion_created" if created else "guidelines.criterion_changed",
            target=criterion,
            payload=_criterion_payload(criterion),
            request=request,
        )
    return criterion


def criterion_delete(
    *, actor: User, criterion: Criterion, request: HttpRequest | None = None
) -> None:
    """Remove a criterion from an edition still being written."""
    _require_manager(actor)
    with transaction.atomic():
        section = GuidelinesSection.objects.get(pk=criterion.section_id)
        _lock_editions_being_written(section.version_id)
        payload = {"criterion": criterion.pk, **_criterion_payload(criterion)}
        criterion.delete()
        audit_record(
            actor=actor,
            action="guidelines.criterion_deleted",
            target=section,
            payload=payload,
            request=request,
        )


def agreement_template_save(
    *, actor: User, template: AgreementTemplate, request: HttpRequest | None = None
) -> AgreementTemplate:
    """Save terms that no licence uses yet; terms in use are a record and never change."""
    _require_manager(actor)
    check_template_text(template.body)
    with transaction.atomic():
        if template.pk is None:
            template.save()
            action = "agreement_template.created"
        else:
            changed = AgreementTemplate.objects.filter(
                pk=template.pk, first_used_at__isnull=True
            ).update(version=template.version, title=template.title, body=template.body)
            if not changed:
                raise ValidationError(_("These terms are in use and cannot change."))
            action = "agreement_template.changed"
        audit_record(
            actor=actor,
            action=action,
            target=template,
            payload={"version": template.version, "sha256": sha256_text(template.body)},
            request=request,
        )
    return template


def logo_kit_download(
    *,
    actor: User,
    licence: LicenceAgreement,
    rules_accepted: bool,
    request: HttpRequest | None = None,
) -> bytes:
    """The logo kit for the user of a licensee in good standing (active and within its term,
    even before the daily job has expired it), once they accepted the rules of use: the
    acceptance (rules' hash, time, IP, browser) is recorded with its audit event."""
    if not LicenceAgreement.objects.filter(in_good_standing(), pk=licence.pk).exists():
        raise PermissionDenied(_("The logo kit is for active licensees only."))
    if not rules_accepted:
        raise ValidationError(
            _("Accept the rules of use of the logo to download the kit."), code="rules"
        )
    if request is None or request.method != "HEAD":  # a HEAD request downloads nothing
        with transaction.atomic():
            acceptance = LogoKitAcceptance.objects.create(
                licence=licence,
                user=actor,
                rules_sha256=rules_sha256(),
                ip=client_ip(request),
                user_agent=(request.headers.get("User-Agent", "") if request else "")[:500],
            )
            audit_record(
                actor=actor,
                action="licence.logo_kit_downloaded",
                target=licence,
                payload={"rules_sha256": acceptance.rules_sha256, "acceptance": acceptance.pk},
                request=request,
            )
    return logo_kit_zip(licence.number or "")
