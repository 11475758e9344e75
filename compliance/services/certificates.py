"""Compliance certificates: made when a review is accepted, rendered and signed by a task,
verifiable by anyone through their code, revoked by suspension and forfeiture decisions."""

import secrets
from datetime import timedelta

import segno
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from alliance_portal.audit import audit_record
from alliance_portal.documents import document_store_generated
from alliance_portal.emails import absolute_url
from alliance_portal.jobs import enqueue_on_commit
from alliance_portal.pdf import render_pdf_template
from alliance_portal.pdf_signing import sign_pdf
from alliance_portal.roles import is_auditor
from licensing.models import LicenceAgreement, LicenceStatus
from members.models import Member, User

from ..models import (
    AuditorGrant,
    CertificateBatch,
    CertificateStatus,
    ComplianceCertificate,
    CycleStatus,
    ReviewCycle,
)
from ..permissions import can_review
from .common import lock, next_review_due

S = CertificateStatus


def verification_url(certificate: ComplianceCertificate) -> str:
    return absolute_url(reverse("verify:code", args=[certificate.verification_code]))


def certificate_issue_for_cycle(
    *, cycle: ReviewCycle, actor: User | None, request: HttpRequest | None = None
) -> ComplianceCertificate | None:
    """A pending certificate for an accepted cycle whose licence is active; rendered after
    the commit. None when there is nothing to certify."""
    licence = LicenceAgreement.objects.get(pk=cycle.licence_id)
    if cycle.status != CycleStatus.ACCEPTED or licence.status != LicenceStatus.ACTIVE:
        return None
    today = timezone.localdate()
    member = Member.objects.get(pk=cycle.member_id)
    valid_until = min(next_review_due(member, today), licence.ends_on or today)
    certificate = ComplianceCertificate.objects.create(
        number=f"pending-{secrets.token_hex(6)}",
        verification_code=secrets.token_urlsafe(24),  # 192 bits
        cycle=cycle,
        member=member,
        licence=licence,
        outcome=cycle.outcome,
        valid_from=today,
        valid_until=valid_until,
    )
    certificate.number = f"ACC-{today:%Y}-{certificate.pk:06d}"
    certificate.save(update_fields=["number"])
    audit_record(
        actor=actor,
        action="certificate.created",
        target=certificate,
        payload={"cycle": cycle.pk, "valid_until": valid_until.isoformat()},
        request=request,
    )
    from ..tasks import certificate_render

    enqueue_on_commit(certificate_render, certificate.pk)
    return certificate


def certificate_render(*, certificate_id: int) -> ComplianceCertificate:
    """Render, sign and store the PDF; then the certificate is valid and supersedes the
    member's earlier ones. Once per certificate, whoever runs it and however often."""
    with transaction.atomic():
        certificate = (
            ComplianceCertificate.objects.select_for_update(of=("self",))
            .select_related("member", "licence__guidelines", "cycle")
            .get(pk=certificate_id)
        )
        if certificate.pdf_id is not None or certificate.status != S.PENDING:
            return certificate  # already rendered, or revoked before it was
        url = verification_url(certificate)
        context = {
            "certificate": certificate,
            "member": certificate.member,
            "licence": certificate.licence,
            "verification_url": url,
            "qr": segno.make(url, error="m").svg_data_uri(scale=4, dark="#0b3b60"),
        }
        with translation.override("en"):
            html_pdf = render_pdf_template("compliance/certificate_pdf.html", context)
        signed = sign_pdf(
            html_pdf, reason=f"ALROSA ALLIANCE compliance certificate {certificate.number}"
        )
        document = document_store_generated(
            name=f"{certificate.number}.pdf", content=signed, content_type="application/pdf"
        )
        now = timezone.now()
        superseded = ComplianceCertificate.objects.filter(
            member=certificate.member, status=S.ISSUED
        ).exclude(pk=certificate.pk)
        for old in superseded:
            audit_record(
                actor=None,
                action="certificate.superseded",
                target=old,
                payload={"by": certificate.number},
            )
        superseded.update(
            status=S.SUPERSEDED, ended_at=now, end_reason=f"Superseded by {certificate.number}"
        )
        certificate.pdf = document
        certificate.status = S.ISSUED
        certificate.issued_at = now
        certificate.save(update_fields=["pdf", "status", "issued_at"])
        audit_record(
            actor=None,
            action="certificate.issued",
            target=certificate,
            payload={"sha256": document.sha256},
        )
    return certificate


