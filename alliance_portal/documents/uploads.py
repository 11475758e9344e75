"""Upload handling at the HTTP layer: while the request body is parsed, before any view,
and when the storage fails under a view."""

import html
import logging
import types
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from django.http import HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParser
from django.shortcuts import render
from django.utils.datastructures import ImmutableList

from .errors import StorageUnavailable
from .validation import MAX_NAME_LENGTH, UNSAFE_NAME

logger = logging.getLogger(__name__)


class SizeLimitUploadHandler(FileUploadHandler):
    """First in FILE_UPLOAD_HANDLERS: drops a file the moment it passes the size limit.

    The bytes past the limit are never stored, in memory or on disk. The field names it
    dropped are left on ``request.oversized_uploads`` so the form can say why.
    """

    received = 0

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        self.received = 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        self.received += len(raw_data)
        if self.received > settings.ALLIANCE_UPLOAD_MAX_BYTES:
            oversized: set[str] = getattr(self.request, "oversized_uploads", set())
            oversized.add(str(self.field_name))
            self.request.oversized_uploads = oversized  # type: ignore[union-attr]
            raise SkipFile
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None


class StrictNameParser(MultiPartParser):
    """Django quietly cuts folders off uploaded names and shortens long ones. We refuse such
    a file instead, with a clear message: its name becomes a marker that
    ``validation.clean_name`` turns into that message."""

    def sanitize_file_name(self, file_name: str) -> str | None:
        raw = html.unescape(file_name)
        if "/" in raw or "\\" in raw or raw.strip().startswith(".."):
            return UNSAFE_NAME + "path"
        if len(raw) > MAX_NAME_LENGTH:
            return UNSAFE_NAME + "long"
        if any(not char.isprintable() for char in raw):
            return UNSAFE_NAME + "control"
        return super().sanitize_file_name(file_name)


def _strict_parse_file_upload(self: HttpRequest, META: Any, post_data: Any) -> Any:
    # Django's HttpRequest.parse_file_upload, with our parser.
    self.upload_handlers = ImmutableList(
        self.upload_handlers,
        warning="You cannot alter upload handlers after the upload has been processed.",
    )
    return StrictNameParser(META, post_data, self.upload_handlers, self.encoding).parse()


class StrictUploadNamesMiddleware:
    """Parse multipart bodies with :class:`StrictNameParser` (before anything reads POST).

    As the document store's middleware it also answers StorageUnavailable, from any view,
    with :func:`storage_unavailable_response`.
    """

    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.parse_file_upload = types.MethodType(_strict_parse_file_upload, request)  # type: ignore[method-assign]
        response: HttpResponse = self.get_response(request)
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, StorageUnavailable):
            return None
        logger.error("Private storage unavailable: %s", exception, exc_info=exception)
        return storage_unavailable_response(request, exception)


def storage_unavailable_response(request: HttpRequest, error: StorageUnavailable) -> HttpResponse:
    """503 with the reason. htmx would not swap a 5xx into the page (base.html's
    responseHandling), so an htmx request reloads the page, which shows the message."""
    if getattr(request, "htmx", False):
        messages.error(request, error.message)
        response = HttpResponse(error.message, status=503, content_type="text/plain")
        response["HX-Refresh"] = "true"
        return response
    return render(
        request,
        "alliance_portal/storage_unavailable.html",
        {"message": error.message},
        status=503,
    )
