import hashlib
import logging
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from itertools import islice
from pathlib import Path
from typing import Any
from urllib.parse import quote

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.http import FileResponse, Http404, HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from alliance_portal.audit import audit_record
from alliance_portal.models import Document

from .antivirus import ScannerUnavailable, get_scanner
from .errors import UploadRejected
from .storage import (
    FOLDERS,
    PENDING,
    file_discard_pending,
    file_move_into_place,
    file_move_on_commit,
    file_open,
    file_write_pending,
    old_files,
)
from .validation import check_content, check_size, clean_name

logger = logging.getLogger(__name__)


def document_store(
    *,
    actor: Any,
    uploaded_file: "UploadedFile[bytes]",
    request: HttpRequest | None = None,
    issued_on: date | None = None,
    expires_on: date | None = None,
) -> Document:
    """Check an upload and keep it. Raises UploadRejected before anything is stored, and
    StorageUnavailable (nothing stored either) when the storage cannot take the file.

    An infected file is kept in quarantine (never downloadable) and returned: the caller
    links nothing to it and tells the uploader. The file reaches its place when the
    caller's transaction commits (see ``storage``). ``issued_on`` and ``expires_on`` are the
    document's own dates as the uploader gave them (checked by the caller with
    ``validity.validity_dates_check``).
    """
    display_name, extension = clean_name(uploaded_file.name or "")
    check_size(uploaded_file.size or 0)
    content_type = check_content(uploaded_file, extension)
    digest = hashlib.sha256()
    for chunk in uploaded_file.chunks():  # chunks() always starts from the beginning
        digest.update(chunk)
    try:
        result = get_scanner().scan(uploaded_file.chunks())
    except ScannerUnavailable:
        raise UploadRejected(
            _("The file could not be checked for viruses just now. Please try again later."),
            code="scanner_unavailable",
        ) from None

    now = timezone.now()
    folder = "quarantine" if result.infected else f"documents/{now:%Y/%m}"
    stored_name = file_write_pending(f"{folder}/{uuid.uuid4().hex}.{extension}", uploaded_file)
    try:
        with transaction.atomic():
            document = Document.objects.create(
                original_name=display_name,
                extension=extension,
                content_type=content_type,
                size=uploaded_file.size or 0,
                sha256=digest.hexdigest(),
                storage_name=stored_name,
                scan_status=(
                    Document.ScanStatus.INFECTED
                    if result.infected
                    else Document.ScanStatus.CLEAN
                    if result.scanned
                    else Document.ScanStatus.NOT_SCANNED
                ),
                scan_detail=result.detail,
                uploaded_by=actor,
                uploaded_at=now,
                issued_on=issued_on,
                expires_on=expires_on,
            )
            audit_record(
                actor=actor,
                action="document.quarantined" if result.infected else "document.uploaded",
                target=document,
                payload={
                    "sha256": document.sha256,
                    "size": document.size,
                    "scan": result.detail,
                    **_dates_payload(document),
                },
                request=request,
            )
            file_move_on_commit(stored_name)
    except BaseException:
        file_discard_pending(stored_name)
        raise
    return document


def _dates_payload(document: Document) -> dict[str, str]:
    dates = {"issued_on": document.issued_on, "expires_on": document.expires_on}
    return {name: day.isoformat() for name, day in dates.items() if day is not None}


def document_store_generated(
    *, name: str, content: bytes, content_type: str, actor: Any = None
) -> Document:
    """Keep a file the portal made itself (a signed agreement, a certificate).

    No upload checks: the content is ours. Stored, hashed and audited like an upload, and
    like one it reaches its place when the caller's transaction commits.
    """
    display_name, extension = clean_name(name)
    now = timezone.now()
    stored_name = file_write_pending(
        f"generated/{now:%Y/%m}/{uuid.uuid4().hex}.{extension}", ContentFile(content)
    )
    try:
        with transaction.atomic():
            document = Document.objects.create(
                original_name=display_name,
                extension=extension,
                content_type=content_type,
                size=len(content),
                sha256=hashlib.sha256(content).hexdigest(),
                storage_name=stored_name,
                scan_status=Document.ScanStatus.CLEAN,
                scan_detail="generated by the portal",
                uploaded_by=actor,
                uploaded_at=now,
            )
            audit_record(
                actor=actor,
                action="document.generated",
                target=document,
                payload={"sha256": document.sha256, "size": document.size},
            )
            file_move_on_commit(stored_name)
    except BaseException:
        file_discard_pending(stored_name)
        raise
    return document


