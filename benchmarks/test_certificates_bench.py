"""Certificates (issue "scale", item 5): the render pipeline against bare WeasyPrint for the
same HTML, and a re-issue over two worker processes against the same PDFs rendered bare by two
processes.

The pipeline is what a worker does for one certificate (its HTML, the render, the signature,
the stored document, the issue recorded), timed in this process, warm, each round next to a
bare ``weasyprint.HTML(string=html).write_pdf()`` of that certificate's HTML.

The re-issue runs as production does, on PostgreSQL and Redis: a Celery worker with two
prefork processes and the outbox relay, each a process of its own, on a queue of the
benchmark's own. It is timed from the re-issue request to the last PDF stored.
``CERT_BENCH_COUNT`` (200 unless set) scales it down while developing.
"""

import multiprocessing
import os
import statistics
import subprocess
import sys
import time
import uuid

import pytest
import weasyprint
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import translation

from benchmarks.results import record
from compliance import services
from compliance.models import CertificateStatus, ComplianceCertificate
from compliance.services.certificates import (
    CERTIFICATE_PDF_TEMPLATE,
    certificate_pdf_context,
    certificate_pending_create,
)
from members.models import Member
from tests.compliance.test_real_worker import ROOT, Worker
from tests.factories import UserFactory, cycle_for

PIPELINE_ROUNDS = 15
REISSUE_COUNT = int(os.environ.get("CERT_BENCH_COUNT", "200"))
WARM_UP_COUNT = 4  # enough for each worker process to have rendered before the timing


def certificate_html(certificate_id: int) -> str:
    """The HTML the pipeline renders for this certificate."""
    certificate = ComplianceCertificate.objects.select_related(
        "member", "licence__guidelines", "cycle__guidelines"
    ).get(pk=certificate_id)
    with translation.override("en"):
        return render_to_string(CERTIFICATE_PDF_TEMPLATE, certificate_pdf_context(certificate))


def bare_render(html: str) -> bytes:
    pdf: bytes = weasyprint.HTML(string=html).write_pdf()
    return pdf


def pending_certificate() -> ComplianceCertificate:
    cycle = cycle_for("accepted")
    with transaction.atomic():
        certificate = certificate_pending_create(cycle=cycle)
    assert certificate is not None
    return certificate


def ratio_figure(ratio: float, ours: str, bare: str) -> str:
    return f"{ratio:.2f}x bare ({ours} vs {bare})"


@pytest.mark.django_db(transaction=True)
def test_certificate_pipeline_against_bare_weasyprint(benchmark, reference_data, settings):
    settings.ALLIANCE_OUTBOX_INLINE = False  # the worker records its messages; a relay sends them
    bare_seconds: list[float] = []

    def setup() -> tuple[tuple[int], dict[str, object]]:
        certificate = pending_certificate()
        html = certificate_html(certificate.pk)
        started = time.perf_counter()
        bare_render(html)
        bare_seconds.append(time.perf_counter() - started)
        return (certificate.pk,), {}

    def pipeline(certificate_id: int) -> None:
        issued = services.certificate_render(certificate_id=certificate_id)
        assert issued.status == CertificateStatus.ISSUED

    # Warm: both have rendered once (fonts, templates, the signer) before anything is timed.
    args, _kwargs = setup()
    pipeline(*args)
    bare_seconds.clear()

    benchmark.group = "certificate pipeline"
    benchmark.pedantic(pipeline, setup=setup, rounds=PIPELINE_ROUNDS, iterations=1)
    ours, bare = benchmark.stats.stats.median, statistics.median(bare_seconds)
    ratio = ours / bare
    record(
        "certificates",
        "pipeline for one certificate (median) vs bare WeasyPrint, same HTML",
        ratio_figure(ratio, f"{ours * 1000:.0f} ms", f"{bare * 1000:.0f} ms"),
        "≤ 1.2x bare",
        ratio <= 1.2,
    )


def issued_count(members: list[Member]) -> int:
    return ComplianceCertificate.objects.filter(
        member__in=members, status=CertificateStatus.ISSUED
    ).count()


def wait_until_issued(members: list[Member], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while issued_count(members) < len(members):
        if time.monotonic() > deadline:
            raise AssertionError(f"{issued_count(members)} of {len(members)} issued in time")
        time.sleep(0.2)  # the wall time is exact to that, and the looking costs next to nothing


@pytest.mark.postgres
@pytest.mark.redis
def test_reissue_over_two_worker_processes_against_bare_parallel(
    benchmark, reference_data, settings, tmp_path
):
    # Production's shape: the relay process, not this one, hands the queued tasks to the broker.
    settings.ALLIANCE_OUTBOX_INLINE = False
    queue = f"bench-{uuid.uuid4().hex}"
    staff = UserFactory(staff=True)
    warm_up = [cycle_for("accepted").member for _ in range(WARM_UP_COUNT)]
    members = [cycle_for("accepted").member for _ in range(REISSUE_COUNT)]
    worker = Worker(
        queue,
        log=tmp_path / "worker.log",
        visibility_timeout=3600,  # production's: a batch runs for longer than the tests' 3 s
        concurrency=2,
        env={"DJANGO_SETTINGS_MODULE": "benchmarks.settings_worker", "BENCH_QUEUE": queue},
    )
    relay = subprocess.Popen(
        [sys.executable, "manage.py", "outbox_relay"],
        cwd=ROOT,
        env=worker.env,
        stdout=(tmp_path / "relay.log").open("w"),
        stderr=subprocess.STDOUT,
    )
    try:
        worker.wait_for("ready")
        services.certificate_batch_start(actor=staff, members=warm_up)
        wait_until_issued(warm_up, timeout=120)

        def reissue() -> None:
            services.certificate_batch_start(actor=staff, members=members)
            wait_until_issued(members, timeout=60 + 10 * REISSUE_COUNT)

        benchmark.group = "certificate re-issue"
        benchmark.pedantic(reissue, rounds=1, iterations=1)
    finally:
        relay.terminate()
        relay.wait(timeout=30)
        worker.stop()
    ours = benchmark.stats.stats.median

    issued = ComplianceCertificate.objects.filter(member__in=members).values_list("pk", flat=True)
    htmls = [certificate_html(pk) for pk in issued]
    assert len(htmls) == REISSUE_COUNT
    with multiprocessing.get_context("fork").Pool(2) as pool:
        pool.map(bare_render, htmls[:WARM_UP_COUNT], chunksize=1)
        started = time.perf_counter()
        pool.map(bare_render, htmls, chunksize=1)
        bare = time.perf_counter() - started
    ratio = ours / bare
    record(
        "certificates",
        f"re-issue of {REISSUE_COUNT} certificates, 2 worker processes, vs bare Pool(2)",
        ratio_figure(ratio, f"{ours:.1f} s", f"{bare:.1f} s"),
        "≤ 1.3x bare parallel (200 certificates)",
        ratio <= 1.3,
    )
