"""The Celery application.

Every task is thin: it takes ids, calls one service and owns its retries. The periodic jobs
are declared here, in code, so every beat process runs the same schedule; each one also
exists as a management command.
"""

import os
from typing import Any

from celery import Celery
from celery.schedules import crontab
from celery.signals import task_postrun, task_prerun
from django.db import close_old_connections

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "alliance_portal.settings.local")

app = Celery("alliance_portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.update(
    task_serializer="json",
    result_serializer="json",
    accept_content=["json"],
    result_accept_content=["json"],
    task_ignore_result=True,
    # A task that hangs is told to stop, then killed.
    task_soft_time_limit=240,
    task_time_limit=300,
    # Our tasks are idempotent: acknowledge after the work so a lost worker's task runs again.
    task_acks_late=True,
    task_reject_on_worker_lost=True,
    worker_prefetch_multiplier=1,
    # A task whose worker died unacknowledged goes back to the queue after this many seconds.
    broker_transport_options={
        "visibility_timeout": int(os.environ.get("CELERY_VISIBILITY_TIMEOUT", "3600"))
    },
    broker_connection_retry_on_startup=True,
    timezone="UTC",
    beat_schedule={
        "link-audit-chain": {
            "task": "alliance_portal.tasks.audit_chain_link",
            "schedule": 60.0,
        },
        "verify-audit-chain": {
            "task": "alliance_portal.tasks.audit_chain_verify",
            "schedule": crontab(hour=2, minute=15),
        },
        # Periodic jobs by name: compliance.services.jobs_registry (also `manage.py run_job`).
        "open-due-cycles": {
            "task": "compliance.tasks.run_job",
            "schedule": crontab(hour=1, minute=0),
            "args": ["open_due_cycles"],
        },
        "send-reminders": {
            "task": "compliance.tasks.run_job",
            "schedule": crontab(hour=7, minute=0),
            "args": ["send_reminders"],
        },
        "check-document-validity": {
            "task": "compliance.tasks.run_job",
            "schedule": crontab(hour=6, minute=30),
            "args": ["check_document_validity"],
        },
        "send-staff-digest": {
            "task": "compliance.tasks.run_job",
            "schedule": crontab(hour=7, minute=30),
            "args": ["send_staff_digest"],
        },
        "escalate-overdue": {
            "task": "compliance.tasks.run_job",
            "schedule": crontab(hour=6, minute=0),
            "args": ["escalate_overdue"],
        },
        "expire-licences": {
            "task": "compliance.tasks.run_job",
            "schedule": crontab(hour=0, minute=30),
            "args": ["expire_licences"],
        },
        "expire-certificates": {
            "task": "compliance.tasks.run_job",
            "schedule": crontab(hour=0, minute=40),
            "args": ["expire_certificates"],
        },
        "render-pending-certificates": {
            "task": "compliance.tasks.run_job",
            "schedule": crontab(minute="*/5"),
            "args": ["render_pending_certificates"],
        },
        # A re-issue batch whose worker died: resumed after five minutes without progress.
        "resume-certificate-batches": {
            "task": "compliance.tasks.run_job",
            "schedule": crontab(minute="*/2"),
            "args": ["resume_certificate_batches"],
        },
        # A notice delivered while its follow-up task was lost still starts its window.
        "start-response-windows": {
            "task": "compliance.tasks.run_job",
            "schedule": crontab(minute="*/10"),
            "args": ["start_response_windows"],
        },
        "render-missing-licence-pdfs": {
            "task": "compliance.tasks.run_job",
            "schedule": crontab(minute="*/10"),
            "args": ["render_missing_licence_pdfs"],
        },
        "sweep-orphan-files": {
            "task": "compliance.tasks.run_job",
            "schedule": crontab(minute=20),
            "args": ["sweep_orphan_files"],
        },
        "notify-expired-auditor-grants": {
            "task": "compliance.tasks.run_job",
            "schedule": crontab(hour=0, minute=50),
            "args": ["notify_expired_auditor_grants"],
        },
        # Members' and auditors' daily digests (those who chose one), after the morning jobs.
        "send-notification-digests": {
            "task": "compliance.tasks.run_job",
            "schedule": crontab(hour=8, minute=0),
            "args": ["send_notification_digests"],
        },
        # Export files past their time, and export jobs whose worker died.
        "expire-exports": {
            "task": "compliance.tasks.run_job",
            "schedule": crontab(minute=35),
            "args": ["expire_exports"],
        },
        # Sanctions screening (jobs added to the registry by the screening app): new and
        # changed people and companies, imports whose screening did not finish, and a weekly
        # full re-screen (done by the pending job, batch by batch).
        "screen-pending-subjects": {
            "task": "compliance.tasks.run_job",
            "schedule": crontab(minute="*/10"),
            "args": ["screen_pending_subjects"],
        },
        "screen-new-list-versions": {
            "task": "compliance.tasks.run_job",
            "schedule": crontab(minute="5-59/10"),
            "args": ["screen_new_list_versions"],
        },
        "rescreen-everyone": {
            "task": "compliance.tasks.run_job",
            "schedule": crontab(hour=4, minute=0, day_of_week=0),
            "args": ["rescreen_everyone"],
        },
        "clear-expired-sessions": {
            "task": "alliance_portal.tasks.sessions_clear_expired",
            "schedule": crontab(hour=3, minute=0),
        },
    },
)
app.autodiscover_tasks()


@task_prerun.connect
@task_postrun.connect
def _database_connection_checked(sender: Any = None, **kwargs: Any) -> None:
    """Around each task what Django does around each request (the worker keeps its connection:
    CELERY_DB_REUSE_MAX): a connection that failed or outlived DATABASE_CONN_MAX_AGE is closed,
    the others are checked on first use. Not around an eager task, which runs inside its
    caller's transaction."""
    if sender is not None and not getattr(sender.request, "is_eager", False):
        close_old_connections()
