"""Work for the periodic jobs at any scale: after ``scale_seed``, dates are moved so that
each job has something to do for every member (the job tests and the jobs benchmark)."""

from datetime import timedelta

from django.utils import timezone

from alliance_portal.models import Notification
from compliance.models import (
    CertificateStatus,
    ComplianceCertificate,
    CycleStatus,
    Finding,
    ReviewCycle,
)
from licensing.models import LicenceAgreement, LicenceStatus
from members.models import User

IN_FORCE = [LicenceStatus.ACTIVE, LicenceStatus.SUSPENDED]


def arrange(job: str) -> None:
    """Give `job` work for every member seeded so far."""
    today = timezone.localdate()
    if job == "open_due_cycles":  # the last review was decided over a year ago
        ReviewCycle.objects.filter(status=CycleStatus.ACCEPTED).update(
            decided_at=timezone.now() - timedelta(days=400)
        )
    elif job == "send_reminders":  # due in 7 days
        ReviewCycle.objects.filter(status=CycleStatus.OPEN).update(due_on=today + timedelta(days=7))
    elif job == "escalate_overdue":  # overdue past the grace period
        ReviewCycle.objects.filter(status=CycleStatus.OPEN).update(
            due_on=today - timedelta(days=30)
        )
        Finding.objects.update(due_on=today - timedelta(days=30))
    elif job == "expire_certificates":
        ComplianceCertificate.objects.filter(status=CertificateStatus.ISSUED).update(
            valid_until=today - timedelta(days=1)
        )
    elif job == "expire_licences":
        LicenceAgreement.objects.filter(status__in=IN_FORCE).update(
            ends_on=today - timedelta(days=1)
        )
    elif job == "send_notification_digests":
        users = User.objects.filter(email__endswith="@scale.example")
        users.update(email_delivery="daily")
        Notification.objects.bulk_create(
            Notification(user=user, template="cycle_reminder", subject="Reminder", link="/")
            for user in users.exclude(notifications__digest_pending=True)
        )
        Notification.objects.filter(user__in=users).update(digest_pending=True)
