from typing import Any

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, SkipFile


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
            oversized = getattr(self.request, "oversized_uploads", set())
            oversized.add(self.field_name)
            self.request.oversized_uploads = oversized  # type: ignore[union-attr]
            raise SkipFile
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None
