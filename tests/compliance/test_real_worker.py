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
    """A `celery worker` process using this test's database, on a private queue."""

    def __init__(self, queue: str, log: Path | None = None) -> None:
        db = connection.settings_dict
        credentials = quote(db["USER"]) + (f":{quote(db['PASSWORD'])}" if db["PASSWORD"] else "")
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "alliance_portal.settings.test",
            "DATABASE_URL": f"postgres://{credentials}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}",
            "PRIVATE_MEDIA_ROOT": str(settings.PRIVATE_MEDIA_ROOT),
            # A message whose worker died unacknowledged comes back after 3 seconds.
            "CELERY_VISIBILITY_TIMEOUT": "3",
        }
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
                "--pool=solo",
                "-Q",
                queue,
                "--without-heartbeat",
                "--without-gossip",
                "--without-mingle",
                "--loglevel=INFO",
            ],
            cwd=ROOT,
            env=env,
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


def test_accepting_while_redis_is_down_succeeds_and_the_sweeper_catches_up(queue):
    """A separate process whose broker is unreachable accepts the cycle, as a web process
    would while Redis is down; once Redis is back the sweeper renders the certificate."""
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
    assert "Could not queue" in result.stderr  # logged, not raised
    cycle.refresh_from_db()
    assert cycle.status == "accepted"
    certificate = ComplianceCertificate.objects.get(cycle=cycle)
    assert certificate.status == CertificateStatus.PENDING
    # Redis is back: the sweeper, run by a worker, renders what was never queued.
    ComplianceCertificate.objects.filter(pk=certificate.pk).update(
        created_at=timezone.now() - timedelta(minutes=10)
    )
    workers.append(Worker(name))
    from compliance.tasks import run_job

    run_job.delay("render_pending_certificates")
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
