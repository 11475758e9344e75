from typing import Any

from django import forms
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from .validation import allowed_extensions_text, too_large_message


class UploadFieldMixin:
    """For forms with file fields: reports a file dropped by the size-limit upload handler."""

    def __init__(self, *args: Any, request: HttpRequest, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._oversized: set[str] = getattr(request, "oversized_uploads", set())

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean()  # type: ignore[misc]
        for field in self._oversized:
            # The handler dropped the file: it is not "missing", it is too large.
            self._errors.pop(field, None)  # type: ignore[attr-defined]
            self.add_error(field, too_large_message())  # type: ignore[attr-defined]
        return cleaned


def document_file_field(**kwargs: Any) -> forms.FileField:
    return forms.FileField(
        label=kwargs.pop("label", _("File")),
        help_text=_("PDF, PNG, JPEG, DOCX or XLSX, up to the size limit."),
        widget=forms.ClearableFileInput(attrs={"accept": allowed_extensions_text()}),
        error_messages={"empty": _("The file is empty."), "required": _("Choose a file.")},
        **kwargs,
    )
