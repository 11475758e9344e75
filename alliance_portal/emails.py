"""E-mail in the recipient's language, HTML with a plain-text part, sent through the outbox.

A message is three templates: ``templates/emails/<name>_subject.txt``, ``<name>.txt`` and
``<name>.html``. It is rendered when queued, inside the caller's transaction, and kept in
the outbox row with its delivery record (``alliance_portal.outbox``).
"""

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.db import models
from django.template.loader import render_to_string
from django.utils import translation

from .models import Notification, OutboxMessage
from .outbox import about_fields, email_build, email_record, emails_record


def absolute_url(path: str) -> str:
    base_url: str = settings.ALLIANCE_BASE_URL
    return base_url.rstrip("/") + path


def email_render(template: str, context: dict[str, Any], language: str) -> tuple[str, str, str]:
    """Subject (one line, with the portal's prefix), text and HTML."""
    context = {**context, "portal_url": settings.ALLIANCE_BASE_URL}
    with translation.override(language):
        subject = render_to_string(f"emails/{template}_subject.txt", context)
        text = render_to_string(f"emails/{template}.txt", context)
        html = render_to_string(f"emails/{template}.html", context)
    one_line = settings.ACCOUNT_EMAIL_SUBJECT_PREFIX + " ".join(subject.split())
    return one_line, text, html


def email_queue(
    *,
    to: str,
    template: str,
    context: dict[str, Any],
    language: str,
    about: models.Model | None = None,
    member_id: int | None = None,
    on_delivery: str = "",
    sensitive: bool = False,
) -> OutboxMessage:
    """Record an e-mail in the caller's transaction: sent once that commits, never if it
    rolls back. ``about`` and ``member_id`` put it in the delivery history of that record
    and member; ``on_delivery`` names a task run once the mail server accepted it."""
    message = email_compose(
        to=to,
        template=template,
        context=context,
        language=language,
        about=about,
        member_id=member_id,
        on_delivery=on_delivery,
        sensitive=sensitive,
    )
    return emails_record([message])[0]


def email_compose(
    *,
    to: str,
    template: str,
    context: dict[str, Any],
    language: str,
    about: models.Model | None = None,
    member_id: int | None = None,
    on_delivery: str = "",
    sensitive: bool = False,
) -> OutboxMessage:
    """The row :func:`email_queue` records, rendered but unsaved: a job records a batch of
    them with ``outbox.emails_record``."""
    language = language or settings.LANGUAGE_CODE
    subject, text, html = email_render(template, context, language)
    return email_build(
        recipient=to,
        template=template,
        language=language,
        subject=subject[:300],
        body_text=text,
        body_html=html,
        member_ref=member_id,
        on_delivery=on_delivery,
        sensitive=sensitive,
        **about_fields(about),
    )


def email_user(
    user: Any,
    *,
    template: str,
    context: dict[str, Any],
    about: models.Model | None = None,
    member_id: int | None = None,
    on_delivery: str = "",
) -> OutboxMessage | None:
    """An e-mail to a portal user, in their language, and its entry in their notification
    list, in the caller's transaction. None when the message waits for the user's daily
    digest (never a legal notice, nor one whose delivery something waits for)."""
    sent = email_people(
        [user],
        template=template,
        context=context,
        about=about,
        member_id=member_id,
        on_delivery=on_delivery,
    )
    return sent[0] if sent else None


def email_people(
    people: Iterable[Any],
    *,
    template: str,
    context: dict[str, Any],
    about: models.Model | None = None,
    member_id: int | None = None,
    on_delivery: str = "",
) -> list[OutboxMessage]:
    """The same message to each person (users: ``email`` and ``language``), each in their
    own language; those on the daily digest get it with their digest unless it is legal."""
    return email_people_many(
        [(people, context, about, member_id)], template=template, on_delivery=on_delivery
    )


def email_people_many(
    messages: Iterable[tuple[Iterable[Any], dict[str, Any], models.Model | None, int | None]],
    *,
    template: str,
    on_delivery: str = "",
) -> list[OutboxMessage]:
    """:func:`email_people` for many messages of one template — each ``(people, context,
    about, member_id)`` — with their notifications and outbox rows inserted in one statement
    each, in the caller's transaction: a periodic job's batch."""
    from .notifications import notification_build

    notifications = []
    emails = []
    for people, context, about, member_id in messages:
        about_of = about_fields(about)
        rendered: dict[str, tuple[str, str, str]] = {}  # one message reads alike per language
        for user in people:
            language = user.language or settings.LANGUAGE_CODE
            if language not in rendered:
                rendered[language] = email_render(template, context, language)
            subject, text, html = rendered[language]
            notification = notification_build(
                user=user,
                template=template,
                subject=subject.removeprefix(settings.ACCOUNT_EMAIL_SUBJECT_PREFIX),
                link=str(context.get("url", "")),
                may_wait=not on_delivery,
            )
            notifications.append(notification)
            if notification.digest_pending:
                continue
            emails.append(
                email_build(
                    recipient=user.email,
                    template=template,
                    language=language,
                    subject=subject[:300],
                    body_text=text,
                    body_html=html,
                    member_ref=member_id,
                    on_delivery=on_delivery,
                    **about_of,
                )
            )
    Notification.objects.bulk_create(notifications)
    return emails_record(emails)


def email_queue_message(
    message: EmailMessage, *, template: str = "", sensitive: bool = True
) -> list[OutboxMessage]:
    """Record a message built elsewhere (allauth's account e-mails, which carry confirmation
    and reset links: sensitive), one row per recipient."""
    html = ""
    if isinstance(message, EmailMultiAlternatives):
        html = next((str(body) for body, kind in message.alternatives if kind == "text/html"), "")
    text = str(message.body)
    if message.content_subtype == "html":
        html, text = text, ""
    return [
        email_record(
            recipient=recipient,
            template=template,
            language=translation.get_language() or settings.LANGUAGE_CODE,
            subject=" ".join(str(message.subject).split())[:300],
            body_text=text,
            body_html=html,
            sensitive=sensitive,
        )
        for recipient in message.to
    ]
