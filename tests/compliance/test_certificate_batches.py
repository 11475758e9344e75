"""Long jobs resume: the re-issue batch works member by member with its progress in the
database, the sweeper restarts a batch that stopped moving, and render tasks retry passing
database trouble."""

from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from unittest import mock

import psycopg
import pytest
from django.db import OperationalError
from django.utils import timezone

from alliance_portal.celery import app as celery_app
from alliance_portal.models import AuditEvent, OutboxMessage
from compliance import services, tasks
from compliance.models import CertificateBatch, ComplianceCertificate
from compliance.services import certificates as certificate_services
from compliance.services.jobs_registry import JOBS
from licensing import services as licensing_services
from licensing import tasks as licensing_tasks
from tests.concurrency import monitor_connection, race
from tests.factories import UserFactory, cycle_for

RUN_TASK = "compliance.tasks.certificate_batch_run"


@pytest.fixture
def no_relay(settings):
    """Renders wait in the outbox: these tests are about the batch, not the PDFs."""
    settings.ALLIANCE_OUTBOX_INLINE = False


@pytest.fixture
def monitor() -> Iterator[psycopg.Connection]:
    with monitor_connection() as conn:
        yield conn


def certifiable_members(count: int) -> list[Any]:
    """Members whose latest review was accepted, on an active licence."""
    return [cycle_for("accepted").member for _ in range(count)]


def certificates_per_member(members) -> list[int]:
    return [ComplianceCertificate.objects.filter(member=m).count() for m in members]


@pytest.mark.django_db
def test_a_run_that_dies_leaves_its_progress_and_the_next_run_carries_on(no_relay, staff_user):
    members = certifiable_members(3)
    batch = services.certificate_batch_start(actor=staff_user, members=members)
    real_create = certificate_services.certificate_pending_create
    calls = []

    def dies_on_the_second(**kwargs: Any) -> Any:
        calls.append(kwargs)
        if len(calls) == 2:
            raise OperationalError("the worker lost its database")
        return real_create(**kwargs)

    with (
        mock.patch.object(certificate_services, "certificate_pending_create", dies_on_the_second),
        pytest.raises(OperationalError),
    ):
        certificate_services.certificate_batch_run(batch_id=batch.pk)
    batch.refresh_from_db()
    assert (batch.done, batch.skipped, batch.finished_at) == (1, 0, None)
    assert certificates_per_member(members) == [1, 0, 0]

    certificate_services.certificate_batch_run(batch_id=batch.pk)
    batch.refresh_from_db()
    assert (batch.done, batch.skipped) == (3, 0) and batch.finished_at is not None
    assert certificates_per_member(members) == [1, 1, 1]
    # A run of a finished batch changes nothing.
    certificate_services.certificate_batch_run(batch_id=batch.pk)
    assert certificates_per_member(members) == [1, 1, 1]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_runs_of_one_batch_at_once_handle_each_member_once(reference_data, no_relay, monitor):
    """The sweeper's run and the original task's (handed back by the broker) may overlap:
    they take turns, member by member."""
    members = certifiable_members(3)
    staff = UserFactory(staff=True)
    batch = services.certificate_batch_start(actor=staff, members=members)
    real_create = certificate_services.certificate_pending_create

    def first(pause):
        paused_once = []

        def create(**kwargs: Any) -> Any:
            if not paused_once:
                paused_once.append(True)
                pause()  # inside the first member's transaction, the batch row locked
            return real_create(**kwargs)

        with mock.patch.object(certificate_services, "certificate_pending_create", create):
            certificate_services.certificate_batch_run(batch_id=batch.pk)

    def second():
        certificate_services.certificate_batch_run(batch_id=batch.pk)

    assert race(first, second, monitor) == []
    batch.refresh_from_db()
    assert (batch.done, batch.skipped) == (3, 0) and batch.finished_at is not None
    assert certificates_per_member(members) == [1, 1, 1]


