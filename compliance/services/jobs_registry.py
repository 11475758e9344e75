"""Every periodic job by name: run by Celery beat (``compliance.tasks.run_job``) and by
``manage.py run_job NAME``."""

from collections.abc import Callable

from alliance_portal.documents import orphan_files_sweep
from alliance_portal.exports import exports_expire
from alliance_portal.notifications import notification_digests_send
from licensing.services import licences_expire_due, licences_render_missing_pdfs

from .cases import cases_start_delivered_windows
from .certificates import (
    auditor_grants_expired_notify,
    certificate_batches_resume,
    certificates_expire_due,
    certificates_render_pending,
)
from .jobs import cycles_open_due, overdue_escalate, reminders_send, staff_digest_send
from .validity import document_validity_check

JOBS: dict[str, Callable[[], object]] = {
    "open_due_cycles": cycles_open_due,
    "send_reminders": reminders_send,
    "send_staff_digest": staff_digest_send,
    "escalate_overdue": overdue_escalate,
    "expire_licences": licences_expire_due,
    "expire_certificates": certificates_expire_due,
    "render_pending_certificates": certificates_render_pending,
    "resume_certificate_batches": certificate_batches_resume,
    "render_missing_licence_pdfs": licences_render_missing_pdfs,
    "sweep_orphan_files": orphan_files_sweep,
    "start_response_windows": cases_start_delivered_windows,
    "notify_expired_auditor_grants": auditor_grants_expired_notify,
    "send_notification_digests": notification_digests_send,
    "expire_exports": exports_expire,
    "check_document_validity": document_validity_check,
}
