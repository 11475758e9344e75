"""The logo kit: our typographic mark as SVG (dark and white), a PDF for print, and the rules.

Each licensee's kit carries its licence code and the address of its public page, so that
whoever sees the logo can look the licence up: on the print PDF under the mark, at the head
of the rules and in ``licence.txt``.
"""

import hashlib
import io
import zipfile
from functools import lru_cache
from pathlib import Path

from django.utils.html import escape

from alliance_portal.emails import absolute_url
from alliance_portal.pdf import render_pdf

KIT_DIR = Path(__file__).resolve().parent / "logo_kit"
KIT_FILES = ["alliance-logo.svg", "alliance-logo-white.svg"]
RULES_FILE = "usage-rules.txt"


def rules_text() -> str:
    return (KIT_DIR / RULES_FILE).read_text(encoding="utf-8")


def rules_sha256() -> str:
    """The version of the rules a user accepts before downloading the kit."""
    return hashlib.sha256(rules_text().encode("utf-8")).hexdigest()


def public_page_url(licence_number: str) -> str:
    # The member's public page in the register (trust app): /register/<licence number>/.
    return absolute_url(f"/register/{licence_number}/")


def _licence_line(licence_number: str) -> str:
    return f"ALROSA ALLIANCE licence {licence_number} · {public_page_url(licence_number)}"


def logo_kit_zip(licence_number: str) -> bytes:
    return _kit(licence_number, public_page_url(licence_number))


@lru_cache(maxsize=64)
def _kit(licence_number: str, page_url: str) -> bytes:
    svg = (KIT_DIR / "alliance-logo.svg").read_text()
    print_pdf = render_pdf(
        "<style>@page { size: 180mm 72mm; margin: 0 } svg { width: 180mm; height: 60mm }"
        " p { margin: 0; text-align: center; font: 9pt 'DejaVu Sans', sans-serif }</style>"
        + svg
        + f"<p>{escape(_licence_line(licence_number))}</p>"
    )
    licence_note = (
        f"{_licence_line(licence_number)}\n\n"
        f"Licence {licence_number}: anyone can check it at {page_url}\n"
        f"Лицензия {licence_number}: проверить её может любой по адресу {page_url}\n"
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in KIT_FILES:
            archive.write(KIT_DIR / name, f"alrosa-alliance-logo/{name}")
        archive.writestr(f"alrosa-alliance-logo/{RULES_FILE}", licence_note + "\n\n" + rules_text())
        archive.writestr("alrosa-alliance-logo/licence.txt", licence_note)
        archive.writestr("alrosa-alliance-logo/alliance-logo.pdf", print_pdf)
    return buffer.getvalue()