def certificates_render_pending(*, older_than_minutes: int = 2) -> int:
    """The sweeper: render certificates whose task was lost (broker down, worker killed)."""
    cutoff = timezone.now() - timedelta(minutes=older_than_minutes)
    pending = list(
        ComplianceCertificate.objects.filter(status=S.PENDING, created_at__lt=cutoff).values_list(
            "pk", flat=True
        )[:500]
    )
    for pk in pending:
        certificate_render(certificate_id=pk)
    return len(pending)


def certificates_revoke_for_licence(
    *,
    actor: User | None,
    licence: LicenceAgreement,
    reason: str,
    request: HttpRequest | None = None,
) -> int:
    """Revoke the licence's valid and pending certificates (inside the caller's transaction)."""
    live = list(
        ComplianceCertificate.objects.select_for_update().filter(
            licence=licence, status__in=[S.ISSUED, S.PENDING]
        )
    )
    now = timezone.now()
    for certificate in live:
        certificate.status = S.REVOKED
        certificate.ended_at = now
        certificate.end_reason = reason[:300]
        certificate.save(update_fields=["status", "ended_at", "end_reason"])
        audit_record(
            actor=actor,
            action="certificate.revoked",
            target=certificate,
            payload={"reason": reason},
            request=request,
        )
    return len(live)


def certificates_expire_due(*, batch_size: int = 500) -> int:
    today = timezone.localdate()
    expired = 0
    while True:
        with transaction.atomic():
            due = list(
                ComplianceCertificate.objects.select_for_update(skip_locked=True).filter(
                    status=S.ISSUED, valid_until__lt=today
                )[:batch_size]
            )
            for certificate in due:
                certificate.status = S.EXPIRED
                certificate.ended_at = timezone.now()
                certificate.end_reason = "Validity ended"
                certificate.save(update_fields=["status", "ended_at", "end_reason"])
                audit_record(actor=None, action="certificate.expired", target=certificate)
        expired += len(due)
        if len(due) < batch_size:
            return expired


def certificate_batch_start(
    *, actor: User, members: list[Member], request: HttpRequest | None = None
) -> CertificateBatch:
    """Re-issue the certificates of many members: a Celery job whose progress staff can watch."""
    if not can_review(actor):
        raise PermissionDenied(_("Only customer policy staff may re-issue certificates."))
    with transaction.atomic():
        batch = CertificateBatch.objects.create(requested_by=actor, total=len(members))
        batch.members.set(members)
        audit_record(
            actor=actor,
            action="certificate.batch_started",
            target=batch,
            payload={"members": len(members)},
            request=request,
        )
        from ..tasks import certificate_batch_run

        enqueue_on_commit(certificate_batch_run, batch.pk)
    return batch


def certificate_batch_run(*, batch_id: int) -> CertificateBatch:
    """For each member not yet counted: a new certificate from its latest accepted review."""
    batch = CertificateBatch.objects.get(pk=batch_id)
    handled = batch.done + batch.skipped
    for member in batch.members.order_by("pk")[handled:]:
        with transaction.atomic():
            locked = lock(CertificateBatch, batch.pk)
            latest = (
                ReviewCycle.objects.filter(member=member, status=CycleStatus.ACCEPTED)
                .order_by("-decided_at")
                .first()
            )
            issued = (
                certificate_issue_for_cycle(cycle=latest, actor=batch.requested_by)
                if latest is not None
                else None
            )
            if issued is None:
                locked.skipped += 1
            else:
                locked.done += 1
            if locked.done + locked.skipped >= locked.total:
                locked.finished_at = timezone.now()
            locked.save(update_fields=["done", "skipped", "finished_at"])
    return CertificateBatch.objects.get(pk=batch_id)


def auditor_grant_save(
    *, actor: User, grant: AuditorGrant, request: HttpRequest | None = None
) -> AuditorGrant:
    """Staff give (or change) an auditor's read-only access; audited."""
    if not can_review(actor):
        raise PermissionDenied(_("Only customer policy staff may grant auditors access."))
    if not is_auditor(grant.auditor):
        raise ValidationError(_("The person must be in the Auditors group."))
    with transaction.atomic():
        created = grant.pk is None
        if created:
            grant.granted_by = actor
        grant.full_clean()
        grant.save()
        audit_record(
            actor=actor,
            action="auditor_grant.created" if created else "auditor_grant.changed",
            target=grant,
            payload={
                "auditor": grant.auditor.email,
                "member": grant.member_id,
                "expires_on": grant.expires_on.isoformat(),
            },
            request=request,
        )
    return grant
