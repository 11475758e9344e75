"""Compliance certificates: made when a review is accepted, rendered and signed by a task,
verifiable by anyone through their code, revoked by suspension and forfeiture decisions."""

import secrets
from datetime import timedelta
from typing import Any

import segno
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from alliance_portal.audit import audit_record, audit_record_many
from alliance_portal.documents import document_store_generated
from alliance_portal.emails import absolute_url, email_people_many, email_user
from alliance_portal.events import EventName, event_record
from alliance_portal.jobs import enqueue_on_commit, job_lock
from alliance_portal.locks import for_update, lock
from alliance_portal.pdf import render_pdf_template
from alliance_portal.pdf_signing import sign_pdf
from alliance_portal.roles import is_auditor
from alliance_portal.states import move, statuses_save
from licensing.models import LicenceAgreement, LicenceStatus
from members.models import Member, User

from ..models import (
    CERTIFICATE_TRANSITIONS,
    AuditorGrant,
    CertificateBatch,
    CertificateStatus,
    ComplianceCertificate,
    CycleStatus,
    Notice,
    ReviewCycle,
)
from ..permissions import can_decide_cases, can_review
from .common import next_review_due, tell_member

S = CertificateStatus


def verification_url(certificate: ComplianceCertificate) -> str:
    return absolute_url(reverse("verify:code", args=[certificate.verification_code]))


def certificate_pending_create(*, cycle: ReviewCycle) -> ComplianceCertificate | None:
    """A pending certificate for an accepted cycle whose licence is active; None when there
    is nothing to certify. Its event and render follow with
    :func:`certificate_pending_record`, once the caller has written everything else (a
    transaction records its events last: see the lock order in docs/architecture.md)."""
    # Locked, not just read: a suspension either waits for this certificate and revokes it,
    # or commits first and we see the licence is no longer active.
    licence = lock(LicenceAgreement, cycle.licence_id)
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
    return certificate


def certificate_pending_record(
    *,
    certificate: ComplianceCertificate,
    actor: User,
    request: HttpRequest | None = None,
) -> None:
    """The event of a certificate made by :func:`certificate_pending_create`, and its render
    queued for after the commit."""
    audit_record(
        actor=actor,
        action="certificate.created",
        target=certificate,
        payload={"cycle": certificate.cycle_id, "valid_until": certificate.valid_until.isoformat()},
        request=request,
    )
    from ..tasks import certificate_render

    enqueue_on_commit(certificate_render, certificate.pk)


CERTIFICATE_PDF_TEMPLATE = "compliance/certificate_pdf.html"


def certificate_pdf_context(certificate: ComplianceCertificate) -> dict[str, Any]:
    """What the certificate's PDF shows (rendered in English: the Russian is in the template);
    `certificate` comes with its member, licence and cycle."""
    url = verification_url(certificate)
    return {
        "certificate": certificate,
        "member": certificate.member,
        "licence": certificate.licence,
        # The edition attested to, which may be later than the one the licence incorporated.
        "edition": certificate.cycle.edition,
        "verification_url": url,
        "qr": segno.make(url, error="m").svg_data_uri(scale=4, dark="#0b3b60"),
    }


def certificate_render(*, certificate_id: int) -> ComplianceCertificate:
    """Render, sign and store the PDF; then the certificate is valid and supersedes the
    member's earlier ones. Once per certificate, whoever runs it and however often.

    Rendering and signing take seconds and hold no lock and no transaction (what the PDF
    shows is fixed once the certificate is made). A short transaction then links the PDF,
    if the certificate still waits for one: rendered by another run meanwhile, or revoked,
    it keeps its state and our PDF stays a generated document no record points to.
    """
    certificate = ComplianceCertificate.objects.select_related(
        "member", "licence__guidelines", "cycle__guidelines"
    ).get(pk=certificate_id)
    if certificate.pdf_id is not None or certificate.status != S.PENDING:
        return certificate  # already rendered, or revoked before it was
    context = certificate_pdf_context(certificate)
    url = context["verification_url"]
    with translation.override("en"):
        html_pdf = render_pdf_template(CERTIFICATE_PDF_TEMPLATE, context)
    signed = sign_pdf(
        html_pdf, reason=f"ALROSA ALLIANCE compliance certificate {certificate.number}"
    )
    document = document_store_generated(
        name=f"{certificate.number}.pdf", content=signed, content_type="application/pdf"
    )
    with transaction.atomic():
        # This certificate and the member's others that may be valid, in one statement and
        # in id order, as every service locks certificates: two renders for one member take
        # turns, and the second sees (and supersedes) what the first issued.
        rows = list(
            for_update(
                ComplianceCertificate.objects.filter(
                    Q(pk=certificate_id)
                    | Q(member_id=certificate.member_id, status__in=[S.ISSUED, S.PENDING])
                ).order_by("pk")
            )
        )
        [locked] = [row for row in rows if row.pk == certificate_id]
        if locked.pdf_id is not None or locked.status != S.PENDING:
            return locked  # another run was first, or it was revoked meanwhile
        superseded = [row for row in rows if row.pk != certificate_id and row.status == S.ISSUED]
        now = timezone.now()
        for old in superseded:
            old.status = move(old, CERTIFICATE_TRANSITIONS, "supersede")
            old.ended_at = now
            old.end_reason = f"Superseded by {locked.number}"
            old.save(update_fields=["status", "ended_at", "end_reason"])
        locked.pdf = document
        locked.status = move(locked, CERTIFICATE_TRANSITIONS, "issue")
        locked.issued_at = now
        locked.save(update_fields=["pdf", "status", "issued_at"])
        for old in superseded:
            audit_record(
                actor=None,
                action="certificate.superseded",
                target=old,
                payload={"by": locked.number},
            )
        audit_record(
            actor=None,
            action="certificate.issued",
            target=locked,
            payload={"sha256": document.sha256},
        )
        event_record(EventName.CERTIFICATE_ISSUED, locked)
        tell_member(
            certificate.member,
            "certificate_issued",
            reverse("compliance:certificates"),
            about=locked,
            number=locked.number,
            valid_until=locked.valid_until,
            verification_url=url,
        )
    return locked


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
    actor: User,
    licence: LicenceAgreement,
    reason: str,
    request: HttpRequest | None = None,
) -> int:
    """Revoke the licence's valid and pending certificates (inside the caller's transaction).
    Those who decide forfeiture cases may."""
    if not can_decide_cases(actor):
        raise PermissionDenied(_("Only decision makers may revoke certificates."))
    revoked = certificates_revoke_rows(licence=licence, reason=reason)
    certificates_revoke_record(revoked, actor=actor, reason=reason, request=request)
    return len(revoked)