@pytest.mark.django_db
def test_the_sweeper_resumes_only_unfinished_batches_that_stopped_moving(no_relay, staff_user):
    members = certifiable_members(1)
    long_ago = timezone.now() - timedelta(minutes=10)
    stalled = services.certificate_batch_start(actor=staff_user, members=members)
    services.certificate_batch_start(actor=staff_user, members=members)  # moving: left alone
    finished = services.certificate_batch_start(actor=staff_user, members=members)
    CertificateBatch.objects.filter(pk__in=[stalled.pk, finished.pk]).update(progressed_at=long_ago)
    CertificateBatch.objects.filter(pk=finished.pk).update(finished_at=long_ago)
    queued = set(OutboxMessage.objects.filter(task_name=RUN_TASK).values_list("pk", flat=True))

    assert certificate_services.certificate_batches_resume(stalled_minutes=5) == 1
    resumed = OutboxMessage.objects.filter(task_name=RUN_TASK).exclude(pk__in=queued)
    assert [m.task_args for m in resumed] == [[stalled.pk]]
    assert AuditEvent.objects.get(action="certificate.batch_resumed").target_id == str(stalled.pk)
    # Claimed: its progress time moved on, so the next sweep leaves it to the resumed run.
    assert certificate_services.certificate_batches_resume(stalled_minutes=5) == 0
    tasks.certificate_batch_run.apply(args=[stalled.pk])
    stalled.refresh_from_db()
    assert stalled.done == 1 and stalled.finished_at is not None


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_sweepers_at_once_resume_a_batch_once(reference_data, no_relay, monitor):
    staff = UserFactory(staff=True)
    batch = services.certificate_batch_start(actor=staff, members=certifiable_members(1))
    CertificateBatch.objects.filter(pk=batch.pk).update(
        progressed_at=timezone.now() - timedelta(minutes=10)
    )
    counts: dict[str, int] = {}
    real_record = certificate_services.audit_record

    def first(pause):
        def record(**kwargs: Any) -> Any:
            if kwargs["action"] == "certificate.batch_resumed":
                pause()  # the batch claimed, not yet committed
            return real_record(**kwargs)

        with mock.patch.object(certificate_services, "audit_record", record):
            counts["first"] = certificate_services.certificate_batches_resume()

    def second():
        counts["second"] = certificate_services.certificate_batches_resume()

    assert race(first, second, monitor) == []
    assert counts == {"first": 1, "second": 0}
    # One run queued by the start, one by the sweep.
    assert OutboxMessage.objects.filter(task_name=RUN_TASK, task_args=[batch.pk]).count() == 2


def test_the_sweeper_is_a_job_that_beat_runs_every_few_minutes():
    assert JOBS["resume_certificate_batches"] is certificate_services.certificate_batches_resume
    [entry] = [
        entry
        for entry in celery_app.conf.beat_schedule.values()
        if entry.get("args") == ["resume_certificate_batches"]
    ]
    assert entry["task"] == "compliance.tasks.run_job"
    # Stalled after 5 minutes, looked for every 2: no batch waits more than 10 minutes.
    assert entry["schedule"].minute == set(range(0, 60, 2))


@pytest.mark.parametrize(
    ("task", "module", "service", "argument"),
    [
        (tasks.certificate_render, certificate_services, "certificate_render", "certificate_id"),
        (
            licensing_tasks.licence_render_signed_pdf,
            licensing_services,
            "licence_render_signed_pdf",
            "licence_id",
        ),
    ],
)
@pytest.mark.parametrize("trouble", [OperationalError("server closed the connection"), OSError])
def test_render_tasks_retry_passing_trouble_with_backoff(task, module, service, argument, trouble):
    outcomes = [trouble, None]

    def render(**kwargs: Any) -> None:
        assert kwargs == {argument: 7}
        if (outcome := outcomes.pop(0)) is not None:
            raise outcome

    with (
        mock.patch.object(module, service, render),
        mock.patch.object(task, "retry", wraps=task.retry) as retry,
    ):
        result = task.apply(args=[7], throw=False)
    assert result.successful() and outcomes == []
    [call] = retry.call_args_list
    assert "countdown" in call.kwargs  # backoff: the delay grows with each retry
