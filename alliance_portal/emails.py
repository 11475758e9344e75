"""E-mail in the recipient's language, HTML with a plain-text part, sent through the outbox.

A message is three templates: ``templates/emails/<name>_subject.txt``, ``<name>.txt`` and
``<name>.html``. It is rendered when queued, inside the caller's transaction, and kept in
the outbox row with its delivery record (``alliance_portal.outbox``).
"""

import re
from collections.abc import Callable, Hashable, Iterable
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.db import models
from django.template import Engine
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.html import escape

from .models import Notification, OutboxMessage
from .outbox import about_fields, email_build, email_record, emails_record


def absolute_url(path: str) -> str:
    base_url: str = settings.ALLIANCE_BASE_URL
    return base_url.rstrip("/") + path


def email_render(template: str, context: dict[str, Any], language: str) -> tuple[str, str, str]:
    """Subject (one line, with the portal's prefix), text and HTML."""
    return _one_line(_render_parts(template, context, language))


def _render_parts(template: str, context: dict[str, Any], language: str) -> tuple[str, ...]:
    context = {**context, "portal_url": settings.ALLIANCE_BASE_URL}
    with translation.override(language):
        return tuple(
            render_to_string(f"emails/{template}{part}", context)
            for part in ("_subject.txt", ".txt", ".html")
        )


def _one_line(parts: tuple[str, ...]) -> tuple[str, str, str]:
    subject, text, html = parts
    return settings.ACCOUNT_EMAIL_SUBJECT_PREFIX + " ".join(subject.split()), text, html


# A stencil's placeholder: characters no template writes, a letter of each case (a filter
# that changes case changes it) and one that HTML escaping changes (to tell which places
# escape the value).
_MARK = "\ue000"
_END = "\ue001"


def _placeholder(index: int) -> str:
    return f"{_MARK}Kk{index}<{_END}"


Piece = str | tuple[str, bool]  # literal text, or (context key, escaped)


def _cut(rendered: str, keys: list[str]) -> list[Piece] | None:
    """The rendered text as literal pieces and the places of each placeholder; None when a
    placeholder came out other than whole, verbatim or escaped (a filter changed it)."""
    found: dict[str, tuple[str, bool]] = {}
    for index, key in enumerate(keys):
        found[_placeholder(index)] = (key, False)
        found[escape(_placeholder(index))] = (key, True)
    pieces: list[Piece] = []
    rest = rendered
    while (start := rest.find(_MARK)) >= 0:
        end = rest.find(_END, start)
        if end < 0 or rest[start : end + 1] not in found:
            return None
        pieces += [rest[:start], found[rest[start : end + 1]]]
        rest = rest[end + 1 :]
    return [*pieces, rest]


def _fill(pieces: list[Piece], context: dict[str, Any]) -> str:
    return "".join(
        piece
        if isinstance(piece, str)
        else escape(context[piece[0]])
        if piece[1]
        else context[piece[0]]
        for piece in pieces
    )


def email_renderer(template: str) -> Callable[[dict[str, Any], str], tuple[str, str, str]]:
    """:func:`email_render` for a batch of messages of one template: each language (and
    set of other values) is rendered once, with placeholders for the text values the
    templates only print, and each message's text put in their places — escaped where the
    template escapes it. A value a template tests, filters or passes on is rendered with
    the message, as :func:`email_render` would; so is every message when a placeholder
    came out other than whole, or the first message rendered in full does not read
    exactly as its stencil filled."""
    printed = _printed_only(template)
    stencils: dict[Hashable, list[list[Piece]] | None] = {}

    def render(context: dict[str, Any], language: str) -> tuple[str, str, str]:
        texts = sorted(k for k, v in context.items() if k in printed and type(v) is str and v)
        others = tuple(sorted((k, v) for k, v in context.items() if k not in texts))
        key: Hashable = (language, tuple(texts), others)
        try:
            hash(key)
        except TypeError:  # a list or a dict: rendered as it is
            return email_render(template, context, language)
        if key not in stencils:
            stencils[key] = _stencil(template, context, language, texts)
        pieces = stencils[key]
        if pieces is None:
            return email_render(template, context, language)
        return _one_line(tuple(_fill(part, context) for part in pieces))

    return render


_TAG = re.compile(r"{%.*?%}|{{.*?}}", re.S)
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_PRINT = re.compile(r"{{\s*([A-Za-z_][A-Za-z0-9_]*)\s*}}")
_LOADS = re.compile(r"""{%\s*(?:extends|include)\s+["']([^"']+)["']""")


def _printed_only(template: str) -> set[str]:
    """The names the template's three parts (and what they extend or include) use only
    as ``{{ name }}``: never in a tag, a filter or a lookup."""
    names = [f"emails/{template}{part}" for part in ("_subject.txt", ".txt", ".html")]
    printed: set[str] = set()
    other: set[str] = set()
    seen: set[str] = set()
    while names:
        name = names.pop()
        if name in seen:
            continue
        seen.add(name)
        source = Engine.get_default().get_template(name).source
        names += _LOADS.findall(source)
        for tag in _TAG.findall(source):
            if match := _PRINT.fullmatch(tag):
                printed.add(match.group(1))
            else:
                other.update(_NAME.findall(tag))
    return printed - other


def _stencil(
    template: str, context: dict[str, Any], language: str, texts: list[str]
) -> list[list[Piece]] | None:
    if not texts:  # nothing to put in: the message itself, for those alike
        return [[part] for part in _render_parts(template, context, language)]
    marked = {**context, **{key: _placeholder(i) for i, key in enumerate(texts)}}
    cut = [_cut(part, texts) for part in _render_parts(template, marked, language)]
    pieces = [part for part in cut if part is not None]
    if len(pieces) != len(cut):
        return None
    whole = _render_parts(template, context, language)
    if tuple(_fill(part, context) for part in pieces) != whole:
        return None
    return pieces


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
    render = email_renderer(template)
    for people, context, about, member_id in messages:
        about_of = about_fields(about)
        rendered: dict[str, tuple[str, str, str]] = {}  # one message reads alike per language
        for user in people:
            language = user.language or settings.LANGUAGE_CODE
            if language not in rendered:
                rendered[language] = render(context, language)
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
