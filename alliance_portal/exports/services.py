"""Exports of admin lists: the list rebuilt for its requester, written at once or by a job.

The rows are the admin's own: its ChangeList applies the list's filters, search and
ordering to the admin's queryset (with its ``list_select_related``), for the user who asked,
so an export holds exactly the rows the list shows, across all its pages. A list of up to
``ALLIANCE_EXPORT_INLINE_ROWS`` rows is written in the request; a longer one by the
``export_run`` task, which rebuilds the same list from the job's query string and writes it
in batches, recording its progress.
"""

import io
import logging
import tempfile
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, TypeVar

from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.contrib.admin.options import IS_POPUP_VAR, TO_FIELD_VAR, IncorrectLookupParameters
from django.contrib.admin.views.main import ALL_VAR, ERROR_FLAG, PAGE_VAR
from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.core.files import File
from django.db import models, transaction
from django.http import FileResponse, Http404, HttpRequest, QueryDict, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from ..audit import audit_record
from ..documents.services import attachment_disposition
from ..documents.storage import old_files, private_storage
from ..jobs import enqueue_on_commit
from ..locks import for_update, lock
from ..models import EXPORT_TRANSITIONS, ExportJob
from ..states import move
from .tables import (
    CSV_CONTENT_TYPE,
    XLSX_CONTENT_TYPE,
    Column,
    csv_lines,
    csv_write,
    rows_of,
    xlsx_write,
)

logger = logging.getLogger(__name__)
R = TypeVar("R", bound=HttpResponseBase)

Status = ExportJob.Status
Format = ExportJob.Format

FOLDER = "exports"
BATCH = 500
# A job not finished this long after it started (or was queued) has lost its worker.
STALE_AFTER = timedelta(hours=1)
# Parameters of the list page that change how it is shown, not which rows it holds.
PAGE_ONLY_PARAMS = (PAGE_VAR, ALL_VAR, ERROR_FLAG, IS_POPUP_VAR, TO_FIELD_VAR)
MAX_QUERY_LENGTH = ExportJob._meta.get_field("query").max_length or 2000


class ExportRefused(Exception):
    """The list cannot be exported as asked; the message says why, for the user."""


@dataclass
class ExportList:
    model_admin: Any
    columns: list[Column]
    queryset: models.QuerySet[Any]
    total: int

    @property
    def title(self) -> str:
        return str(self.model_admin.model._meta.verbose_name_plural)

    def file_name(self, file_format: str) -> str:
        opts = self.model_admin.model._meta
        return f"{opts.app_label}-{opts.model_name}-{timezone.localdate():%Y-%m-%d}.{file_format}"

    def rows(self) -> Any:
        return rows_of(self.queryset.iterator(chunk_size=BATCH), self.columns, self.model_admin)


def export_query(params: QueryDict) -> str:
    """The list page's query string, less what only pages or pops it up."""
    kept = params.copy()
    for name in PAGE_ONLY_PARAMS:
        kept.pop(name, None)
    query = kept.urlencode()
    if len(query) > MAX_QUERY_LENGTH:
        raise ExportRefused(_("These filters are too long to export."))
    return query


def exportable_admin(model_label: str) -> Any:
    """The admin of ``model_label`` if it offers exports, else None."""
    try:
        model = apps.get_model(model_label)
    except (LookupError, ValueError):
        return None
    model_admin = admin.site._registry.get(model)
    return model_admin if hasattr(model_admin, "get_export_fields") else None


def _list_request(model_admin: Any, *, user: Any, query: str) -> HttpRequest:
    """The list page's request, as the export's own code and the worker both build it: the
    same user and the same query string give the same rows."""
    opts = model_admin.model._meta
    request = HttpRequest()
    request.method = "GET"
    request.path = request.path_info = reverse(
        f"admin:{opts.app_label}_{opts.model_name}_changelist"
    )
    request.GET = QueryDict(query)
    request.META["QUERY_STRING"] = query
    request.user = user
    return request


def export_list(model_admin: Any, *, user: Any, query: str) -> ExportList:
    """The rows of the admin list ``user`` sees with ``query`` applied.

    PermissionDenied unless ``user`` is active staff who may view the list; ExportRefused when
    the filters are not valid for it (SuspiciousOperation, a 400, when they try a lookup the
    admin does not allow).
    """
    if not (user.is_active and user.is_staff):
        raise PermissionDenied
    request = _list_request(model_admin, user=user, query=query)
    if not model_admin.has_view_or_change_permission(request):
        raise PermissionDenied
    try:
        changelist = model_admin.get_changelist_instance(request)
    except IncorrectLookupParameters:
        raise ExportRefused(_("These filters are not valid for this list.")) from None
    columns = model_admin.get_export_columns(request)
    return ExportList(model_admin, columns, changelist.queryset, changelist.result_count)


def _audit_payload(export: ExportList, file_format: str, query: str) -> dict[str, Any]:
    return {
        "list": export.model_admin.model._meta.label_lower,
        "format": file_format,
        "filters": query,
        "rows": export.total,
    }


