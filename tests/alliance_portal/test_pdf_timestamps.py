"""Signatures that stay valid: the certificate and the signed agreement carry an RFC 3161
timestamp from the configured authority and their validation data (PAdES B-LT); a local
time-stamping service started by the test answers over HTTP."""

import io

import pytest
from django.core.management import CommandError, call_command
from pyhanko.keys import load_cert_from_pemder, load_certs_from_pemder
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from alliance_portal.documents import document_read
from compliance import services as compliance_services
from licensing import services as licensing_services
from licensing.agreement import agreement_text, sha256_text
from licensing.signing import consents
from tests.compliance.test_certificates import pending_certificate
from tests.factories import licence_in, signatory_of
from tests.tsa import TimeStampingServer


@pytest.fixture
def tsa(settings):
    with TimeStampingServer() as server:
        settings.ALLIANCE_TSA_URL = server.url
        settings.ALLIANCE_PDF_TRUST_ROOTS = str(server.root_path)
        yield server


def pyhanko_status(content: bytes, settings):
    """pyHanko's own verdict, trusting the portal's certificate and the TSA's root."""
    roots = [load_cert_from_pemder(settings.ALLIANCE_SIGNING_CERT)]
    if settings.ALLIANCE_PDF_TRUST_ROOTS:
        roots += list(load_certs_from_pemder([settings.ALLIANCE_PDF_TRUST_ROOTS]))
    [signature] = PdfFileReader(io.BytesIO(content)).embedded_signatures
    return validate_pdf_signature(signature, ValidationContext(trust_roots=roots))


def rendered_certificate(staff) -> bytes:
    certificate = pending_certificate(staff)
    certificate = compliance_services.certificate_render(certificate_id=certificate.pk)
    assert certificate.pdf is not None
    return document_read(certificate.pdf)


def one_byte_changed(content: bytes) -> bytes:
    """The signed PDF with one byte of its first revision (the signed page) changed."""
    changed = bytearray(content)
    changed[300] ^= 0x01
    return bytes(changed)


def verify(path) -> tuple[str, str]:
    out = io.StringIO()
    try:
        call_command("verify_pdf", str(path), stdout=out)
    except CommandError as error:
        return out.getvalue(), str(error)
    return out.getvalue(), ""


@pytest.mark.django_db
class TestTimestampedCertificate:
    def test_it_validates_with_its_timestamp_and_embedded_validation_data(
        self, tsa, settings, staff_user
    ):
        content = rendered_certificate(staff_user)
        assert tsa.requests >= 1
        status = pyhanko_status(content, settings)
        assert status.intact and status.valid and status.trusted
        assert status.timestamp_validity is not None
        assert status.timestamp_validity.intact and status.timestamp_validity.valid
        assert status.timestamp_validity.trusted
        # PAdES B-LT: the document security store holds the certificates to check it later.
        reader = PdfFileReader(io.BytesIO(content))
        dss = reader.root["/DSS"]
        assert len(dss["/Certs"]) >= 2  # the signer's and the TSA's chain

    def test_one_byte_changed_fails(self, tsa, settings, staff_user):
        status = pyhanko_status(one_byte_changed(rendered_certificate(staff_user)), settings)
        assert not status.intact

    def test_verify_pdf_reports_both(self, tsa, staff_user, tmp_path):
        good, bad = tmp_path / "good.pdf", tmp_path / "bad.pdf"
        content = rendered_certificate(staff_user)
        good.write_bytes(content)
        bad.write_bytes(one_byte_changed(content))

        output, error = verify(good)
        assert error == ""
        assert "Signer: " in output and "ALROSA ALLIANCE portal" in output
        assert "Timestamped: yes, " in output and "(valid)" in output
        assert "Trusted signer: yes" in output
        assert "Document changed since signing: no" in output
        assert "Status: VALID" in output

        output, error = verify(bad)
        assert "Document changed since signing: yes" in output
        assert "Status: INVALID" in error

    def test_an_unsigned_file_is_invalid(self, tmp_path):
        path = tmp_path / "plain.pdf"
        from alliance_portal.pdf import render_pdf

        path.write_bytes(render_pdf("<p>Not signed</p>"))
        output, error = verify(path)
        assert output == ""
        assert "INVALID (no signature)" in error


@pytest.mark.django_db
def test_without_a_tsa_the_signature_has_no_timestamp(settings, staff_user, tmp_path):
    settings.ALLIANCE_TSA_URL = ""
    content = rendered_certificate(staff_user)
    status = pyhanko_status(content, settings)
    assert status.intact and status.valid and status.trusted
    assert status.timestamp_validity is None
    path = tmp_path / "c.pdf"
    path.write_bytes(content)
    output, error = verify(path)
    assert "Timestamped: no" in output and error == ""


@pytest.mark.django_db
def test_the_signed_agreement_is_sealed_and_timestamped(
    tsa, settings, django_capture_on_commit_callbacks
):
    licence = licence_in("issued")
    with django_capture_on_commit_callbacks(execute=True):
        licensing_services.licence_sign(
            actor=signatory_of(licence.member),
            licence=licence,
            typed_name="Ivan Petrov",
            typed_title="Director",
            accepted=[key for key, _text in consents()],
            shown_sha256=sha256_text(agreement_text(licence)),
        )
    licence.refresh_from_db()
    content = document_read(licence.signed_pdf)
    status = pyhanko_status(content, settings)
    assert status.intact and status.valid and status.trusted
    assert status.timestamp_validity is not None and status.timestamp_validity.valid
    assert tsa.requests >= 1


@pytest.mark.django_db
def test_a_tsa_that_does_not_answer_leaves_the_certificate_pending_to_retry(settings, staff_user):
    from alliance_portal.pdf_signing import TimeStampingUnavailable
    from compliance.models import CertificateStatus

    certificate = pending_certificate(staff_user)
    server = TimeStampingServer()  # made, not started: its port refuses connections
    settings.ALLIANCE_TSA_URL = server.url
    settings.ALLIANCE_PDF_TRUST_ROOTS = str(server.root_path)
    with pytest.raises(TimeStampingUnavailable):  # an OSError: the render task retries it
        compliance_services.certificate_render(certificate_id=certificate.pk)
    certificate.refresh_from_db()
    assert certificate.status == CertificateStatus.PENDING and certificate.pdf_id is None
    with server:
        certificate = compliance_services.certificate_render(certificate_id=certificate.pk)
        assert certificate.status == CertificateStatus.ISSUED
        assert server.requests >= 1
        status = pyhanko_status(document_read(certificate.pdf), settings)
        assert status.timestamp_validity is not None and status.timestamp_validity.valid
