from celery import shared_task


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def licence_render_signed_pdf(licence_id: int) -> None:
    from .services import licence_render_signed_pdf as render  # services queue this task

    render(licence_id=licence_id)


@shared_task
def licences_render_missing_pdfs() -> int:
    from .services import licences_render_missing_pdfs as sweep

    return sweep()


@shared_task
def licences_expire_due() -> int:
    from .services import licences_expire_due as expire

    return expire()
