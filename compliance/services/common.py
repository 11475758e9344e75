from datetime import date
from typing import Any

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils import timezone

from alliance_portal.emails import absolute_url, email_people, email_people_many
from alliance_portal.locks import lock as lock  # compliance services import it from here
from alliance_portal.models import OutboxMessage
from members.models import Member, Role
from members.selectors import people_of, people_of_members, staff_recipients


def tell_member(
    member: Member,
    template: str,
    path: str,
    *,
    about: models.Model | None = None,
    on_delivery: str = "",
    **context: Any,
) -> list[OutboxMessage]:
    """E-mail the member's signatories and compliance officers, each in their language."""
    return email_people(
        people_of(member, [Role.SIGNATORY, Role.COMPLIANCE_OFFICER]),
        template=template,
        context={"company": member.legal_name, "url": absolute_url(path), **context},
        about=about or member,
        member_id=member.pk,
        on_delivery=on_delivery,
    )


def tell_members(
    template: str, messages: list[tuple[Member, str, models.Model | None, dict[str, Any]]]
) -> list[OutboxMessage]:
    """:func:`tell_member` for many members at once — each ``(member, path, about,
    context)`` — their people read in one query and the rows inserted together: a job's
    batch."""
    roles = [Role.SIGNATORY, Role.COMPLIANCE_OFFICER]
    people = people_of_members([member.pk for member, *_ in messages], roles)
    return email_people_many(
        (
            (
                people.get(member.pk, []),
                {"company": member.legal_name, "url": absolute_url(path), **context},
                about or member,
                member.pk,
            )
            for member, path, about, context in messages
        ),
        template=template,
    )


def tell_staff_many(
    template: str,
    admin_url_name: str,
    messages: list[tuple[int, models.Model, int | None, dict[str, Any]]],
) -> None:
    """:func:`tell_staff` for many records at once — each ``(pk, about, member_id,
    context)`` — in one insert per kind of row."""
    staff = list(staff_recipients())
    email_people_many(
        (
            (
                staff,
                {"url": absolute_url(reverse(admin_url_name, args=[pk])), **context},
                about,
                member_id,
            )
            for pk, about, member_id, context in messages
        ),
        template=template,
    )


def tell_staff(
    template: str,
    admin_url_name: str,
    pk: int | None,
    *,
    about: models.Model | None = None,
    member_id: int | None = None,
    **context: Any,
) -> None:
    url = absolute_url(reverse(admin_url_name, args=[pk] if pk is not None else []))
    email_people(
        staff_recipients(),
        template=template,
        context={"url": url, **context},
        about=about,
        member_id=member_id,
    )


def required_text(value: str, message: str) -> str:
    """The stripped value, or a ValidationError with `message` (already translated)."""
    value = (value or "").strip()
    if not value:
        raise ValidationError(message, code="required")
    return value


def next_review_due(member: Member, after: date | None = None) -> date:
    """The next periodic review falls due by the member's risk rating (high 6, medium 12,
    low 24 months, by settings)."""
    months = settings.ALLIANCE_REVIEW_INTERVAL_MONTHS[member.risk_rating]
    return (after or timezone.localdate()) + relativedelta(months=months)
