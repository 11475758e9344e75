"""The lock order (docs/architecture.md, "Lock order") on PostgreSQL, with transactions that
really overlap: each thread has its own connection, and a second, plain connection (the
monitor) watches who waits for a lock and tries locks of its own."""

import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any
from unittest import mock

import psycopg
import pytest
from django.db import connection, connections, transaction
from django.utils import timezone

from alliance_portal.audit import audit_record
from alliance_portal.locks import for_update, lock
from compliance import services
from compliance.models import (
    CertificateBatch,
    CertificateStatus,
    ComplianceCertificate,
    ReviewCycle,
)
from compliance.services import certificates as certificate_services
from licensing import services as licensing_services
from licensing.models import LicenceAgreement, LicenceStatus
from members.models import Membership, Role
from members.services import team
from tests.compliance.test_cases import open_case
from tests.concurrency import GUARD, can_lock, monitor_connection, race
from tests.factories import (
    MemberFactory,
    UserFactory,
    answer_everything,
    cycle_for,
    decider,
    licence_in,
    signatory_of,
)
from tests.licensing.test_licences import sign

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

RUNS = 50
# The renders are not what is tested here: a PDF-looking stub keeps 50 runs to seconds.
PDF = b"%PDF-1.4\n% a stand-in for the rendered agreement\n%%EOF\n"


@pytest.fixture
def monitor() -> Iterator[psycopg.Connection]:
    with monitor_connection() as conn:
        yield conn


@pytest.fixture
def no_relay(settings):
    """Renders and e-mails wait in the outbox: each test runs what it needs itself."""
    settings.ALLIANCE_OUTBOX_INLINE = False


# Where the render stops while the other transaction runs: while it renders (the shape of
# the reported deadlock), or with its row locked and written, just before it records its event.
PAUSES = ("render", "event")


@contextmanager
def paused_render(module: Any, event: str, where: str, pause: Callable[[], None]) -> Iterator[None]:
    """The renders of `module` stub the PDF and call `pause` while rendering, or just
    before recording `event`."""
    real = module.audit_record

    def render(*args: Any, **kwargs: Any) -> bytes:
        if where == "render":
            pause()
        return PDF

    def record(**kwargs: Any) -> Any:
        if where == "event" and kwargs["action"] == event:
            pause()
        return real(**kwargs)

    with (
        mock.patch.object(module, "render_pdf_template", render),
        # The stand-in is no PDF to sign; signing runs where the render does, lock-free.
        mock.patch.object(module, "sign_pdf", side_effect=lambda pdf, reason: pdf),
        mock.patch.object(module, "audit_record", record),
    ):
        yield


def test_adding_a_review_cycle_while_the_signed_pdf_renders_never_deadlocks(
    reference_data, no_relay, monitor
):
    """The reported deadlock: a signatory signs and the worker renders the signed PDF while
    staff add a review cycle for the member in the admin (a row pointing to the licence,
    checked at COMMIT, and an event of its own)."""
    staff = UserFactory(staff=True)
    for run in range(RUNS):
        licence = licence_in("issued")
        sign(licence)

        def render(pause, licence=licence, where=PAUSES[run % 2]):
            with paused_render(licensing_services, "licence.pdf_rendered", where, pause):
                licensing_services.licence_render_signed_pdf(licence_id=licence.pk)

        def add_cycle(licence=licence):
            services.cycle_open(actor=staff, member=licence.member, kind="ad_hoc")

        assert race(render, add_cycle, monitor) == [], f"run {run + 1}"
        licence.refresh_from_db()
        assert licence.signed_pdf_id is not None
        assert ReviewCycle.objects.filter(licence=licence).count() == 1


def pending_certificate(staff) -> ComplianceCertificate:
    """An accepted review's certificate, made but not yet rendered."""
    cycle = cycle_for("open")
    signatory = signatory_of(cycle.member)
    answer_everything(cycle, signatory)
    services.cycle_submit(actor=signatory, cycle=cycle, typed_name="Ivan", declared=True)
    services.cycle_start_review(actor=staff, cycle=cycle)
    services.cycle_accept(actor=staff, cycle=cycle, grade="compliant")
    return ComplianceCertificate.objects.get(cycle=cycle, status=CertificateStatus.PENDING)


@pytest.fixture
def quick_certificates():
    with (
        mock.patch.object(certificate_services, "render_pdf_template", return_value=PDF),
        mock.patch.object(certificate_services, "sign_pdf", side_effect=lambda pdf, reason: pdf),
    ):
        yield


