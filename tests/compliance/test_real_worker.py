"""Certificates with a real Celery worker on Redis."""

import io
import os
import signal
import subprocess
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

import pypdf
import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from alliance_portal.celery import app as celery_app
from alliance_portal.documents import document_read
from compliance import services
from compliance.models import CertificateStatus, ComplianceCertificate
from tests.compliance.test_certificates import validate_signature
from tests.factories import answer_everything, cycle_for, signatory_of

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.postgres, pytest.mark.redis]


class Worker:
    """A `celery worker` process using this test's database, on a private queue: one process
    (the solo pool) unless `concurrency` asks for a prefork pool of that many; `env` adds to
    (or changes) its environment."""

    def __init__(
        self,
        queue: str,
        log: Path | None = None,
        visibility_timeout: int = 3,
        *,
        concurrency: int = 0,
        env: dict[str, str] | None = None,
    ) -> None:
        db = connection.settings_dict
        credentials = quote(db["USER"]) + (f":{quote(db['PASSWORD'])}" if db["PASSWORD"] else "")
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "alliance_portal.settings.test",
            "DATABASE_URL": f"postgres://{credentials}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}",
            "PRIVATE_MEDIA_ROOT": str(settings.PRIVATE_MEDIA_ROOT),
            # A message whose worker died unacknowledged comes back after this many seconds
            # (3 unless the test asks for production's hour).
            "CELERY_VISIBILITY_TIMEOUT": str(visibility_timeout),
            **(env or {}),
        }
        pool = (
            ["--pool=prefork", f"--concurrency={concurrency}"] if concurrency else ["--pool=solo"]
        )
        self.log = log
        output = log.open("w") if log is not None else subprocess.DEVNULL
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "alliance_portal",
                "worker",
                *pool,
                "-Q",
                queue,
                "--without-heartbeat",
                "--without-gossip",
                "--without-mingle",
                "--loglevel=INFO",
            ],
            cwd=ROOT,
            env=self.env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )

    def wait_for(self, text: str, timeout: float = 60) -> None:
        assert self.log is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in self.log.read_text(errors="replace"):
                return
            time.sleep(0.05)
        raise AssertionError(f"the worker never logged {text!r}")

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()


@pytest.fixture
def queue(transactional_db, reference_data):
    """Route this test's tasks to a queue of its own, and send them for real."""
    name = f"test-{uuid.uuid4().hex}"
    saved = (celery_app.conf.task_always_eager, celery_app.conf.task_routes)
    celery_app.conf.task_always_eager = False
    # Through update(): Celery rebuilds its router only when task_routes change that way.
    celery_app.conf.update(task_routes={"*": {"queue": name}})
    workers: list[Worker] = []
    yield name, workers
    for worker in workers:
        worker.stop()
    celery_app.conf.task_always_eager = saved[0]
    celery_app.conf.update(task_routes=saved[1])


def submitted_in_review(staff):
    cycle = cycle_for("open")
    signatory = signatory_of(cycle.member)
    answer_everything(cycle, signatory)
    services.cycle_submit(actor=signatory, cycle=cycle, typed_name="Ivan", declared=True)
    services.cycle_start_review(actor=staff, cycle=cycle)
    return cycle


def wait_until_issued(cycle, timeout: float = 90) -> ComplianceCertificate:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        certificate = ComplianceCertificate.objects.filter(cycle=cycle).first()
        if certificate is not None and certificate.status == CertificateStatus.ISSUED:
            return certificate
        time.sleep(0.3)
    raise AssertionError("no certificate was issued")


def test_accepting_a_cycle_ends_with_a_signed_certificate_from_the_worker(queue):
    from tests.factories import UserFactory

    name, workers = queue
    workers.append(Worker(name))
    staff = UserFactory(staff=True)
    cycle = submitted_in_review(staff)
    services.cycle_accept(actor=staff, cycle=cycle, grade="minor")
    certificate = wait_until_issued(cycle)
    content = document_read(certificate.pdf)
    import hashlib

    assert hashlib.sha256(content).hexdigest() == certificate.pdf.sha256
    text = " ".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(content)).pages)
    assert cycle.member.legal_name in text and cycle.licence.number in text
    assert "Minor non-conformity" in text and certificate.valid_until.isoformat() in text
    assert certificate.verification_code in "".join(text.split())
    assert validate_signature(content)


