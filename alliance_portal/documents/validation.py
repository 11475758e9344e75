"""What an upload must be before anything of it is stored."""

import unicodedata
import zipfile
from typing import Any

import magic
from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from .errors import UploadRejected

OOXML_DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
OOXML_XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# Extension -> content types libmagic may report for a genuine file of that kind. A DOCX or
# XLSX written by some tools is reported as a plain zip; its structure is checked below.
ALLOWED_TYPES: dict[str, set[str]] = {
    "pdf": {"application/pdf"},
    "png": {"image/png"},
    "jpg": {"image/jpeg"},
    "jpeg": {"image/jpeg"},
    "docx": {OOXML_DOCX, "application/zip"},
    "xlsx": {OOXML_XLSX, "application/zip"},
}
OOXML_MAIN_PART = {"docx": "word/document.xml", "xlsx": "xl/workbook.xml"}
CANONICAL_TYPE = {"jpg": "image/jpeg", "docx": OOXML_DOCX, "xlsx": OOXML_XLSX}

# A second extension that a server or a desktop might act on ("scan.pdf.exe", "a.jpg.php").
EXECUTABLE_SUFFIXES = {
    "exe", "dll", "com", "bat", "cmd", "scr", "msi", "ps1", "vbs", "js", "jar", "sh", "py",
    "pl", "cgi", "php", "phtml", "php5", "asp", "aspx", "jsp", "html", "htm", "svg", "xhtml",
}  # fmt: skip

MAX_NAME_LENGTH = 255
# Set by uploads.StrictNameParser in place of a name it would not pass on as it was.
UNSAFE_NAME = "unsafe-name:"
SNIFF_BYTES = 64 * 1024


def allowed_extensions_text() -> str:
    return ", ".join(f".{ext}" for ext in ALLOWED_TYPES)


def _path_error() -> UploadRejected:
    return UploadRejected(
        _("The file name must be a plain name, without a folder or a path."), code="path"
    )


def _long_error() -> UploadRejected:
    return UploadRejected(
        _("The file name is too long: at most %(max)d characters.") % {"max": MAX_NAME_LENGTH},
        code="name_too_long",
    )


def _control_error() -> UploadRejected:
    return UploadRejected(
        _("The file name contains control characters."), code="control_characters"
    )


def clean_name(name: str) -> tuple[str, str]:
    """The name to show and the lower-case extension; refuses paths and odd names."""
    name = unicodedata.normalize("NFC", name or "").strip()
    if name.startswith(UNSAFE_NAME):
        reason = name.removeprefix(UNSAFE_NAME)
        raise {"path": _path_error, "long": _long_error}.get(reason, _control_error)()
    if not name:
        raise UploadRejected(_("The file has no name."), code="no_name")
    if len(name) > MAX_NAME_LENGTH:
        raise _long_error()
    if "/" in name or "\\" in name or name.startswith(".") or ":" in name:
        raise _path_error()
    if any(unicodedata.category(char).startswith("C") for char in name):
        raise _control_error()
    stem, dot, extension = name.rpartition(".")
    extension = extension.lower()
    if not dot or not stem or extension not in ALLOWED_TYPES:
        raise UploadRejected(
            _("Only these kinds of file are accepted: %(allowed)s.")
            % {"allowed": allowed_extensions_text()},
            code="extension",
        )
    inner = {part.lower() for part in stem.split(".")[1:]}
    if inner & EXECUTABLE_SUFFIXES:
        raise UploadRejected(
            _("The file name has a second extension that is not allowed (%(ext)s).")
            % {"ext": ", ".join(f".{ext}" for ext in sorted(inner & EXECUTABLE_SUFFIXES))},
            code="double_extension",
        )
    return " ".join(name.split()), extension


def check_size(size: int) -> None:
    limit = settings.ALLIANCE_UPLOAD_MAX_BYTES
    if size <= 0:
        raise UploadRejected(_("The file is empty."), code="empty")
    if size > limit:
        raise UploadRejected(too_large_message(), code="too_large")


def too_large_message() -> str:
    return _("The file is larger than the limit of %(limit)s.") % {
        "limit": filesizeformat(settings.ALLIANCE_UPLOAD_MAX_BYTES)
    }


def check_content(file: Any, extension: str) -> str:
    """Sniff the content; it must be what the extension says. Returns the content type."""
    file.seek(0)
    sniffed = magic.from_buffer(file.read(SNIFF_BYTES), mime=True)
    file.seek(0)
    if sniffed not in ALLOWED_TYPES[extension]:
        raise UploadRejected(
            _("The file's content does not match its .%(ext)s extension.") % {"ext": extension},
            code="content_mismatch",
        )
    if extension in OOXML_MAIN_PART:
        check_office_archive(file, extension)
    return CANONICAL_TYPE.get(extension, sniffed)


def check_office_archive(file: Any, extension: str) -> None:
    """A DOCX or XLSX is a zip: bound its entries and what they really expand to, and refuse
    path tricks. Sizes are counted while decompressing: a zip's headers can lie."""
    limits = settings.ALLIANCE_OFFICE_ZIP_LIMITS
    bad = UploadRejected(
        _("The .%(ext)s file is damaged or not a genuine Office document.") % {"ext": extension},
        code="bad_archive",
    )
    bomb = UploadRejected(
        _("The Office document expands to far more than its size (a zip bomb)."), code="zip_bomb"
    )
    try:
        with zipfile.ZipFile(file) as archive:
            entries = archive.infolist()
            if len(entries) > limits["max_entries"]:
                raise UploadRejected(
                    _("The Office document has too many parts."), code="zip_entries"
                )
            names = set()
            total = 0
            for entry in entries:
                parts = entry.filename.replace("\\", "/").split("/")
                if entry.filename.startswith(("/", "\\")) or ".." in parts or ":" in parts[0]:
                    raise UploadRejected(
                        _("The Office document contains a part with an unsafe path."),
                        code="zip_path",
                    )
                names.add(entry.filename)
                expanded = 0
                with archive.open(entry) as part:
                    while chunk := part.read(256 * 1024):
                        expanded += len(chunk)
                        total += len(chunk)
                        if total > limits["max_uncompressed_bytes"] or expanded > limits[
                            "max_ratio"
                        ] * max(entry.compress_size, 1024):
                            raise bomb
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
        raise bad from None
    finally:
        file.seek(0)
    if "[Content_Types].xml" not in names or OOXML_MAIN_PART[extension] not in names:
        raise bad
