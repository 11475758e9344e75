"""The portal's notification list: every e-mail a portal user is sent is also an entry they
can read in the portal (``/portal/notifications/``), written in the same transaction as the
outbox row by ``emails.email_user``.

A user on the daily digest (``User.email_delivery == "daily"``) gets messages that may wait
once a day, in one e-mail: such a message is only a notification marked ``digest_pending``
until :func:`notification_digests_send` sends it. Legal notices and decisions always go at
once (``LEGAL_TEMPLATES``), as does any message whose delivery something waits for.
"""

from itertools import groupby
from operator import attrgetter
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from .audit import audit_record
from .locks import for_update
from .models import Notification

# Messages with legal effect or a deadline: never held for a digest.
LEGAL_TEMPLATES = frozenset(
    {
        "application_information_requested",
        "application_approved",
        "application_rejected",
        "licence_issued",
        "licence_signed",
        "licence_status_changed",
        "case_notice",
        "case_decided",
        "certificate_revoked",
        "cycle_changes_requested",
        "cycle_overdue",
    }
)
DAILY = "daily"


def wants_digest(user: Any) -> bool:
    # The field belongs to members.User; read by name, as this app sits below members.
    return getattr(user, "email_delivery", "") == DAILY


def notification_build(
    *, user: Any, template: str, subject: str, link: str, may_wait: bool = True
) -> Notification:
    """The entry of a message in the user's list, unsaved (``emails.email_people_many``
    inserts them in one go); ``digest_pending`` when the e-mail is held for the user's
    digest."""
    held = may_wait and template not in LEGAL_TEMPLATES and wants_digest(user)
    return Notification(
        user=user,
        template=template,
        subject=subject[:300],
        link=link[:500],
        digest_pending=held,
    )


def notifications_for(user: Any) -> QuerySet[Notification]:
    return Notification.objects.filter(user=user).order_by("-created_at", "-pk")


def unread_count(user: Any) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


def notification_mark_read(*, actor: Any, pk: int) -> Notification:
    """Mark one of the actor's notifications read; another user's is DoesNotExist."""
    notification = notifications_for(actor).get(pk=pk)
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return notification


def notifications_mark_all_read(*, actor: Any) -> int:
    return notifications_for(actor).filter(read_at__isnull=True).update(read_at=timezone.now())


def notification_preference_set(*, actor: Any, delivery: str, request: Any = None) -> None:
    """Each message at once, or a daily digest (legal notices still go at once). Audited."""
    if delivery not in ("immediate", DAILY):
        raise ValueError(delivery)
    with transaction.atomic():
        actor.email_delivery = delivery
        actor.save(update_fields=["email_delivery"])
        audit_record(
            actor=actor,
            action="user.email_delivery_changed",
            target=actor,
            payload={"email_delivery": delivery},
            request=request,
        )


def notification_digests_send(*, batch_size: int = 200) -> int:
    """The daily job: one digest e-mail per user with held messages, listing them all.

    Users are taken a batch at a time in id order (the partial index of held rows, from the
    last id on). A batch's held rows are claimed (locked, skipping rows another run holds) and
    cleared in the transaction that queues its digests, so a second run, or two at once,
    sends nothing twice. Returns how many digests were queued."""
    sent = 0
    last_user_id = 0
    while True:
        user_ids = list(
            Notification.objects.filter(digest_pending=True, user_id__gt=last_user_id)
            .order_by("user_id")
            .values_list("user_id", flat=True)
            .distinct()[:batch_size]
        )
        if not user_ids:
            return sent
        last_user_id = user_ids[-1]
        sent += _digests_send(user_ids)


def _digests_send(user_ids: list[int]) -> int:
    from django.contrib.auth import get_user_model

    from .emails import email_compose
    from .outbox import emails_record

    with transaction.atomic():
        held = list(
            for_update(
                Notification.objects.filter(user_id__in=user_ids, digest_pending=True).order_by(
                    "user_id", "created_at", "pk"
                ),
                skip_locked=True,
            )
        )
        Notification.objects.filter(pk__in=[item.pk for item in held]).update(digest_pending=False)
        users = get_user_model().objects.in_bulk({item.user_id for item in held})
        digests = [
            email_compose(
                to=user.email,
                template="notification_digest",
                language=getattr(user, "language", "") or settings.LANGUAGE_CODE,
                context={"items": list(items), "url": _notifications_url()},
                about=user,
            )
            for user_id, items in groupby(held, key=attrgetter("user_id"))
            if (user := users[user_id]).is_active
        ]
        emails_record(digests)
    return len(digests)


def _notifications_url() -> str:
    from django.urls import reverse

    from .emails import absolute_url

    return absolute_url(reverse("notifications"))
