from importlib import import_module

from celery import shared_task
from django.conf import settings

from .audit import audit_chain_extend, audit_chain_monitor


@shared_task
def audit_chain_verify() -> dict[str, object]:
    report = audit_chain_monitor()
    return {"ok": report.ok, "checked": report.checked, "broken_seq": report.broken_seq}


@shared_task
def audit_chain_link() -> int:
    """Chain what the writers' own after-commit chaining left behind (it gives way to a
    chainer already running)."""
    return audit_chain_extend()


@shared_task
def sessions_clear_expired() -> None:
    import_module(settings.SESSION_ENGINE).SessionStore.clear_expired()


@shared_task
def email_send(*, to: str, template: str, context: dict[str, object], language: str) -> None:
    """Messages queued by the previous release (before the outbox) and still in the broker:
    they become outbox rows, so a deploy loses none of them."""
    from .emails import email_queue

    email_queue(to=to, template=template, context=context, language=language)


# A long list takes longer than the default limits allow; the clean-up job gives up a job
# still running an hour after it started.
@shared_task(soft_time_limit=40 * 60, time_limit=45 * 60)
def export_run(job_id: str) -> None:
    from .exports import export_job_run

    export_job_run(job_id=job_id)
