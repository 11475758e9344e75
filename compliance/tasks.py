"""Thin tasks: each takes ids and calls one service."""

from celery import shared_task
from django.db import OperationalError

from alliance_portal.documents import StorageUnavailable

# A database restart or a full disk is passing trouble: a render runs again, later and later
# (the service is idempotent). The sweeper job picks up what still fails after that.
RETRY_ON = (OperationalError, OSError, StorageUnavailable)


@shared_task(autoretry_for=RETRY_ON, retry_backoff=True, retry_backoff_max=600, max_retries=8)
def certificate_render(certificate_id: int) -> None:
    from .services.certificates import certificate_render as render

    render(certificate_id=certificate_id)


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=8)
def certificate_batch_run(batch_id: int) -> None:
    from .services.certificates import certificate_batch_run as run

    run(batch_id=batch_id)


@shared_task
def certificates_render_pending() -> int:
    from .services.certificates import certificates_render_pending as sweep

    return sweep()


@shared_task
def run_job(name: str) -> object:
    from .services.jobs_registry import JOBS

    return JOBS[name]()


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=8)
def case_notice_delivered(message_id: int) -> None:
    """The outbox's follow-up once a notice e-mail was accepted by the mail server."""
    from .services.cases import case_notice_delivered as delivered

    delivered(message_id=message_id)