def _download_headers(response: R, name: str) -> R:
    response["Content-Disposition"] = attachment_disposition(name)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store, private"
    return response


def _in_language(language: str, lines: Any) -> Any:
    # A streamed body is produced after the view returns: in the request's language still.
    with translation.override(language):
        yield from lines


def export_response(
    export: ExportList, *, actor: Any, file_format: str, query: str, request: HttpRequest
) -> StreamingHttpResponse | FileResponse:
    """A short list, written in the request. Audited."""
    if request.method == "GET":
        audit_record(
            actor=actor,
            action="export.downloaded",
            payload=_audit_payload(export, file_format, query),
            request=request,
        )
    name = export.file_name(file_format)
    if file_format == Format.CSV:
        language = translation.get_language() or settings.LANGUAGE_CODE
        lines = _in_language(language, csv_lines(export.columns, export.rows()))
        return _download_headers(StreamingHttpResponse(lines, content_type=CSV_CONTENT_TYPE), name)
    # Built in a temporary file (gone once the response closes it), not in memory.
    handle = tempfile.TemporaryFile()  # noqa: SIM115 - FileResponse closes it
    try:
        xlsx_write(handle, export.title, export.columns, export.rows())
        handle.seek(0)
    except BaseException:
        handle.close()
        raise
    return _download_headers(FileResponse(handle, content_type=XLSX_CONTENT_TYPE), name)


# --- jobs ------------------------------------------------------------------------------------


def export_jobs_of(user: Any) -> models.QuerySet[ExportJob]:
    """The exports ``user`` asked for: nobody sees another's."""
    if not (user.is_authenticated and user.is_active and user.is_staff):
        return ExportJob.objects.none()
    return ExportJob.objects.filter(requested_by=user)


def export_job_start(
    *,
    actor: Any,
    export: ExportList,
    file_format: str,
    query: str,
    request: HttpRequest | None = None,
) -> ExportJob:
    """Queue a long list for the worker (through the outbox: the request never waits on the
    broker). Audited."""
    if file_format not in Format.values:
        raise ExportRefused(_("Unknown export format."))
    with transaction.atomic():
        job = ExportJob.objects.create(
            requested_by=actor,
            model_label=export.model_admin.model._meta.label_lower,
            query=query,
            file_format=file_format,
            language=translation.get_language() or settings.LANGUAGE_CODE,
            rows_total=export.total,
        )
        audit_record(
            actor=actor,
            action="export.requested",
            target=job,
            payload=_audit_payload(export, file_format, query),
            request=request,
        )
        from ..tasks import export_run

        enqueue_on_commit(export_run, str(job.pk))
    return job


def export_job_run(*, job_id: str) -> ExportJob | None:
    """The worker's part: rebuild the list for the requester, write it in batches with
    progress, keep the file. Idempotent: a job already done, failed or being written by a
    live run is left alone; one whose run died long ago is taken over."""
    job = _claim(job_id)
    if job is None:
        return None
    # Headings, choice labels and any message for the requester in the requester's language.
    with translation.override(job.language):
        try:
            model_admin = exportable_admin(job.model_label)
            if model_admin is None:
                raise ExportRefused(_("This list can no longer be exported."))
            export = export_list(model_admin, user=job.requested_by, query=job.query)
            name, rows = _write(job, export)
        except ExportRefused as error:
            return _fail(job, str(error))
        except (PermissionDenied, SuspiciousOperation):
            return _fail(job, _("You may no longer export this list."))
        except Exception:
            logger.exception("Export %s failed", job.pk)
            return _fail(job, _("The export stopped with an error. Please try again."))
    return _finish(job, name, rows)


def _claim(job_id: str) -> ExportJob | None:
    now = timezone.now()
    with transaction.atomic():
        try:
            job = lock(ExportJob, job_id)
        except ExportJob.DoesNotExist:
            return None
        if job.status == Status.QUEUED:
            action = "start"
        elif job.status == Status.RUNNING and job.started_at and job.started_at < now - STALE_AFTER:
            action = "restart"
        else:
            return None
        job.status = move(job, EXPORT_TRANSITIONS, action)
        job.started_at = now
        job.rows_done = 0
        job.save(update_fields=["status", "started_at", "rows_done"])
    return job


def _ours(job: ExportJob) -> models.QuerySet[ExportJob]:
    """The job, if this run still holds it (no later run took it over, nobody failed it)."""
    return ExportJob.objects.filter(pk=job.pk, status=Status.RUNNING, started_at=job.started_at)


def _write(job: ExportJob, export: ExportList) -> tuple[str, int]:
    _ours(job).update(rows_total=export.total)

    def progress(done: int) -> None:
        _ours(job).update(rows_done=done)

    with tempfile.TemporaryFile() as handle:
        if job.file_format == Format.CSV:
            text = io.TextIOWrapper(handle, encoding="utf-8", newline="")
            rows = csv_write(text, export.columns, export.rows(), progress, every=BATCH)
            text.flush()
            text.detach()
        else:
            rows = xlsx_write(
                handle, export.title, export.columns, export.rows(), progress, every=BATCH
            )
        handle.seek(0)
        name = private_storage().save(
            f"{FOLDER}/{job.created_at:%Y/%m}/{job.pk}.{job.file_format}", File(handle)
        )
    return name, rows


