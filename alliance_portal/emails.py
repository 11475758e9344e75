"""E-mail in the recipient's language, HTML with a plain-text part, sent by a Celery task.

A message is three templates: ``templates/emails/<name>_subject.txt``, ``<name>.txt`` and
``<name>.html``. Context values must be JSON-serialisable: the task receives them as JSON.
"""

from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import translation

from .jobs import enqueue_on_commit


def absolute_url(path: str) -> str:
    return settings.ALLIANCE_BASE_URL.rstrip("/") + path


def email_render(template: str, context: dict[str, Any], language: str) -> tuple[str, str, str]:
    context = {**context, "portal_url": settings.ALLIANCE_BASE_URL}
    with translation.override(language):
        subject = render_to_string(f"emails/{template}_subject.txt", context)
        text = render_to_string(f"emails/{template}.txt", context)
        html = render_to_string(f"emails/{template}.html", context)
    one_line = settings.ACCOUNT_EMAIL_SUBJECT_PREFIX + " ".join(subject.split())
    return one_line, text, html


def email_send_now(*, to: str, template: str, context: dict[str, Any], language: str) -> None:
    subject, text, html = email_render(template, context, language)
    message = EmailMultiAlternatives(subject, text, to=[to])
    message.attach_alternative(html, "text/html")
    message.send()


def email_queue(*, to: str, template: str, context: dict[str, Any], language: str) -> None:
    """Send after the current transaction commits (nothing is sent if it rolls back)."""
    from .tasks import email_send

    enqueue_on_commit(email_send, to=to, template=template, context=context, language=language)