def certificates_revoke_rows(
    *, licence: LicenceAgreement, reason: str
) -> list[ComplianceCertificate]:
    """The writes of :func:`certificates_revoke_for_licence`, for a service that records its
    events after all its writes (the lock order): lock the licence (no certificate is made
    for it meanwhile), then its valid and pending certificates in id order, and revoke them.
    Their events: :func:`certificates_revoke_record`."""
    lock(LicenceAgreement, licence.pk)
    live = list(
        for_update(
            ComplianceCertificate.objects.filter(
                licence=licence, status__in=CERTIFICATE_TRANSITIONS["revoke"].sources
            ).order_by("pk")
        )
    )
    now = timezone.now()
    for certificate in live:
        certificate.status = move(certificate, CERTIFICATE_TRANSITIONS, "revoke")
        certificate.ended_at = now
        certificate.end_reason = reason[:300]
        certificate.save(update_fields=["status", "ended_at", "end_reason"])
    return live


def certificates_revoke_record(
    certificates: list[ComplianceCertificate],
    *,
    actor: User,
    reason: str,
    request: HttpRequest | None = None,
) -> None:
    for certificate in certificates:
        audit_record(
            actor=actor,
            action="certificate.revoked",
            target=certificate,
            payload={"reason": reason},
            request=request,
        )
        if certificate.pdf_id is not None:  # a pending one was never announced as issued
            event_record(EventName.CERTIFICATE_REVOKED, certificate)
    # One message per member, naming every certificate revoked at once; a pending one was
    # never announced, so it is not mentioned either.
    by_member: dict[int, list[ComplianceCertificate]] = {}
    for certificate in certificates:
        if certificate.pdf_id is None:
            continue
        by_member.setdefault(certificate.member_id, []).append(certificate)
    for member_id, revoked in by_member.items():
        tell_member(
            Member.objects.get(pk=member_id),
            "certificate_revoked",
            reverse("compliance:certificates"),
            about=revoked[0],
            numbers=", ".join(certificate.number for certificate in revoked),
            reason=reason,
        )


def certificates_expire_due(*, batch_size: int = 500) -> int:
    """Expire every certificate past its validity (the daily job). Returns how many.

    The ids are read once by an indexed query and worked on a batch at a time, each batch in
    one transaction, so no batch rescans the rows the ones before it expired."""
    due = ComplianceCertificate.objects.filter(
        status__in=CERTIFICATE_TRANSITIONS["expire"].sources,
        valid_until__lt=timezone.localdate(),
    )
    ids = list(due.order_by("pk").values_list("pk", flat=True))
    expired = 0
    for start in range(0, len(ids), batch_size):
        with transaction.atomic():
            batch = list(
                for_update(
                    due.filter(pk__in=ids[start : start + batch_size]).order_by("pk"),
                    skip_locked=True,  # a certificate being revoked now is left to that
                )
            )
            now = timezone.now()
            for certificate in batch:
                certificate.status = move(certificate, CERTIFICATE_TRANSITIONS, "expire")
                certificate.ended_at = now
                certificate.end_reason = "Validity ended"
            # Each row's own status, as its transition set it; the other columns are the same.
            statuses_save(batch)
            ComplianceCertificate.objects.filter(pk__in=[c.pk for c in batch]).update(
                ended_at=now, end_reason="Validity ended"
            )
            audit_record_many(
                actor=None,
                action="certificate.expired",
                entries=[(certificate, None) for certificate in batch],
            )
        expired += len(batch)
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
    """For each member not yet counted: a new certificate from its latest accepted review.

    One member per transaction, its progress committed with it: a run that dies loses at most
    the member it was on, and the next run (the resumed task, the sweeper's) carries on from
    the count. Each step locks the batch row and takes the next member from the locked count,
    so two runs at once take turns and never handle a member twice.
    """
    while _batch_step(batch_id):
        pass
    return CertificateBatch.objects.get(pk=batch_id)


