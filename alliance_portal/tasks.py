from importlib import import_module

from celery import shared_task
from django.conf import settings

from .audit import audit_chain_monitor


@shared_task
def audit_chain_verify() -> dict[str, object]:
    report = audit_chain_monitor()
    return {"ok": report.ok, "checked": report.checked, "broken_seq": report.broken_seq}


@shared_task
def sessions_clear_expired() -> None:
    import_module(settings.SESSION_ENGINE).SessionStore.clear_expired()
