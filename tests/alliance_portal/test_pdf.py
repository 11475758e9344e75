"""PDF rendering and signing keep what they load from one document to the next (the fonts,
the signing key): each document still comes out whole, in both languages, and signed by the
key on disk now."""

import io
import threading

import pypdf

from alliance_portal.pdf import font_configuration, render_pdf
from alliance_portal.pdf_signing import create_self_signed_pair, pdf_signature_check, sign_pdf


def text_of(pdf: bytes) -> str:
    return " ".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages)


def document(number: int) -> str:
    return (
        '<html lang="en"><body style="font-family: \'DejaVu Sans\'">'
        f"<h1>Certificate ACC-{number:06d}</h1>"
        f'<p lang="ru">Сертификат соответствия № {number}: действителен</p>'
        '<p style="font-weight: bold">Жирный текст · bold text</p></body></html>'
    )


def test_documents_rendered_one_after_another_share_fonts_and_keep_their_russian_text():
    first, second = render_pdf(document(1)), render_pdf(document(2))
    assert font_configuration() is font_configuration()  # kept, not made anew per document
    for number, pdf in ((1, first), (2, second)):
        text = " ".join(text_of(pdf).split())
        assert f"Certificate ACC-{number:06d}" in text
        assert f"Сертификат соответствия № {number}: действителен" in text
        assert "Жирный текст · bold text" in text
    assert "ACC-000001" not in text_of(second)


def test_each_thread_renders_with_fonts_of_its_own():
    seen: list[object] = []
    texts: list[str] = []

    def render() -> None:
        seen.append(font_configuration())
        texts.append(" ".join(text_of(render_pdf(document(3))).split()))

    thread = threading.Thread(target=render)
    thread.start()
    thread.join()
    render()
    assert seen[0] is not seen[1]
    assert all("Сертификат соответствия № 3" in text for text in texts)


def test_signatures_stay_valid_and_a_key_replaced_on_disk_signs_from_then_on(settings, tmp_path):
    pdf = render_pdf(document(4))
    first = pdf_signature_check(sign_pdf(pdf, reason="first"))
    assert first.ok, first.problem
    again = pdf_signature_check(sign_pdf(pdf, reason="again"))  # the kept signer
    assert again.ok and again.signer == first.signer

    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    create_self_signed_pair(key, cert, common_name="Replacement key")
    settings.ALLIANCE_SIGNING_KEY, settings.ALLIANCE_SIGNING_CERT = str(key), str(cert)
    replaced = pdf_signature_check(sign_pdf(pdf, reason="replaced"))
    assert replaced.ok and "Replacement key" in replaced.signer
    # New files at the same paths (a renewed certificate) are read too.
    create_self_signed_pair(key, cert, common_name="Renewed key")
    renewed = pdf_signature_check(sign_pdf(pdf, reason="renewed"))
    assert renewed.ok and "Renewed key" in renewed.signer