def _batch_step(batch_id: int) -> bool:
    """Handle the batch's next member; False once there is none left."""
    with transaction.atomic():
        batch = lock(CertificateBatch, batch_id)
        if batch.finished_at is not None:
            return False
        member = batch.members.order_by("pk")[batch.done + batch.skipped :].first()
        certificate = None
        if member is not None:
            latest = (
                ReviewCycle.objects.filter(member=member, status=CycleStatus.ACCEPTED)
                .order_by("-decided_at")
                .first()
            )
            certificate = certificate_pending_create(cycle=latest) if latest is not None else None
            if certificate is None:
                batch.skipped += 1
            else:
                batch.done += 1
        now = timezone.now()
        if member is None or batch.done + batch.skipped >= batch.total:
            batch.finished_at = now
        batch.progressed_at = now
        batch.save(update_fields=["done", "skipped", "finished_at", "progressed_at"])
        if certificate is not None:
            certificate_pending_record(certificate=certificate, actor=batch.requested_by)
        return batch.finished_at is None


def certificate_batches_resume(*, stalled_minutes: int = 5) -> int:
    """The sweeper: start again every unfinished batch with no progress for `stalled_minutes`
    (its worker died: the broker would only hand the task back after its visibility timeout,
    an hour). Returns how many were resumed.

    Safe when two sweepers run at once: each claims a batch by moving its progress time on,
    under a row lock the other skips; a batch claimed meanwhile no longer looks stalled.
    A run resumed while the old one was in fact alive only makes the two take turns.
    """
    cutoff = timezone.now() - timedelta(minutes=stalled_minutes)
    with transaction.atomic():
        stalled = list(
            for_update(
                CertificateBatch.objects.filter(
                    finished_at__isnull=True, progressed_at__lt=cutoff
                ).order_by("pk"),
                skip_locked=True,
            )[:100]
        )
        now = timezone.now()
        CertificateBatch.objects.filter(pk__in=[b.pk for b in stalled]).update(progressed_at=now)
        from ..tasks import certificate_batch_run

        for batch in stalled:
            audit_record(
                actor=None,
                action="certificate.batch_resumed",
                target=batch,
                payload={"handled": batch.done + batch.skipped, "total": batch.total},
            )
            enqueue_on_commit(certificate_batch_run, batch.pk)
    return len(stalled)


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
        if created:
            _tell_auditor(grant, "auditor_granted")
    return grant


def _grant_scope(grant: AuditorGrant) -> str:
    if grant.member is not None:
        return grant.member.legal_name
    with translation.override(grant.auditor.language or None):
        # The scope is part of the sentence: "all members" in the auditor's language.
        return _("all members")


def _tell_auditor(grant: AuditorGrant, template: str) -> None:
    email_user(
        grant.auditor,
        template=template,
        context={
            "scope": _grant_scope(grant),
            "expires_on": grant.expires_on,
            "url": absolute_url(reverse("auditor:members")),
        },
        about=grant,
        member_id=grant.member_id,
    )


def auditor_grants_expired_notify(*, within_days: int = 7, batch_size: int = 200) -> int:
    """Tell each auditor once that a grant has ended (grants that ended in the last
    `within_days` days: older ones ended before anyone listened). Idempotent through
    `Notice`, recorded with the outbox rows in one transaction a batch of grants at a time
    (read by id: a batch never rescans those before it)."""
    today = timezone.localdate()
    grants = AuditorGrant.objects.filter(
        expires_on__lt=today, expires_on__gte=today - timedelta(days=within_days)
    )
    url = absolute_url(reverse("auditor:members"))
    told = 0
    with job_lock("auditor_grants_expired_notify") as mine:
        if not mine:
            return 0
        last_pk = 0
        while batch := list(
            grants.filter(pk__gt=last_pk)
            .select_related("auditor", "member")
            .order_by("pk")[:batch_size]
        ):
            last_pk = batch[-1].pk
            with transaction.atomic():
                by_key = {f"auditor-grant-expired:{grant.pk}": grant for grant in batch}
                seen = set(Notice.objects.filter(key__in=by_key).values_list("key", flat=True))
                fresh = [grant for key, grant in by_key.items() if key not in seen]
                Notice.objects.bulk_create(Notice(key=key) for key in by_key if key not in seen)
                email_people_many(
                    (
                        (
                            [grant.auditor],
                            {
                                "scope": _grant_scope(grant),
                                "expires_on": grant.expires_on,
                                "url": url,
                            },
                            grant,
                            grant.member_id,
                        )
                        for grant in fresh
                    ),
                    template="auditor_grant_expired",
                )
                told += len(fresh)
    return told