def test_accepting_while_redis_is_down_succeeds_and_the_relay_catches_up(queue):
    """A separate process whose broker is unreachable accepts the cycle, as a web process
    would while Redis is down; once Redis is back the outbox relay sends the render."""
    from tests.factories import UserFactory

    name, workers = queue
    staff = UserFactory(staff=True)
    cycle = submitted_in_review(staff)
    db = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "alliance_portal.settings.local",
        "DATABASE_URL": f"postgres://{quote(db['USER'])}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}",
        "CELERY_BROKER_URL": "redis://127.0.0.1:1/0",  # nothing listens here: Redis is down
        "PRIVATE_MEDIA_ROOT": str(settings.PRIVATE_MEDIA_ROOT),
        "ALLIANCE_SIGNING_KEY": str(settings.ALLIANCE_SIGNING_KEY),
        "ALLIANCE_SIGNING_CERT": str(settings.ALLIANCE_SIGNING_CERT),
    }
    accept = (
        "import django; django.setup();"
        "from compliance import services; from compliance.models import ReviewCycle;"
        "from members.models import User;"
        f"services.cycle_accept(actor=User.objects.get(pk={staff.pk}),"
        f" cycle=ReviewCycle.objects.get(pk={cycle.pk}), grade='compliant'); print('accepted')"
    )
    result = subprocess.run(
        [sys.executable, "-c", accept],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "accepted" in result.stdout
    cycle.refresh_from_db()
    assert cycle.status == "accepted"
    certificate = ComplianceCertificate.objects.get(cycle=cycle)
    assert certificate.status == CertificateStatus.PENDING
    # The render is waiting in the outbox, recorded with the acceptance.
    from alliance_portal.models import OutboxMessage
    from alliance_portal.outbox import relay_pending

    waiting = OutboxMessage.objects.get(task_name="compliance.tasks.certificate_render")
    assert waiting.status == "pending" and waiting.task_args == [certificate.pk]
    # Redis is back: the relay hands it to the broker and a worker renders it.
    workers.append(Worker(name))
    assert relay_pending().delivered >= 1
    assert wait_until_issued(cycle).pdf is not None


def test_a_worker_killed_mid_task_still_renders_the_certificate_once(queue, tmp_path):
    from alliance_portal.models import AuditEvent, Document
    from tests.factories import UserFactory

    name, workers = queue
    first = Worker(name, log=tmp_path / "first.log")
    workers.append(first)
    first.wait_for("ready")
    staff = UserFactory(staff=True)
    cycle = submitted_in_review(staff)
    services.cycle_accept(actor=staff, cycle=cycle, grade="compliant")
    first.wait_for("compliance.tasks.certificate_render")  # received: kill it now
    first.kill()
    # The message was never acknowledged (acks_late): Redis gives it back after the
    # visibility timeout, and the sweeper picks up whatever is still pending — whichever
    # comes first, the certificate must be rendered once.
    workers.append(Worker(name, log=tmp_path / "second.log"))
    ComplianceCertificate.objects.filter(cycle=cycle).update(
        created_at=timezone.now() - timedelta(minutes=10)
    )
    from compliance.tasks import run_job

    run_job.delay("render_pending_certificates")
    certificate = wait_until_issued(cycle)
    time.sleep(2)  # room for a duplicate delivery to misbehave
    assert Document.objects.filter(original_name=f"{certificate.number}.pdf").count() == 1
    assert (
        AuditEvent.objects.filter(
            action="certificate.issued", target_id=str(certificate.pk)
        ).count()
        == 1
    )


def test_a_worker_killed_mid_batch_leaves_no_batch_stuck_and_renders_each_certificate_once(
    queue, tmp_path
):
    """A re-issue of 30 certificates, its worker SIGKILLed part-way. As in production the
    broker would hand the task back only after an hour; the sweeper job resumes the batch from
    its committed progress, and every certificate is rendered once."""
    from alliance_portal.models import AuditEvent, Document
    from compliance.models import CertificateBatch
    from compliance.tasks import run_job
    from licensing.models import LicenceAgreement
    from tests.concurrency import monitor_connection
    from tests.factories import UserFactory

    name, workers = queue
    members = sorted((cycle_for("accepted").member for _ in range(30)), key=lambda m: m.pk)
    staff = UserFactory(staff=True)
    first = Worker(name, log=tmp_path / "first.log", visibility_timeout=3600)
    workers.append(first)
    first.wait_for("ready")

    def until(condition, what: str, timeout: float = 240) -> object:
        deadline = time.monotonic() + timeout
        while not (result := condition()):
            if time.monotonic() > deadline:
                raise AssertionError(f"never: {what}")
            time.sleep(0.1)
        return result

    def waiting_backend() -> int | None:
        row = monitor.execute(
            "SELECT pid FROM pg_stat_activity"
            " WHERE datname = current_database() AND wait_event_type = 'Lock'"
        ).fetchone()
        return row[0] if row else None

    # The tenth member's licence is locked here: the worker's run stops there, mid-batch.
    tenth_licence = LicenceAgreement.objects.get(member=members[9])
    with monitor_connection() as blocker, monitor_connection() as monitor:
        with blocker.transaction():
            blocker.execute(
                "SELECT 1 FROM licensing_licenceagreement WHERE id = %s FOR UPDATE",
                [tenth_licence.pk],
            )
            batch = services.certificate_batch_start(actor=staff, members=members)
            stuck_backend = until(waiting_backend, "the worker reaches the tenth member")
            batch.refresh_from_db()
            assert (batch.done, batch.finished_at) == (9, None)
            first.kill()
        # The lock is gone; the killed worker's session ends with its open transaction.
        until(
            lambda: (
                not monitor.execute(
                    "SELECT 1 FROM pg_stat_activity WHERE pid = %s", [stuck_backend]
                ).fetchone()
            ),
            "the killed worker's session ends",
        )
    batch.refresh_from_db()
    assert (batch.done, batch.finished_at) == (9, None)  # only the member it was on is lost
    # Ten minutes without progress (the sweeper's threshold is five).
    CertificateBatch.objects.filter(pk=batch.pk).update(
        progressed_at=timezone.now() - timedelta(minutes=10)
    )
    second = Worker(name, log=tmp_path / "second.log", visibility_timeout=3600)
    workers.append(second)
    second.wait_for("ready")
    run_job.delay("resume_certificate_batches")

    def all_issued() -> bool:
        batch.refresh_from_db()
        issued = ComplianceCertificate.objects.filter(status=CertificateStatus.ISSUED).count()
        return batch.finished_at is not None and issued == 30

    until(all_issued, "the batch completes with 30 certificates issued")
    assert (batch.done, batch.skipped) == (30, 0)
    certificates = list(ComplianceCertificate.objects.all())
    assert sorted(c.member_id for c in certificates) == [m.pk for m in members]
    for certificate in certificates:
        assert Document.objects.filter(original_name=f"{certificate.number}.pdf").count() == 1
        assert (
            AuditEvent.objects.filter(
                action="certificate.issued", target_id=str(certificate.pk)
            ).count()
            == 1
        )
    assert AuditEvent.objects.filter(action="certificate.batch_resumed").count() == 1
