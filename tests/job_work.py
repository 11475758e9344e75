"""Work for the periodic jobs at any scale: after ``scale_seed``, dates are moved so that
each job has something to do for every member (the job tests and the jobs benchmark)."""

import os
import time
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from alliance_portal.models import Document, ExportJob, Notification, OutboxMessage
from compliance.models import (
    AuditorGrant,
    CaseStatus,
    CertificateStatus,
    ComplianceCertificate,
    CycleStatus,
    Finding,
    ForfeitureCase,
    Grounds,
    ReviewCycle,
)
from licensing.models import LicenceAgreement, LicenceStatus
from members.models import DocumentRequirement, Member, MemberDocument, User

IN_FORCE = [LicenceStatus.ACTIVE, LicenceStatus.SUSPENDED]


def arrange(job: str) -> None:
    """Give `job` work for every member seeded so far."""
    today = timezone.localdate()
    if job in WORK:
        WORK[job]()
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


def _documents_expiring() -> None:
    """Each member's current document for an expiring requirement runs out in a week."""
    requirement, _new = DocumentRequirement.objects.get_or_create(
        code="scale-kp-registration",
        defaults={"title_en": "KP registration", "title_ru": "Регистрация КП", "expires": True},
    )
    members = list(Member.objects.exclude(documents__requirement=requirement))
    documents = Document.objects.bulk_create(
        Document(
            original_name=f"kp-{member.pk}.pdf",
            extension="pdf",
            content_type="application/pdf",
            size=20_000,
            sha256="0" * 64,
            storage_name=f"scale/kp-{member.pk}.pdf",
            scan_status=Document.ScanStatus.CLEAN,
            expires_on=timezone.localdate() + timedelta(days=7),
        )
        for member in members
    )
    MemberDocument.objects.bulk_create(
        MemberDocument(member=member, requirement=requirement, document=document)
        for member, document in zip(members, documents, strict=True)
    )


def _auditor_grants_expired() -> None:
    """Each member's grant to one of ten auditors (some reading Russian) ended yesterday."""
    auditors = [
        User.objects.get_or_create(
            email=f"auditor-{n}@scale-audit.example", defaults={"language": ("en", "ru")[n % 2]}
        )[0]
        for n in range(10)
    ]
    members = Member.objects.exclude(auditor_grants__isnull=False).order_by("pk")
    AuditorGrant.objects.bulk_create(
        AuditorGrant(
            auditor=auditors[index % len(auditors)],
            member=member,
            expires_on=timezone.localdate() - timedelta(days=1),
            granted_by=auditors[0],
        )
        for index, member in enumerate(members)
    )


def _exports_expired() -> None:
    """An export per member, its file written and its time past."""
    requester = User.objects.filter(is_staff=True).first() or User.objects.first()
    assert requester is not None
    done = ExportJob.objects.count()
    jobs = [
        ExportJob(
            requested_by=requester,
            model_label="members.member",
            file_format="csv",
            language="en",
            status=ExportJob.Status.DONE,
            file_name=f"exports/scale/{done + n}.csv",
            expires_at=timezone.now() - timedelta(hours=1),
        )
        for n in range(Member.objects.count())
    ]
    folder = Path(settings.PRIVATE_MEDIA_ROOT) / "exports" / "scale"
    folder.mkdir(parents=True, exist_ok=True)
    for job in ExportJob.objects.bulk_create(jobs):
        (folder / job.file_name.rsplit("/", 1)[1]).write_text("id\n1\n")


def _orphan_files() -> None:
    """A stray upload per member, left two hours ago by a transaction that rolled back."""
    folder = Path(settings.PRIVATE_MEDIA_ROOT) / "documents" / "scale-stray"
    folder.mkdir(parents=True, exist_ok=True)
    earlier = time.time() - 2 * 3600
    start = len(os.listdir(folder))
    for n in range(start, start + Member.objects.count()):
        path = folder / f"{n}.pdf"
        path.write_bytes(b"%PDF-1.7 stray")
        os.utime(path, (earlier, earlier))


def _notices_delivered() -> None:
    """A case on each licence (ended ones too) whose notice the mail server accepted half an hour
    ago, the follow-up task that starts its window lost."""
    now = timezone.now()
    cases = ForfeitureCase.objects.bulk_create(
        ForfeitureCase(
            licence=licence,
            grounds=Grounds.LOGO_MISUSE,
            narrative="The logo appeared on goods not from the licensee.",
            status=CaseStatus.NOTICE_SENT,
            notice_sent_at=now - timedelta(hours=1),
        )
        for licence in LicenceAgreement.objects.exclude(cases__status=CaseStatus.NOTICE_SENT)
    )
    OutboxMessage.objects.bulk_create(
        OutboxMessage(
            kind=OutboxMessage.Kind.EMAIL,
            status=OutboxMessage.Status.DELIVERED,
            template="case_notice",
            target_type=ForfeitureCase._meta.label_lower,
            target_id=str(case.pk),
            recipient=f"signatory-{case.licence.member_id}@scale.example",
            subject="Notice",
            give_up_at=now + timedelta(days=1),
            delivered_at=now - timedelta(minutes=30),
        )
        for case in cases
    )


WORK = {
    "start_response_windows": _notices_delivered,
    "check_document_validity": _documents_expiring,
    "notify_expired_auditor_grants": _auditor_grants_expired,
    "expire_exports": _exports_expired,
    "sweep_orphan_files": _orphan_files,
}
