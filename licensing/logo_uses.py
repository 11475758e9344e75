"""Every write of logo-use approval: a member puts forward a planned use of the logo (artwork,
medium, markets, dates); staff approve or reject it with comments. The lifecycle is declared
in ``licensing.models.LOGO_USE_TRANSITIONS``.

(The licensing services live in ``licensing.services``; these sit beside them in a module of
their own to keep that one under the size the team keeps modules to.)
"""

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
from alliance_portal.emails import absolute_url, email_people
from alliance_portal.locks import for_update, lock
from alliance_portal.states import move
from members.models import Member, Role, User
from members.selectors import people_of, staff_recipients

from .models import LOGO_USE_TRANSITIONS, LogoUse, LogoUseMedium
from .permissions import can_review_logo_uses, can_submit_logo_use
from .selectors import licence_in_good_standing_of

# A planned use may be put forward for at most this long ahead and this long a run.
LONGEST_USE_DAYS = 3 * 366


def _problems(
    *, medium: str, markets: str, starts_on: date, ends_on: date, description: str
) -> list[str]:
    problems = []
    if medium not in LogoUseMedium.values:
        problems.append(_("Choose the medium."))
    if not markets.strip():
        problems.append(_("Say in which markets or countries the logo will appear."))
    if len(markets) > 300:
        problems.append(_("Name the markets in at most 300 characters."))
    if not description.strip():
        problems.append(_("Describe the planned use."))
    if len(description) > text_limits.TEXT:
        problems.append(_("The description is too long."))
    if ends_on < starts_on:
        problems.append(_("The use ends before it starts."))
    elif (ends_on - starts_on).days > LONGEST_USE_DAYS:
        problems.append(
            _("A planned use runs for at most three years; put forward a new one later.")
        )
    if ends_on < timezone.localdate():
        problems.append(_("The use has already ended."))
    return problems


def logo_use_submit(
    *,
    actor: User,
    member: Member,
    artwork: "UploadedFile[bytes]",
    medium: str,
    markets: str,
    starts_on: date,
    ends_on: date,
    description: str,
    request: HttpRequest | None = None,
) -> LogoUse | None:
    """Put a planned use forward for approval, with its artwork through the secure upload
    path. Refused unless the actor is the member's signatory or compliance officer and the
    member holds a licence in good standing. An infected artwork is quarantined and nothing
    is submitted: returns None. Staff are told through the outbox."""
    problems = _problems(
        medium=medium,
        markets=markets,
        starts_on=starts_on,
        ends_on=ends_on,
        description=description,
    )
    if problems:
        raise ValidationError(problems, code="invalid")
    if not can_submit_logo_use(actor, member):
        raise PermissionDenied(
            _("Only the signatory or the compliance officer may submit a use of the logo.")
        )
    with discard_file_on_rollback() as keep, transaction.atomic():
        # The member row first, as the licence services lock it: the licence read below
        # cannot end while the use is recorded against it.
        lock(Member, member.pk)
        licence = licence_in_good_standing_of(member.pk)
        if licence is None:
            raise PermissionDenied(_("Only a member with an active licence may use the logo."))
        document = document_store(actor=actor, uploaded_file=artwork, request=request)
        keep(document)
        if document.quarantined:
            return None
        use = LogoUse(
            member=member,
            licence=licence,
            submitted_by=actor,
            artwork=document,
            medium=medium,
            markets=markets.strip(),
            starts_on=starts_on,
            ends_on=ends_on,
            description=description.strip(),
        )
        use.full_clean()
        use.save()
        audit_record(
            actor=actor,
            action="logo_use.submitted",
            target=use,
            payload={
                "member": member.pk,
                "licence": licence.number,
                "document": str(document.pk),
                "medium": medium,
                "starts_on": starts_on.isoformat(),
                "ends_on": ends_on.isoformat(),
            },
            request=request,
        )
        email_people(
            staff_recipients(),
            template="logo_use_submitted",
            context={
                "company": member.legal_name,
                "medium": use.get_medium_display(),
                "markets": use.markets,
                "url": absolute_url(reverse("admin:licensing_logouse_change", args=[use.pk])),
            },
            about=use,
            member_id=member.pk,
        )
    return use


def _decide(
    *,
    actor: User,
    use: LogoUse,
    action: str,
    comments: str,
    request: HttpRequest | None,
) -> LogoUse:
    if not can_review_logo_uses(actor):
        raise PermissionDenied(_("Only customer policy staff may approve uses of the logo."))
    comments = (comments or "").strip()
    if action == "reject" and not comments:
        raise ValidationError(_("Say why the use is rejected."), code="comments_required")
    if len(comments) > text_limits.TEXT:
        raise ValidationError(_("The comments are too long."), code="comments_long")
    with transaction.atomic():
        locked = for_update(LogoUse.objects.select_related("member")).get(pk=use.pk)
        locked.status = move(locked, LOGO_USE_TRANSITIONS, action)
        locked.decided_at = timezone.now()
        locked.decided_by = actor
        locked.comments = comments
        locked.save(update_fields=["status", "decided_at", "decided_by", "comments"])
        audit_record(
            actor=actor,
            action=f"logo_use.{locked.status}",
            target=locked,
            payload={"comments": comments},
            request=request,
        )
        _tell_member(locked)
    return locked


def _tell_member(use: LogoUse) -> None:
    people = people_of(use.member, [Role.SIGNATORY, Role.COMPLIANCE_OFFICER])
    context: dict[str, Any] = {
        "company": use.member.legal_name,
        "medium": use.get_medium_display(),
        "markets": use.markets,
        "approved": use.status == "approved",
        "comments": use.comments,
        "url": absolute_url(reverse("licensing:logo_use_detail", args=[use.member_id, use.pk])),
    }
    email_people(
        people, template="logo_use_decided", context=context, about=use, member_id=use.member_id
    )


def logo_use_approve(
    *, actor: User, use: LogoUse, comments: str = "", request: HttpRequest | None = None
) -> LogoUse:
    return _decide(actor=actor, use=use, action="approve", comments=comments, request=request)


def logo_use_reject(
    *, actor: User, use: LogoUse, comments: str, request: HttpRequest | None = None
) -> LogoUse:
    """Reject with the reason (required): the member reads it with the decision."""
    return _decide(actor=actor, use=use, action="reject", comments=comments, request=request)
