from celery import shared_task
from django.db import OperationalError

from alliance_portal.documents import StorageUnavailable

# A database restart or a full disk is passing trouble: the render runs again, later and
# later (the service is idempotent). The sweeper job picks up what still fails after that.
RETRY_ON = (OperationalError, OSError, StorageUnavailable)


@shared_task(autoretry_for=RETRY_ON, retry_backoff=True, retry_backoff_max=600, max_retries=8)
def licence_render_signed_pdf(licence_id: int) -> None:
    from .services import licence_render_signed_pdf as render  # services queue this task

    render(licence_id=licence_id)
