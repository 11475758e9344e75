"""The export buttons' view, and the requester's pages of background exports."""

from typing import Any
from uuid import UUID

from django.conf import settings
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.views.decorators.http import require_safe

from ..models import ExportJob
from .services import (
    ExportRefused,
    export_job_download,
    export_job_start,
    export_jobs_of,
    export_list,
    export_query,
    export_response,
    exportable_admin,
)


def _page(
    request: HttpRequest, template: str, context: dict[str, Any], status: int = 200
) -> TemplateResponse:
    return TemplateResponse(
        request, template, {**admin.site.each_context(request), **context}, status=status
    )


def changelist_export(request: HttpRequest, model_admin: Any, file_format: str) -> HttpResponseBase:
    """GET: the list's rows as a file, or (past the inline limit) a page offering to prepare
    it in the background; POST from that page: queue the job."""
    if file_format not in ExportJob.Format.values:
        raise Http404("unknown format")
    if request.method not in ("GET", "HEAD", "POST"):
        return HttpResponseNotAllowed(["GET", "HEAD", "POST"])
    opts = model_admin.model._meta
    context: dict[str, Any] = {"opts": opts, "file_format": file_format.upper()}
    try:
        query = export_query(request.GET)
        export = export_list(model_admin, user=request.user, query=query)
    except ExportRefused as error:
        return _page(request, "admin/export_confirm.html", {**context, "error": error}, 400)
    if request.method == "POST":
        job = export_job_start(
            actor=request.user, export=export, file_format=file_format, query=query, request=request
        )
        return redirect("exports:job", job.pk)
    if export.total > settings.ALLIANCE_EXPORT_INLINE_ROWS:
        return _page(
            request,
            "admin/export_confirm.html",
            {**context, "rows": export.total, "query": query, "title": export.title},
        )
    return export_response(
        export, actor=request.user, file_format=file_format, query=query, request=request
    )


@require_safe
def job_list(request: HttpRequest) -> HttpResponse:
    jobs = export_jobs_of(request.user)[:50]
    return _page(request, "admin/export_jobs.html", {"jobs": jobs})


@require_safe
def job_detail(request: HttpRequest, pk: UUID) -> HttpResponse:
    """The job's progress; to htmx, only the part that changes (polled until it ends)."""
    job = get_object_or_404(export_jobs_of(request.user), pk=pk)
    if getattr(request, "htmx", False):
        return TemplateResponse(request, "admin/export_job_status.html", {"job": job})
    return _page(request, "admin/export_job.html", {"job": job, "title": job.list_title})


@require_safe
def job_download(request: HttpRequest, pk: UUID) -> HttpResponseBase:
    job = get_object_or_404(export_jobs_of(request.user), pk=pk)
    model_admin = exportable_admin(job.model_label)
    # Whoever lost the right to view the list since has lost its export too.
    if model_admin is None or not model_admin.has_view_or_change_permission(request):
        raise PermissionDenied
    return export_job_download(request, job, actor=request.user)
