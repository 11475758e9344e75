"""The private document store: checked uploads, private storage, permission-checked downloads.

Higher apps link their records to a :class:`~alliance_portal.models.Document`, check that the
user may see it with their own selectors, then call :func:`document_response`.
"""

from .errors import StorageUnavailable, UploadRejected
from .services import (
    PREVIEWABLE_TYPES,
    discard_file_on_rollback,
    document_preview_response,
    document_read,
    document_response,
    document_store,
    document_store_generated,
    orphan_files_sweep,
)

__all__ = [
    "PREVIEWABLE_TYPES",
    "StorageUnavailable",
    "UploadRejected",
    "discard_file_on_rollback",
    "document_preview_response",
    "document_read",
    "document_response",
    "document_store",
    "document_store_generated",
    "orphan_files_sweep",
]
