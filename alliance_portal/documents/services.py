import hashlib
import uuid
from typing import Any

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.http import FileResponse, Http404, HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from alliance_portal.audit import audit_record
from alliance_portal.models import Document

from .antivirus import ScannerUnavailable, get_scanner
from .errors import UploadRejected
from .validation import check_content, check_size, clean_name


def private_storage() -> FileSystemStorage:
    """Storage outside the web root: it has no URL and is read only through document_response."""
    return FileSystemStorage(location=settings.PRIVATE_MEDIA_ROOT, base_url=None)


def document_store(
    *, actor: Any, uploaded_file: UploadedFile, request: HttpRequest | None = None
) -> Document:
    """Check an upload and keep it. Raises UploadRejected before anything is stored.

    An infected file is kept in quarantine (never downloadable) and returned: the caller
    links nothing to it and tells the uploader.
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
    storage = private_storage()
    stored_name = storage.save(f"{folder}/{uuid.uuid4().hex}.{extension}", uploaded_file)
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
            )
            audit_record(
                actor=actor,
                action="document.quarantined" if result.infected else "document.uploaded",
                target=document,
                payload={"sha256": document.sha256, "size": document.size, "scan": result.detail},
                request=request,
            )
    except BaseException:
        storage.delete(stored_name)
        raise
    return document


def document_response(request: HttpRequest, document: Document, *, actor: Any) -> FileResponse:
    """Serve a document the caller has already checked the user may see. Audited."""
    if document.quarantined:
        raise Http404("quarantined")
    try:
        handle = private_storage().open(document.storage_name, "rb")
    except FileNotFoundError:
        raise Http404("missing file") from None
    audit_record(actor=actor, action="document.downloaded", target=document, request=request)
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=document.original_name,
        content_type=document.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store, private"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
