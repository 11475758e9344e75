"""PDF rendering behind one small function, with no file or network access.

Everything a document needs (styles, images, the QR code) is inline in its HTML or a
``data:`` URI; the fetcher refuses every other scheme, so a value typed by a user can never
make the renderer read a local file or call a server.
"""

import threading

from django.template.loader import render_to_string
from weasyprint import HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher

_per_thread = threading.local()


def font_configuration() -> FontConfiguration:
    """The fonts of this thread's renders, kept from one document to the next: its Pango font
    map caches the fonts found and the glyphs measured, which a fresh one (WeasyPrint's
    default) finds and measures again, a third of a certificate's render. One per thread, as
    Pango objects are not to be shared between threads. Our templates declare no
    ``@font-face``, so no document adds a font that a later one would see."""
    config: FontConfiguration | None = getattr(_per_thread, "font_config", None)
    if config is None:
        config = _per_thread.font_config = FontConfiguration()
    return config


def render_pdf(html: str) -> bytes:
    fetcher = URLFetcher(allowed_protocols={"data"}, allow_redirects=False, timeout=5)
    document = HTML(string=html, url_fetcher=fetcher, base_url=None)
    pdf: bytes = document.write_pdf(font_config=font_configuration())
    return pdf


def render_pdf_template(template_name: str, context: dict[str, object]) -> bytes:
    return render_pdf(render_to_string(template_name, context))