def _finish(job: ExportJob, name: str, rows: int) -> ExportJob:
    now = timezone.now()
    with transaction.atomic():
        current = lock(ExportJob, job.pk)
        ours = current.status == Status.RUNNING and current.started_at == job.started_at
        if ours:
            current.status = move(current, EXPORT_TRANSITIONS, "finish")
            current.file_name = name
            current.rows_done = current.rows_total = rows
            current.finished_at = now
            current.expires_at = now + timedelta(hours=settings.ALLIANCE_EXPORT_KEEP_HOURS)
            current.save(
                update_fields=[
                    "status",
                    "file_name",
                    "rows_done",
                    "rows_total",
                    "finished_at",
                    "expires_at",
                ]
            )
    if not ours:
        _remove(name)  # another run took the job over, or it was given up meanwhile
    return current


def _fail(job: ExportJob, error: str) -> ExportJob:
    with transaction.atomic():
        current = lock(ExportJob, job.pk)
        if current.status == Status.RUNNING and current.started_at == job.started_at:
            current.status = move(current, EXPORT_TRANSITIONS, "fail")
            current.error = error[:500]
            current.finished_at = timezone.now()
            current.save(update_fields=["status", "error", "finished_at"])
    return current


def export_job_download(request: HttpRequest, job: ExportJob, *, actor: Any) -> FileResponse:
    """The file of a finished job, for its requester (the caller checked that). Audited."""
    if job.status != Status.DONE:
        raise Http404("not ready")
    try:
        handle = private_storage().open(job.file_name, "rb")
    except FileNotFoundError:
        raise Http404("missing file") from None
    if request.method == "GET":  # a HEAD request downloads nothing
        audit_record(
            actor=actor,
            action="export.downloaded",
            target=job,
            payload={"list": job.model_label, "format": job.file_format, "rows": job.rows_done},
            request=request,
        )
    content_type = CSV_CONTENT_TYPE if job.file_format == Format.CSV else XLSX_CONTENT_TYPE
    opts = apps.get_model(job.model_label)._meta
    name = f"{opts.app_label}-{opts.model_name}-{job.created_at:%Y-%m-%d}.{job.file_format}"
    return _download_headers(FileResponse(handle, content_type=content_type), name)


# --- the periodic clean-up -------------------------------------------------------------------


def exports_expire() -> dict[str, int]:
    """The periodic job: remove the files of exports past their time, give up jobs whose
    worker died, and remove files no finished job names (a run that lost a race or died
    between writing its file and recording it)."""
    now = timezone.now()
    expired = 0
    due = ExportJob.objects.filter(status=Status.DONE, expires_at__lt=now).order_by("pk")
    # A batch at a time, read by id (a batch never rescans those before it); a job another
    # process holds is left for the next run. Files go once their rows have committed.
    last_pk = None
    while ids := list(
        (due.filter(pk__gt=last_pk) if last_pk else due).values_list("pk", flat=True)[:BATCH]
    ):
        last_pk = ids[-1]
        with transaction.atomic():
            ending = list(for_update(due.filter(pk__in=ids), skip_locked=True))
            for export in ending:
                move(export, EXPORT_TRANSITIONS, "expire")  # refuses one no longer done
            ExportJob.objects.filter(pk__in=[export.pk for export in ending]).update(
                status=EXPORT_TRANSITIONS["expire"].target, file_name=""
            )
        expired += sum(_remove(export.file_name) for export in ending)
    stale = 0
    cutoff = now - STALE_AFTER
    lost = ExportJob.objects.filter(
        models.Q(status=Status.QUEUED, created_at__lt=cutoff)
        | models.Q(status=Status.RUNNING, started_at__lt=cutoff)
    ).order_by("pk")
    for job_id in list(lost.values_list("pk", flat=True)[:1000]):
        with transaction.atomic():
            job = for_update(lost.filter(pk=job_id), skip_locked=True).first()
            if job is None:
                continue
            job.status = move(job, EXPORT_TRANSITIONS, "fail")
            with translation.override(job.language):
                job.error = _("The export did not finish. Please start it again.")
            job.finished_at = now
            job.save(update_fields=["status", "error", "finished_at"])
            stale += 1
    orphans = 0
    for name, _path in old_files(FOLDER, older_than=(now - STALE_AFTER * 2).timestamp()):
        stored = f"{FOLDER}/{name}"
        if not ExportJob.objects.filter(status=Status.DONE, file_name=stored).exists():
            orphans += _remove(stored)
    if expired or stale or orphans:
        logger.info("Exports: %d expired, %d given up, %d stray files", expired, stale, orphans)
    return {"expired": expired, "given_up": stale, "orphans": orphans}


def _remove(name: str) -> int:
    try:
        private_storage().delete(name)
    except OSError:
        logger.exception("Could not remove export file %s", name)
        return 0
    return 1