@contextmanager
def discard_file_on_rollback() -> Iterator[Callable[[Document], None]]:
    """Wrap a transaction that stores a document: if it fails, the pending file goes at once
    instead of waiting for the sweeper. (A file is only moved into place by a commit, so
    nothing else can be left.)

    ``with discard_file_on_rollback() as keep:`` then ``keep(document)`` once stored.
    """
    stored: list[Document] = []
    try:
        yield stored.append
    except BaseException:
        for document in stored:
            file_discard_pending(document.storage_name)
        raise


def orphan_files_sweep(*, older_than_minutes: int = 60) -> dict[str, int]:
    """The sweeper: finish moves a killed process never made, remove what no row names.

    Only files older than ``older_than_minutes`` are looked at, so a transaction still
    running (far shorter than that) keeps its pending file.
    """
    cutoff = time.time() - older_than_minutes * 60
    moved = removed = 0
    for batch in _batches(old_files(PENDING, older_than=cutoff)):
        named = _named({name for name, _path in batch})
        for name, path in batch:
            if name in named:
                moved += file_move_into_place(name)  # the row committed, the move never ran
            else:
                removed += _remove(path)  # its transaction failed or never finished
    for folder in FOLDERS:
        for batch in _batches(old_files(folder, older_than=cutoff)):
            named = _named({f"{folder}/{name}" for name, _path in batch})
            removed += sum(_remove(path) for name, path in batch if f"{folder}/{name}" not in named)
    if moved or removed:
        logger.info("Orphan files: %d moved into place, %d removed", moved, removed)
    return {"moved": moved, "removed": removed}


def _batches(
    items: Iterator[tuple[str, Path]], size: int = 500
) -> Iterator[list[tuple[str, Path]]]:
    while batch := list(islice(items, size)):
        yield batch


def _named(names: set[str]) -> set[str]:
    return set(
        Document.objects.filter(storage_name__in=names).values_list("storage_name", flat=True)
    )


def _remove(path: Path) -> bool:
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    return True


def document_read(document: Document) -> bytes:
    with file_open(document.storage_name) as handle:
        content: bytes = handle.read()
        return content


def attachment_disposition(name: str) -> str:
    """RFC 6266: an ASCII fallback for old clients and the exact name as ``filename*``."""
    fallback = "".join(
        c if c.isascii() and c.isprintable() and c not in '"\\' else "_" for c in name
    )
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


def document_response(request: HttpRequest, document: Document, *, actor: Any) -> FileResponse:
    """Serve a document the caller has already checked the user may see. Audited."""
    if document.quarantined:
        raise Http404("quarantined")
    try:
        handle = file_open(document.storage_name)
    except FileNotFoundError:
        raise Http404("missing file") from None
    if request.method == "GET":  # a HEAD request downloads nothing
        audit_record(actor=actor, action="document.downloaded", target=document, request=request)
    response = FileResponse(handle, content_type=document.content_type)
    response["Content-Disposition"] = attachment_disposition(document.original_name)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store, private"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


# What a browser shows by itself in a page: the preview's frame or image, nothing scriptable.
PREVIEWABLE_TYPES = frozenset({"application/pdf", "image/png", "image/jpeg"})


def document_preview_response(
    request: HttpRequest, document: Document, *, actor: Any
) -> FileResponse:
    """Serve a PDF or an image to be shown inside one of the portal's own pages (an
    ``<iframe>`` or ``<img>``) rather than saved. Checked and audited as a download; other
    types are not previewed."""
    if document.content_type not in PREVIEWABLE_TYPES:
        raise Http404("no preview for this type")
    response = document_response(request, document, actor=actor)
    response["Content-Disposition"] = "inline" + attachment_disposition(
        document.original_name
    ).removeprefix("attachment")
    # Framed by the portal's own pages only. No `sandbox` here: Chromium refuses to show a PDF
    # in a sandboxed document, and its viewer runs no script of the file in the page's origin.
    response["X-Frame-Options"] = "SAMEORIGIN"
    response["Content-Security-Policy"] = "default-src 'none'; frame-ancestors 'self'"
    return response
