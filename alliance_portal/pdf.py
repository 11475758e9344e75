"""PDF rendering behind one small function, with no file or network access.

Everything a document needs (styles, images, the QR code) is inline in its HTML or a
``data:`` URI; the fetcher refuses every other scheme, so a value typed by a user can never
make the renderer read a local file or call a server.
"""

from django.template.loader import render_to_string
from weasyprint import HTML
from weasyprint.urls import URLFetcher


def render_pdf(html: str) -> bytes:
    fetcher = URLFetcher(allowed_protocols={"data"}, allow_redirects=False, timeout=5)
    pdf: bytes = HTML(string=html, url_fetcher=fetcher, base_url=None).write_pdf()
    return pdf


def render_pdf_template(template_name: str, context: dict[str, object]) -> bytes:
    return render_pdf(render_to_string(template_name, context))