@pytest.mark.parametrize("where", PAUSES)
def test_suspending_a_licence_while_its_certificate_renders_never_deadlocks(
    where, reference_data, no_relay, quick_certificates, monitor
):
    """A decision suspends the licence and revokes its certificates (events of the licence,
    the certificates and the case) while the worker renders and links a certificate."""
    staff = UserFactory(staff=True)
    certificate = pending_certificate(staff)
    case = open_case(staff, licence=certificate.licence, status="response_received")
    judge = decider()

    def render(pause):
        with paused_render(certificate_services, "certificate.issued", where, pause):
            services.certificate_render(certificate_id=certificate.pk)

    def decide():
        services.case_decide(actor=judge, case=case, decision="suspension", reasons="Breach.")

    assert race(render, decide, monitor) == []
    certificate.refresh_from_db()
    assert certificate.status == CertificateStatus.REVOKED
    # Linked if the render's transaction came first; revoked before it, it links nothing.
    assert (certificate.pdf_id is not None) == (where == "event")
    assert LicenceAgreement.objects.get(pk=case.licence_id).status == LicenceStatus.SUSPENDED


def test_renders_hold_no_lock_and_no_transaction(
    reference_data, no_relay, quick_certificates, monitor
):
    """While the PDF renders, anyone may lock the licence or certificate row."""
    seen: list[tuple[str, bool, bool]] = []

    def watching(table: str, pk: Callable[[], int]) -> Callable[..., bytes]:
        def render(*args: Any, **kwargs: Any) -> bytes:
            seen.append(
                (table, connection.in_atomic_block, can_lock(monitor, table, pk(), "UPDATE"))
            )
            return PDF

        return render

    licence = licence_in("issued")
    sign(licence)
    with (
        mock.patch.object(
            licensing_services,
            "render_pdf_template",
            watching("licensing_licenceagreement", lambda: licence.pk),
        ),
        mock.patch.object(licensing_services, "sign_pdf", side_effect=lambda pdf, reason: pdf),
    ):
        licensing_services.licence_render_signed_pdf(licence_id=licence.pk)
    certificate = pending_certificate(UserFactory(staff=True))
    with mock.patch.object(
        certificate_services,
        "render_pdf_template",
        watching("compliance_compliancecertificate", lambda: certificate.pk),
    ):
        services.certificate_render(certificate_id=certificate.pk)
    assert seen == [
        ("licensing_licenceagreement", False, True),
        ("compliance_compliancecertificate", False, True),
    ]
    licence.refresh_from_db()
    certificate.refresh_from_db()
    assert licence.signed_pdf_id is not None and certificate.status == CertificateStatus.ISSUED


def test_a_render_that_lost_the_race_links_nothing(reference_data, no_relay, monitor):
    """Two renders of one licence at once: the second to finish leaves its PDF unlinked and
    records no second event."""
    from alliance_portal.models import AuditEvent, Document

    licence = licence_in("issued")
    sign(licence)
    rendering, finished = threading.Event(), threading.Event()

    def slow_render(*args: Any, **kwargs: Any) -> bytes:
        if threading.current_thread() is threading.main_thread():
            rendering.wait(GUARD)  # both have read the licence: neither has a PDF yet
        else:
            rendering.set()
            finished.wait(GUARD)  # the other render finishes while this one renders
        return PDF

    def render_in_thread() -> None:
        try:
            licensing_services.licence_render_signed_pdf(licence_id=licence.pk)
        finally:
            connections.close_all()

    with (
        mock.patch.object(licensing_services, "render_pdf_template", slow_render),
        mock.patch.object(licensing_services, "sign_pdf", side_effect=lambda pdf, reason: pdf),
    ):
        thread = threading.Thread(target=render_in_thread)
        thread.start()
        licensing_services.licence_render_signed_pdf(licence_id=licence.pk)
        finished.set()
        thread.join(GUARD)
    licence.refresh_from_db()
    assert Document.objects.filter(original_name=f"{licence.number}-signed.pdf").count() == 2
    assert AuditEvent.objects.filter(action="licence.pdf_rendered").count() == 1
    assert AuditEvent.objects.get(action="licence.pdf_rendered").payload["document"] == str(
        licence.signed_pdf_id
    )


def test_row_locks_let_foreign_key_checks_through(reference_data, monitor):
    """A locked row still takes the FOR KEY SHARE a foreign-key check needs (a review cycle
    inserted for the licence), and nothing else."""
    licence = licence_in("active")
    table = "licensing_licenceagreement"
    for take in (
        lambda: lock(LicenceAgreement, licence.pk),
        lambda: for_update(LicenceAgreement.objects.filter(pk=licence.pk)).get(),
    ):
        with transaction.atomic():
            take()
            assert can_lock(monitor, table, licence.pk, "KEY SHARE")
            assert not can_lock(monitor, table, licence.pk, "SHARE")
        assert can_lock(monitor, table, licence.pk, "UPDATE")


def test_recording_an_event_takes_no_lock(reference_data, monitor):
    """An event is an unchained insert: the actor's row, the target's row and the chainer's
    lock stay free until the writer commits, so writers never queue behind each other."""
    from alliance_portal.audit.chain import _CHAIN_LOCK_KEY

    licence = licence_in("active")
    actor = UserFactory(staff=True)
    with transaction.atomic():
        audit_record(actor=actor, action="test.event", target=licence)
        assert can_lock(monitor, "members_user", actor.pk, "UPDATE")
        assert can_lock(monitor, "licensing_licenceagreement", licence.pk, "UPDATE")
        with monitor.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [_CHAIN_LOCK_KEY])
            assert cursor.fetchone()[0]


