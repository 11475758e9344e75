"""Nothing lost when Redis goes away: the production shape with a real worker, a real outbox
relay, a Redis of the test's own (stopped and started again) and a real SMTP server.

While Redis is down, a signatory signs, a compliance officer submits, staff accept and a
signatory invites: every request succeeds without waiting on the broker. Once Redis is back,
without restarting anything, every e-mail arrives exactly once and every PDF is rendered
exactly once.
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection
from django.urls import reverse

from alliance_portal.models import Document, OutboxMessage
from compliance.models import CertificateStatus, ComplianceCertificate
from licensing.agreement import agreement_text, sha256_text
from licensing.models import LicenceAgreement
from licensing.signing import consents
from tests.factories import UserFactory, answer_everything, cycle_for, licence_in, signatory_of
from tests.helpers import login_with_mfa, login_with_password
from tests.servers import RedisServer
from tests.smtp_sink import SmtpSink

ROOT = Path(__file__).resolve().parents[1]
pytestmark = [pytest.mark.postgres, pytest.mark.redis]


def _env(redis: RedisServer, sink: SmtpSink) -> dict[str, str]:
    db = connection.settings_dict
    credentials = quote(db["USER"]) + (f":{quote(db['PASSWORD'])}" if db["PASSWORD"] else "")
    return {
        **os.environ,
        # The shape of production: a broker, a shared cache, real workers, the relay.
        "DJANGO_SETTINGS_MODULE": "alliance_portal.settings.local",
        "DATABASE_URL": f"postgres://{credentials}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}",
        "CELERY_BROKER_URL": redis.url(0),
        "REDIS_URL": redis.url(1),
        "EMAIL_URL": f"smtp://127.0.0.1:{sink.port}",
        "PRIVATE_MEDIA_ROOT": str(settings.PRIVATE_MEDIA_ROOT),
        "ALLIANCE_SIGNING_KEY": str(settings.ALLIANCE_SIGNING_KEY),
        "ALLIANCE_SIGNING_CERT": str(settings.ALLIANCE_SIGNING_CERT),
        "ALLIANCE_OUTBOX_RETRY_SECONDS": "0.5",
        "ALLIANCE_OUTBOX_RETRY_MAX_SECONDS": "2",
        "ALLIANCE_OUTBOX_POLL_SECONDS": "0.2",
    }


class Process:
    def __init__(self, command: list[str], env: dict[str, str], log: Path) -> None:
        self.log = log
        self.process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT
        )

    def wait_for(self, text: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in self.log.read_text(errors="replace"):
                return
            assert self.process.poll() is None, self.log.read_text()[-3000:]
            time.sleep(0.1)
        raise AssertionError(f"{text!r} never logged:\n{self.log.read_text()[-3000:]}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()


def wait_until(check, timeout: float = 120, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def production_shape(transactional_db, reference_data, settings, tmp_path):
    """A Redis of our own, an SMTP server, a worker and a relay; this process plays the web
    server, as production configures it: the outbox is never relayed from a request."""
    with RedisServer() as redis, SmtpSink() as sink:
        env = _env(redis, sink)
        worker = Process(
            [
                *[sys.executable, "-m", "celery", "-A", "alliance_portal", "worker"],
                *["--pool=solo", "--without-heartbeat", "--without-gossip", "--without-mingle"],
                *["--loglevel", "INFO"],
            ],
            env,
            tmp_path / "worker.log",
        )
        relay = Process([sys.executable, "manage.py", "outbox_relay"], env, tmp_path / "relay.log")
        settings.ALLIANCE_OUTBOX_INLINE = False
        settings.CACHES = {
            "default": {**settings.CACHES["default"], "LOCATION": redis.url(1)}
            if "Redis" in settings.CACHES["default"]["BACKEND"]
            else settings.CACHES["default"]
        }
        try:
            worker.wait_for("ready")
            yield redis, sink
        finally:
            relay.stop()
            worker.stop()


def test_redis_down_loses_nothing_and_sends_everything_once(production_shape, client):
    redis, sink = production_shape
    staff = UserFactory(staff=True)
    licence = licence_in("issued")
    signatory = signatory_of(licence.member)
    cycle = cycle_for("open")
    officer = signatory_of(cycle.member)
    answer_everything(cycle, officer)

    redis.stop()  # the broker and the shared cache are gone

    login_with_password(client, signatory)
    response = client.post(
        reverse("licensing:licence_sign", args=[licence.pk]),
        {
            "accepted": [key for key, _text in consents()],
            "typed_name": "Ivan Petrov",
            "typed_title": "Director",
            "shown_sha256": sha256_text(agreement_text(licence)),
        },
    )
    assert response.status_code == 302, response.content[:500]
    login_with_password(client, officer)
    response = client.post(
        reverse("compliance:cycle_submit", args=[cycle.pk]),
        {"typed_name": "Olga Ivanova", "declared": "on"},
    )
    assert response.status_code == 302, response.content[:500]
    login_with_mfa(client, staff)
    act = reverse("admin:compliance_reviewcycle_act", args=[cycle.pk, "start_review"])
    assert client.post(act).status_code == 302
    act = reverse("admin:compliance_reviewcycle_act", args=[cycle.pk, "accept"])
    assert client.post(act, {"grade": "compliant", "note": "Well done."}).status_code == 302
    client.force_login(signatory)
    response = client.post(
        reverse("portal:team_invite", args=[licence.member_id]),
        {"email": "new.colleague@example.com", "role": "viewer"},
    )
    assert response.status_code == 302, response.content[:500]

    # Everything is recorded; no task reached the broker while it was down.
    tasks = OutboxMessage.objects.filter(kind="task")
    assert tasks.count() >= 2  # the signed agreement and the certificate to render
    assert not tasks.filter(status="delivered").exists()
    licence.refresh_from_db()
    assert licence.status == "active" and licence.signed_pdf_id is None
    certificate = ComplianceCertificate.objects.get(cycle=cycle)
    assert certificate.status == CertificateStatus.PENDING

    redis.start()  # back, empty, on the same port; nothing else is restarted

    def all_done() -> bool:
        return (
            not OutboxMessage.objects.exclude(status="delivered").exists()
            and LicenceAgreement.objects.filter(pk=licence.pk, signed_pdf__isnull=False).exists()
            and ComplianceCertificate.objects.filter(
                pk=certificate.pk, status=CertificateStatus.ISSUED
            ).exists()
        )

    wait_until(all_done, what="every message delivered and every PDF rendered")
    emails = list(OutboxMessage.objects.filter(kind="email"))
    sink.wait_for(len(emails))
    time.sleep(2)  # room for a repeat to show up
    assert sorted(sink.message_ids()) == sorted(m.message_id for m in emails)
    assert len(set(sink.message_ids())) == len(emails)  # each exactly once
    recipients = {to for to, _message in sink.received}
    assert {signatory.email, officer.email, "new.colleague@example.com"} <= recipients
    certificate.refresh_from_db()
    licence.refresh_from_db()
    assert Document.objects.filter(original_name=f"{licence.number}-signed.pdf").count() == 1
    assert Document.objects.filter(original_name=f"{certificate.number}.pdf").count() == 1
