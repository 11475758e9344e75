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


class ValidityDatesMixin:
    """Issue date and expiry of an uploaded document. Whether they are required, and the
    default validity, depend on the requirement: ``validity_for(cleaned_data)`` returns
    ``(expires, validity_months)``; the check itself is ``validity.validity_dates_check``."""

    def validity_for(self, cleaned: dict[str, Any]) -> tuple[bool, int | None]:
        return False, None

    def clean(self) -> dict[str, Any]:
        from django.core.exceptions import ValidationError

        from .validity import validity_dates_check

        cleaned: dict[str, Any] = super().clean()  # type: ignore[misc]
        if self.has_error("issued_on") or self.has_error("expires_on"):  # type: ignore[attr-defined]
            return cleaned
        expires, months = self.validity_for(cleaned)
        try:
            cleaned["issued_on"], cleaned["expires_on"] = validity_dates_check(
                issued_on=cleaned.get("issued_on"),
                expires_on=cleaned.get("expires_on"),
                expires=expires,
                validity_months=months,
            )
        except ValidationError as error:
            for field, messages in error.message_dict.items():
                self.add_error(field, messages)  # type: ignore[attr-defined]
        return cleaned


def validity_date_fields(small: bool = False) -> dict[str, forms.DateField]:
    css = "form-control form-control-sm" if small else "form-control"
    return {
        "issued_on": forms.DateField(
            label=_("Issued on"),
            required=False,
            widget=forms.DateInput(attrs={"type": "date", "class": css}),
        ),
        "expires_on": forms.DateField(
            label=_("Valid until"),
            required=False,
            widget=forms.DateInput(attrs={"type": "date", "class": css}),
            help_text=_("The last day the document is valid. Left empty: the default validity."),
        ),
    }
