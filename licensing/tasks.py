from celery import shared_task


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def licence_render_signed_pdf(licence_id: int) -> None:
    from .services import licence_render_signed_pdf as render  # services queue this task

    render(licence_id=licence_id)
