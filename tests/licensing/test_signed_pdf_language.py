"""The signed agreement's evidence page speaks the language the statements were accepted in,
so a signatory who signed in Russian gets Russian headings next to the Russian statements."""

import io

import pypdf
import pytest
from django.utils import translation

from alliance_portal.documents import document_read
from licensing.agreement import agreement_text, sha256_text
from licensing.signing import consent_language, consent_wording
from tests.factories import licence_in
from tests.licensing.test_licences import sign


def _evidence_page(licence) -> str:
    licence.refresh_from_db()
    reader = pypdf.PdfReader(io.BytesIO(document_read(licence.signed_pdf)))
    return reader.pages[-1].extract_text()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "heading", "foreign"),
    [("ru", "Подтверждение подписи", "Signature evidence"), ("en", "Signature evidence", "Подтв")],
)
def test_the_evidence_page_is_in_the_language_of_the_statements(
    django_capture_on_commit_callbacks, language, heading, foreign
):
    licence = licence_in("issued")
    with translation.override(language), django_capture_on_commit_callbacks(execute=True):
        signature = sign(licence, shown_sha256=sha256_text(agreement_text(licence)))
    assert consent_language(signature.consent_wording) == language
    page = " ".join(_evidence_page(licence).split())
    assert heading in page and foreign not in page
    with translation.override(language):
        first_statement = consent_wording().splitlines()[0].removeprefix("[x] ")
    assert " ".join(first_statement.split())[:30] in page
