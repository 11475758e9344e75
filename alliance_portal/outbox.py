"""The transactional outbox: every e-mail, queued task and webhook call is a row written in
the transaction of the change that caused it, and a relay delivers it.

Services call ``email_queue`` / ``email_people`` / ``task_queue``; nothing else talks to SMTP
or the broker on behalf of a request. Webhook calls are recorded by the app that owns the
subscriptions (``webhook_record``) and sent by the sender it registers (``outbox_sender``):
this app knows how to retry a call, not whom to call or with which secret.

The relay (``relay_pending``) runs in its own process (``manage.py outbox_relay``) in
production, or inline after the commit in the embedded default (``ALLIANCE_OUTBOX_INLINE``).
Several relays may run at once: each claims a batch with ``SELECT … FOR UPDATE SKIP LOCKED``
and leases it (pushes ``next_attempt_at`` forward) before it delivers, so no row lock is held
while SMTP, the broker or a webhook receiver answer, and a relay that dies mid-batch only
delays its rows until the lease ends.
"""

import contextlib
import logging
import smtplib
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from celery import Task
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import models, transaction
from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from kombu.exceptions import OperationalError as BrokerError

from .audit import audit_record
from .models import OutboxMessage

logger = logging.getLogger(__name__)

Kind = OutboxMessage.Kind
Status = OutboxMessage.Status


# --- queueing -------------------------------------------------------------------------------


def about_fields(about: models.Model | None) -> dict[str, Any]:
    if about is None:
        return {}
    return {
        "target_type": about._meta.label_lower,
        "target_id": str(about.pk),
        "target_label": str(about)[:255],
    }


def _after_commit() -> None:
    if settings.ALLIANCE_OUTBOX_INLINE:
        transaction.on_commit(_relay_inline, robust=True)


def _give_up_at() -> Any:
    return timezone.now() + timedelta(hours=settings.ALLIANCE_OUTBOX_HORIZON_HOURS)


def _message_id() -> str:
    """A Message-ID of our own, kept on the row: every retry sends the same one, so a
    receiving server (and a test) can tell a repeat from a second message."""
    domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2].strip(" >") or "alliance.invalid"
    return f"<{uuid.uuid4().hex}@{domain}>"


def email_record(**fields: Any) -> OutboxMessage:
    """Record one e-mail (see ``alliance_portal.emails``, which renders it)."""
    message = email_build(**fields)
    message.save(force_insert=True)
    _after_commit()
    return message


def email_build(**fields: Any) -> OutboxMessage:
    """One e-mail's row, unsaved: :func:`emails_record` inserts a batch of them."""
    return OutboxMessage(
        kind=Kind.EMAIL, message_id=_message_id(), give_up_at=_give_up_at(), **fields
    )


def emails_record(messages: list[OutboxMessage]) -> list[OutboxMessage]:
    """Record many e-mails built by :func:`email_build` in one insert, in the caller's
    transaction (a periodic job's batch)."""
    if not messages:
        return []
    created = OutboxMessage.objects.bulk_create(messages)
    _after_commit()
    return created


def task_queue(
    task: Task[..., Any] | str,
    *,
    args: Sequence[Any] = (),
    kwargs: dict[str, Any] | None = None,
    about: models.Model | None = None,
) -> OutboxMessage:
    """Record a Celery task in the caller's transaction; the relay hands it to the broker
    once that commits. Arguments must be JSON (ids, not objects)."""
    message = OutboxMessage.objects.create(
        kind=Kind.TASK,
        task_name=task if isinstance(task, str) else task.name,
        task_args=list(args),
        task_kwargs=kwargs or {},
        give_up_at=_give_up_at(),
        **about_fields(about),
    )
    _after_commit()
    return message


def webhook_record(
    *, url: str, body: str, event: str, about: models.Model | None = None
) -> OutboxMessage:
    """Record one webhook call in the caller's transaction. ``body`` is the JSON text sent,
    unchanged, on every attempt, with one webhook-id (``message_id``)."""
    message = OutboxMessage.objects.create(
        kind=Kind.WEBHOOK,
        url=url,
        body_text=body,
        subject=event[:300],
        message_id=f"msg_{uuid.uuid4().hex}",
        give_up_at=_give_up_at(),
        **about_fields(about),
    )
    _after_commit()
    return message


