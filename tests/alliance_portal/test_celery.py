"""The Celery app as configured, and one real worker on Redis running a real job."""

import os
import subprocess
import sys
import time
import uuid
from datetime import timedelta
from importlib import import_module
from pathlib import Path
from urllib.parse import quote

import pytest
from celery.signals import task_prerun
from django.conf import settings
from django.db import connection
from django.utils import timezone

from alliance_portal.celery import app as celery_app
from alliance_portal.tasks import sessions_clear_expired

ROOT = Path(__file__).resolve().parents[2]


def test_configuration_is_json_only_with_limits_and_late_acks():
    conf = celery_app.conf
    assert conf.task_serializer == "json"
    assert conf.accept_content == ["json"]
    assert conf.task_acks_late is True
    assert conf.task_reject_on_worker_lost is True
    assert 0 < conf.task_soft_time_limit < conf.task_time_limit


def test_every_scheduled_job_is_a_registered_task():
    celery_app.loader.import_default_modules()
    for name, entry in celery_app.conf.beat_schedule.items():
        assert entry["task"] in celery_app.tasks, name


def test_every_scheduled_run_job_names_a_registered_job():
    """A typo in a job's name would only show at night, as a KeyError in the worker."""
    from compliance.services.jobs_registry import JOBS

    run_job = [
        (name, entry)
        for name, entry in celery_app.conf.beat_schedule.items()
        if entry["task"] == "compliance.tasks.run_job"
    ]
    assert run_job, "no beat entry runs compliance.tasks.run_job"
    for name, entry in run_job:
        args = list(entry.get("args", ())) + list(entry.get("kwargs", {}).values())
        assert len(args) == 1, name
        assert args[0] in JOBS, f"beat entry {name!r} runs {args[0]!r}, not a job in JOBS"


def test_a_worker_keeps_its_database_connection_from_task_to_task():
    """Celery's Django fix-up closes the connection around every task unless told to reuse it
    (a new PostgreSQL session per certificate render)."""
    from celery.fixups.django import DjangoWorkerFixup

    assert DjangoWorkerFixup(celery_app).db_reuse_max == settings.CELERY_DB_REUSE_MAX > 0


def _around_a_task(task, *, eager: bool) -> None:
    task.push_request(is_eager=eager)
    try:
        task_prerun.send(sender=task, task_id="t", task=task, args=(), kwargs={})
    finally:
        task.pop_request()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_kept_connection_that_broke_is_replaced_before_the_next_task():
    """The worker keeps its connection, so before each task it is checked as Django checks it
    before each request: one the database dropped (a restart) is opened anew."""
    from tests.concurrency import monitor_connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        [old_pid] = cursor.fetchone()
    _around_a_task(sessions_clear_expired, eager=False)
    assert connection.connection is not None  # a healthy connection is kept
    with monitor_connection() as monitor:
        monitor.execute("SELECT pg_terminate_backend(%s)", [old_pid])
    _around_a_task(sessions_clear_expired, eager=False)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        [new_pid] = cursor.fetchone()
    assert new_pid != old_pid


@pytest.mark.django_db
def test_an_eager_task_leaves_its_callers_transaction_and_connection_alone():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    kept = connection.connection
    assert connection.in_atomic_block
    _around_a_task(sessions_clear_expired, eager=True)
    assert connection.connection is kept


@pytest.fixture
def real_worker():
    """A `celery worker` process on Redis, using this test's database, on a private queue."""
    db = connection.settings_dict
    credentials = quote(db["USER"]) + (f":{quote(db['PASSWORD'])}" if db["PASSWORD"] else "")
    database_url = f"postgres://{credentials}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"
    queue = f"test-{uuid.uuid4().hex}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "alliance_portal.settings.test",
        "DATABASE_URL": database_url,
    }
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "alliance_portal",
            "worker",
            "--pool=solo",
            "--concurrency=1",
            "-Q",
            queue,
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
            "--loglevel=INFO",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = False
    try:
        yield queue
    finally:
        celery_app.conf.task_always_eager = eager
        worker.terminate()
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_runs_a_periodic_job(real_worker):
    store = import_module(settings.SESSION_ENGINE).SessionStore
    expired = store()
    expired["k"] = "v"
    expired.create()
    store.get_model_class().objects.filter(session_key=expired.session_key).update(
        expire_date=timezone.now() - timedelta(days=1)
    )
    live = store()
    live.create()

    sessions_clear_expired.apply_async(queue=real_worker)

    model = store.get_model_class()
    deadline = time.monotonic() + 60
    while model.objects.filter(session_key=expired.session_key).exists():
        assert time.monotonic() < deadline, "the worker did not run the job within 60 s"
        time.sleep(0.2)
    assert model.objects.filter(session_key=live.session_key).exists()
