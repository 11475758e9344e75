from django.core.exceptions import ValidationError


class UploadRejected(ValidationError):
    """An upload refused before anything of it was stored; the message is for the uploader."""
