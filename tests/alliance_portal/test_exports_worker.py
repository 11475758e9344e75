"""A long export written by a real Celery worker on Redis, then downloaded by its requester."""

import time

import pytest
from django.test import Client
from django.urls import reverse

from alliance_portal.models import ExportJob
from tests.alliance_portal.test_exports import (
    MEMBERS_HEADER,
    export_url,
    member_row,
    workbook_rows,
)
from tests.compliance import test_real_worker as real_worker
from tests.factories import MemberFactory, UserFactory
from tests.helpers import login_with_mfa

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

queue = real_worker.queue


def wait_until_finished(job: ExportJob, timeout: float = 90) -> ExportJob:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if job.finished:
            return job
        time.sleep(0.2)
    raise AssertionError(f"the export is still {job.status}")


def test_a_long_export_runs_in_the_worker_and_downloads_for_its_requester_only(
    queue, settings, tmp_path
):
    name, workers = queue
    worker = real_worker.Worker(name, log=tmp_path / "worker.log")
    workers.append(worker)
    settings.ALLIANCE_EXPORT_INLINE_ROWS = 10
    members = [MemberFactory(country="BE" if n % 3 else "NL") for n in range(45)]
    requester, colleague = UserFactory(staff=True), UserFactory(staff=True)
    client, other = Client(), Client()
    login_with_mfa(client, requester)
    login_with_mfa(other, colleague)

    url = export_url("members_member", "xlsx", "country=BE")
    offer = client.get(url)
    assert offer.status_code == 200 and "30 rows" in offer.content.decode()
    worker.wait_for("ready")
    response = client.post(url)  # the commit queues the task through the outbox
    job = ExportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("exports:job", args=[job.pk])

    job = wait_until_finished(job)
    assert job.status == ExportJob.Status.DONE, job.error
    worker.wait_for("alliance_portal.tasks.export_run")  # written by the worker, not here
    assert (job.rows_done, job.rows_total) == (30, 30)

    download = reverse("exports:download", args=[job.pk])
    assert other.get(download).status_code == 404
    assert other.get(reverse("exports:job", args=[job.pk])).status_code == 404
    file = client.get(download)
    assert file.status_code == 200
    rows = workbook_rows(b"".join(file.streaming_content))
    belgian = sorted((m for m in members if m.country.code == "BE"), key=lambda m: m.legal_name)
    assert rows == [MEMBERS_HEADER, *[member_row(m) for m in belgian]]
