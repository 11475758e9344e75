"""Thin tasks: each takes ids and calls one service."""

from celery import shared_task


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def certificate_render(certificate_id: int) -> None:
    from .services.certificates import certificate_render as render

    render(certificate_id=certificate_id)


@shared_task
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
