"""The logo kit: our typographic mark as SVG (dark and white), a PDF for print, and the rules."""

import io
import zipfile
from functools import lru_cache
from pathlib import Path

from alliance_portal.pdf import render_pdf

KIT_DIR = Path(__file__).resolve().parent / "logo_kit"
KIT_FILES = ["alliance-logo.svg", "alliance-logo-white.svg", "usage-rules.txt"]


@lru_cache(maxsize=1)
def logo_kit_zip() -> bytes:
    svg = (KIT_DIR / "alliance-logo.svg").read_text()
    print_pdf = render_pdf(
        "<style>@page { size: 180mm 60mm; margin: 0 } svg { width: 180mm; height: 60mm }</style>"
        + svg
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in KIT_FILES:
            archive.write(KIT_DIR / name, f"alrosa-alliance-logo/{name}")
        archive.writestr("alrosa-alliance-logo/alliance-logo.pdf", print_pdf)
    return buffer.getvalue()
