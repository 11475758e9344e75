"""PAdES signatures on the PDFs the portal issues (pyHanko), with a key and certificate given
by settings. ``manage.py create_signing_key`` makes a self-signed pair for local use."""

import datetime
import io
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers


def signing_configured() -> bool:
    return bool(settings.ALLIANCE_SIGNING_KEY and settings.ALLIANCE_SIGNING_CERT)


def sign_pdf(content: bytes, *, reason: str) -> bytes:
    """The PDF with an invisible PAdES signature by the portal's key."""
    if not signing_configured():
        raise ImproperlyConfigured(
            "Set ALLIANCE_SIGNING_KEY and ALLIANCE_SIGNING_CERT (manage.py create_signing_key)."
        )
    passphrase = settings.ALLIANCE_SIGNING_KEY_PASSPHRASE.encode() or None
    signer = signers.SimpleSigner.load(
        str(settings.ALLIANCE_SIGNING_KEY),
        str(settings.ALLIANCE_SIGNING_CERT),
        key_passphrase=passphrase,
    )
    if signer is None:
        raise ImproperlyConfigured("The signing key or certificate could not be read.")
    writer = IncrementalPdfFileWriter(io.BytesIO(content))
    metadata = signers.PdfSignatureMetadata(
        field_name="ALROSA-ALLIANCE",
        subfilter=fields.SigSeedSubFilter.PADES,
        reason=reason,
        location=settings.ALLIANCE_BASE_URL,
    )
    signed: bytes = signers.sign_pdf(writer, metadata, signer=signer).getvalue()
    return signed


def create_self_signed_pair(key_path: Path, cert_path: Path, *, common_name: str) -> None:
    """A key and a ten-year self-signed certificate, for development and the demo."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "ALROSA ALLIANCE (self-signed)"),
        ]
    )
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(key, hashes.SHA256())
    )
    key_path.parent.mkdir(parents=True, exist_ok=True)
    cert_path.parent.mkdir(parents=True, exist_ok=True)
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    key_path.chmod(0o600)
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