# --- delivery -------------------------------------------------------------------------------


class _Undelivered(Exception):
    def __init__(self, text: str, *, status: int | None = None) -> None:
        super().__init__(text)
        self.status = status  # the receiver's answer, when it answered


class _Deferred(_Undelivered):
    """Not delivered this time; try again later."""


class _Refused(_Undelivered):
    """Can never be delivered (the mail server refused it for good, an unknown task)."""


# What a registered sender raises (the receiver answered ``status``, if it answered).
OutboxDeferred = _Deferred
OutboxRefused = _Refused

Sender = Callable[[OutboxMessage], int | None]
_senders: dict[str, Sender] = {}


def outbox_sender(kind: str, sender: Sender) -> None:
    """A higher app delivers the messages of ``kind`` it records (webhook calls): ``sender``
    returns the receiver's status on success, raises ``OutboxDeferred`` to try again later
    or ``OutboxRefused`` when it never can succeed. It is called with no transaction open
    and no row locked."""
    _senders[kind] = sender


@dataclass
class RelayReport:
    delivered: int = 0
    retried: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def handled(self) -> int:
        return self.delivered + self.retried + self.failed


def backoff(attempts: int) -> timedelta:
    """Wait before attempt ``attempts + 1``: doubling from the first delay up to the cap."""
    first = settings.ALLIANCE_OUTBOX_RETRY_SECONDS
    seconds = min(first * 2 ** max(attempts - 1, 0), settings.ALLIANCE_OUTBOX_RETRY_MAX_SECONDS)
    return timedelta(seconds=seconds)


def _claim(limit: int) -> list[OutboxMessage]:
    """Take up to ``limit`` due rows that no other relay holds, and lease them."""
    now = timezone.now()
    with transaction.atomic():
        batch = list(
            OutboxMessage.objects.select_for_update(skip_locked=True)
            .filter(status=Status.PENDING, next_attempt_at__lte=now)
            .order_by("next_attempt_at", "id")[:limit]
        )
        if batch:
            lease = now + timedelta(seconds=settings.ALLIANCE_OUTBOX_LEASE_SECONDS)
            OutboxMessage.objects.filter(pk__in=[m.pk for m in batch]).update(
                next_attempt_at=lease, attempts=F("attempts") + 1
            )
    for message in batch:
        message.attempts += 1
    return batch