# --- every transaction: locks and writes first, its events last --------------------------------

LOCKING = re.compile(r"\bFOR (NO KEY )?UPDATE\b|\bFOR SHARE\b|^\s*(UPDATE|DELETE)\b", re.I)
EVENT = re.compile(r'^\s*INSERT INTO "alliance_portal_auditevent"', re.I)


class Transactions:
    """The statements of each transaction on the default connection."""

    def __init__(self) -> None:
        self.done: list[list[str]] = []
        self.current: list[str] = []

    def __call__(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        self.current.append(sql)
        return execute(sql, params, many, context)

    def end(self) -> None:
        if self.current:
            self.done.append(self.current)
            self.current = []

    def late_locks(self) -> list[list[str]]:
        """Per transaction, what locked or wrote rows after its first event."""
        late = []
        for statements in self.done:
            first = next((i for i, sql in enumerate(statements) if EVENT.search(sql)), None)
            if first is not None:
                found = [sql for sql in statements[first + 1 :] if LOCKING.search(sql)]
                if found:
                    late.append(found)
        return late


@contextmanager
def transactions() -> Iterator[Transactions]:
    recorder = Transactions()
    wrapper = connections["default"]
    real_commit, real_rollback = wrapper.commit, wrapper.rollback

    def commit() -> None:
        recorder.end()
        real_commit()

    def rollback() -> None:
        recorder.end()
        real_rollback()

    with (
        wrapper.execute_wrapper(recorder),
        mock.patch.object(wrapper, "commit", commit),
        mock.patch.object(wrapper, "rollback", rollback),
    ):
        yield recorder
    recorder.end()


def test_every_transaction_records_its_events_after_its_locks_and_writes(
    reference_data, no_relay, quick_certificates
):
    """After its first event a transaction locks, updates and deletes nothing more:
    composite services lock and write everything first, so an event never describes a write
    that then had to wait or failed."""
    staff, judge = UserFactory(staff=True), decider()
    # A renewal signed while the old licence runs (the old one is ended in the same go).
    old = licence_in("active")
    renewal = licensing_services.licence_issue(
        actor=staff,
        licence=licensing_services.licence_create(actor=staff, member=old.member, previous=old),
    )
    # A member with an issued certificate, and a second review accepted.
    first = pending_certificate(staff)
    services.certificate_render(certificate_id=first.pk)
    second_cycle = cycle_for("in_review", licence=first.licence)
    case = open_case(staff, licence=first.licence, status="response_received")
    expiring = pending_certificate(staff)
    services.certificate_render(certificate_id=expiring.pk)
    ComplianceCertificate.objects.filter(pk=expiring.pk).update(
        valid_until=timezone.localdate() - timedelta(days=1)
    )
    member, signatory = MemberFactory(), UserFactory()
    Membership.objects.create(member=member, user=signatory, role=Role.SIGNATORY)
    leaving = Membership.objects.create(member=member, user=UserFactory(), role=Role.VIEWER)
    stalled = CertificateBatch.objects.create(requested_by=staff, total=1)
    stalled.members.set([MemberFactory()])
    CertificateBatch.objects.filter(pk=stalled.pk).update(
        progressed_at=timezone.now() - timedelta(hours=1)
    )

    with transactions() as recorded:
        sign(renewal)
        licensing_services.licence_render_signed_pdf(licence_id=renewal.pk)
        services.cycle_accept(actor=staff, cycle=second_cycle, grade="compliant")
        services.certificate_render(
            certificate_id=ComplianceCertificate.objects.get(cycle=second_cycle).pk
        )  # supersedes the first
        services.case_decide(actor=judge, case=case, decision="suspension", reasons="Breach.")
        services.case_reinstate(actor=judge, case=case, reason="Remedied.")
        services.certificates_expire_due()
        team.membership_remove(actor=signatory, membership=leaving)
        batch = services.certificate_batch_start(actor=staff, members=[first.member])
        certificate_services.certificate_batch_run(batch_id=batch.pk)
        certificate_services.certificate_batches_resume()
    assert len(recorded.done) > 10
    with_events = [t for t in recorded.done if any(EVENT.search(sql) for sql in t)]
    assert len(with_events) > 10
    assert recorded.late_locks() == []
    # What the flows did (so the check above looked at something).
    first.refresh_from_db()
    expiring.refresh_from_db()
    assert first.status == CertificateStatus.SUPERSEDED
    assert expiring.status == CertificateStatus.EXPIRED
    assert not Membership.objects.filter(pk=leaving.pk).exists()
    assert ComplianceCertificate.objects.filter(licence=first.licence, status="revoked").exists()
    assert CertificateBatch.objects.get(pk=batch.pk).finished_at is not None