def _smtp_error(error: Exception) -> Exception:
    """Permanent only when the server refused *this message* for good: every recipient
    refused with 5xx, or the content refused with 5xx. Everything else — the connection, the
    login, the sender address, a 4xx — is about the server and worth another try."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _text in error.recipients.values()]
        if codes and all(code >= 500 for code in codes):
            return _Refused(f"refused by the mail server: {error.recipients}")
    if isinstance(error, smtplib.SMTPDataError) and error.smtp_code >= 500:
        return _Refused(f"refused by the mail server: {error.smtp_code} {error.smtp_error!r}")
    return _Deferred(f"{type(error).__name__}: {error}")


class _Delivery:
    """One relay pass: an SMTP connection opened on first use and one broker check."""

    def __init__(self) -> None:
        self.connection: Any = None
        self.mail_down: str = ""
        self.broker_down: str = ""

    def email(self, message: OutboxMessage) -> None:
        if self.mail_down:
            raise _Deferred(self.mail_down)
        try:
            if self.connection is None:
                self.connection = get_connection(fail_silently=False)
                self.connection.open()
            email = EmailMultiAlternatives(
                message.subject,
                message.body_text,
                to=[message.recipient],
                headers={"Message-ID": message.message_id} if message.message_id else None,
                connection=self.connection,
            )
            if message.body_html:
                email.attach_alternative(message.body_html, "text/html")
            email.send()
        except (smtplib.SMTPException, OSError) as error:
            problem = _smtp_error(error)
            if isinstance(problem, _Deferred):
                # The server is unreachable or said "later": the rest of this pass waits too.
                self.mail_down = str(problem)
                self.close()
            raise problem from error

    def task(self, message: OutboxMessage) -> None:
        if self.broker_down:
            raise _Deferred(self.broker_down)
        from .celery import app

        task = app.tasks.get(message.task_name)
        if task is None:
            # Outside a worker, apps' task modules are imported on first need.
            app.loader.import_default_modules()
            task = app.tasks.get(message.task_name)
        if task is None:
            raise _Refused(f"no task is registered as {message.task_name!r}")
        try:
            task.apply_async(args=message.task_args, kwargs=message.task_kwargs, retry=False)
        except BrokerError as error:
            self.broker_down = f"broker unavailable: {error}"
            raise _Deferred(self.broker_down) from error
        except Exception as error:  # an eager task (embedded default) that failed while running
            raise _Deferred(f"{type(error).__name__}: {error}") from error

    def close(self) -> None:
        if self.connection is not None:
            with contextlib.suppress(smtplib.SMTPException, OSError):
                self.connection.close()
            self.connection = None


SCRUBBED = "(removed: it contained a one-time link)"


def _scrubbed(message: OutboxMessage) -> dict[str, str]:
    """A secret link is kept no longer than it takes to deliver it."""
    if not message.sensitive:
        return {}
    return {"body_text": SCRUBBED, "body_html": ""}


def _mine(message: OutboxMessage) -> models.QuerySet[OutboxMessage]:
    """The row, if this relay's claim still holds: another relay that claimed it after our
    lease ran out has counted one more attempt, and then the row is no longer ours."""
    return OutboxMessage.objects.filter(
        pk=message.pk, status=Status.PENDING, attempts=message.attempts
    )


def _record(
    message: OutboxMessage,
    problem: Exception | None,
    report: RelayReport,
    answer: int | None = None,
) -> None:
    now = timezone.now()
    if isinstance(problem, _Undelivered):
        answer = problem.status
    answered: dict[str, Any] = (
        {"response_status": answer, "last_attempt_at": now} if message.kind == Kind.WEBHOOK else {}
    )
    with transaction.atomic():
        if problem is None:
            recorded = _mine(message).update(
                status=Status.DELIVERED,
                delivered_at=now,
                last_error="",
                **answered,
                **_scrubbed(message),
            )
            if not recorded:
                logger.warning("Outbox message %s was re-claimed while we sent it", message.pk)
                return
            if message.on_delivery:
                OutboxMessage.objects.create(
                    kind=Kind.TASK,
                    give_up_at=_give_up_at(),
                    task_name=message.on_delivery,
                    task_kwargs={"message_id": message.pk},
                    target_type=message.target_type,
                    target_id=message.target_id,
                    target_label=message.target_label,
                    member_ref=message.member_ref,
                )
            report.delivered += 1
            return
        error = str(problem)[:2000]
        if isinstance(problem, _Refused) or now + backoff(message.attempts) > message.give_up_at:
            _mine(message).update(
                status=Status.FAILED,
                failed_at=now,
                last_error=error,
                **answered,
                **_scrubbed(message),
            )
            logger.error("Outbox message %s failed for good: %s", message.pk, error)
            report.failed += 1
        else:
            _mine(message).update(
                next_attempt_at=now + backoff(message.attempts), last_error=error, **answered
            )
            report.retried += 1
        report.errors.append(error)


def _release(messages: list[OutboxMessage]) -> None:
    """Hand unsent rows of our claim back at once (not after the lease)."""
    for message in messages:
        _mine(message).update(next_attempt_at=timezone.now())


def relay_pending(
    *,
    batch_size: int = 100,
    max_batches: int = 50,
    should_stop: Callable[[], bool] = lambda: False,
) -> RelayReport:
    """Deliver what is due, a batch at a time, until nothing is due (or ``max_batches``, or
    ``should_stop()``). A batch is abandoned well before its lease ends, so no other relay
    claims a row this one may still send."""
    report = RelayReport()
    budget = settings.ALLIANCE_OUTBOX_LEASE_SECONDS / 2
    for _batch in range(max_batches):
        batch = _claim(batch_size)
        if not batch:
            break
        claimed = time.monotonic()
        delivery = _Delivery()
        try:
            for index, message in enumerate(batch):
                if should_stop() or time.monotonic() - claimed > budget:
                    _release(batch[index:])
                    return report
                problem: Exception | None = None
                answer: int | None = None
                try:
                    if message.kind == Kind.EMAIL:
                        delivery.email(message)
                    elif message.kind == Kind.TASK:
                        delivery.task(message)
                    elif message.kind in _senders:
                        answer = _senders[message.kind](message)
                    else:
                        raise _Deferred(f"nothing delivers {message.kind!r} messages here")
                except (_Deferred, _Refused) as error:
                    problem = error
                except Exception as error:
                    # Unforeseen (a bad stored value, a bug): recorded on the row and retried
                    # until the horizon like any failure, never a stuck batch or a dead relay.
                    logger.exception("Outbox message %s could not be delivered", message.pk)
                    problem = _Deferred(f"{type(error).__name__}: {error}")
                _record(message, problem, report, answer)
        finally:
            delivery.close()
        if delivery.mail_down or delivery.broker_down:
            break  # the rest waits for its next attempt
    return report


_inline = threading.local()


def _relay_inline() -> None:
    """The embedded default: deliver right after the commit, in this process. A task run
    eagerly by the relay may queue more; the running relay picks those up itself."""
    if getattr(_inline, "running", False):
        return
    _inline.running = True
    try:
        relay_pending()
    finally:
        _inline.running = False


# --- staff ------------------------------------------------------------------------------------


def _require_staff(actor: Any) -> None:
    if not (
        getattr(actor, "is_staff", False) and actor.has_perm("alliance_portal.handle_outboxmessage")
    ):
        raise PermissionDenied(_("Only customer policy staff may handle undelivered messages."))


def outbox_retry(*, actor: Any, message: OutboxMessage, request: HttpRequest | None = None) -> bool:
    """Staff send a failed message again (after the address was corrected, say): a fresh
    retry horizon. False when it was not failed (already retried by someone else)."""
    _require_staff(actor)
    if message.sensitive:
        raise ValidationError(
            _(
                "Messages with a one-time link are not kept and cannot be sent again: send a "
                "new invitation or ask the person to request a new link."
            ),
            code="sensitive",
        )
    now = timezone.now()
    with transaction.atomic():
        changed = OutboxMessage.objects.filter(pk=message.pk, status=Status.FAILED).update(
            status=Status.PENDING,
            next_attempt_at=now,
            give_up_at=_give_up_at(),
            failed_at=None,
            acknowledged_at=None,
            acknowledged_by=None,
        )
        if changed:
            audit_record(actor=actor, action="outbox.retried", target=message, request=request)
            _after_commit()
    return bool(changed)


def outbox_send_again(*, message: OutboxMessage) -> bool:
    """Send a webhook call again, delivered or failed, with the same webhook-id (the caller
    checks who may and writes the audit event, in its transaction). False while it is still
    pending: it is going out anyway."""
    if message.kind != Kind.WEBHOOK:
        raise ValidationError(_("Only webhook calls can be sent again this way."), code="kind")
    changed = OutboxMessage.objects.filter(
        pk=message.pk, kind=Kind.WEBHOOK, status__in=[Status.DELIVERED, Status.FAILED]
    ).update(
        status=Status.PENDING,
        next_attempt_at=timezone.now(),
        give_up_at=_give_up_at(),
        delivered_at=None,
        failed_at=None,
        acknowledged_at=None,
        acknowledged_by=None,
    )
    if changed:
        _after_commit()
    return bool(changed)


def outbox_acknowledge(
    *, actor: Any, message: OutboxMessage, request: HttpRequest | None = None
) -> bool:
    """Staff have seen that a message could not be delivered (and dealt with it)."""
    _require_staff(actor)
    with transaction.atomic():
        changed = OutboxMessage.objects.filter(
            pk=message.pk, status=Status.FAILED, acknowledged_at__isnull=True
        ).update(acknowledged_at=timezone.now(), acknowledged_by=actor)
        if changed:
            audit_record(actor=actor, action="outbox.acknowledged", target=message, request=request)
    return bool(changed)


def messages_about(obj: models.Model) -> models.QuerySet[OutboxMessage]:
    """The delivery history of a record, newest first."""
    return OutboxMessage.objects.filter(
        target_type=obj._meta.label_lower, target_id=str(obj.pk)
    ).select_related("acknowledged_by")


def messages_for_member(member_id: int) -> models.QuerySet[OutboxMessage]:
    return OutboxMessage.objects.filter(member_ref=member_id).select_related("acknowledged_by")
