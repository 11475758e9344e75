"""PAdES signatures on the PDFs the portal issues (pyHanko), with a key and certificate given
by settings. ``manage.py create_signing_key`` makes a self-signed pair for local use.

With ``ALLIANCE_TSA_URL`` set, a signature carries an RFC 3161 timestamp from that authority
and the PDF embeds the certificates and revocation data needed to check it later (PAdES
B-LT): it still validates once the signing certificate has expired. Signing then waits on
the network, so it is only ever called from the render tasks, holding no row lock.
"""

import asyncio
import datetime
import functools
import hashlib
import io
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import aiohttp
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from pyhanko.keys import load_cert_from_pemder, load_certs_from_pemder
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.signers.pdf_cms import PdfCMSSignedAttributes
from pyhanko.sign.timestamps import HTTPTimeStamper, TimestampRequestError
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.status import ModificationLevel, SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext

T = TypeVar("T")


class TimeStampingUnavailable(OSError):
    """The time-stamping authority did not answer (or refused): passing trouble, so an
    ``OSError`` that the render tasks retry later (and the sweeper jobs after that)."""


def signing_configured() -> bool:
    return bool(settings.ALLIANCE_SIGNING_KEY and settings.ALLIANCE_SIGNING_CERT)


def sign_pdf(content: bytes, *, reason: str) -> bytes:
    """The PDF with an invisible PAdES signature by the portal's key."""
    if not signing_configured():
        raise ImproperlyConfigured(
            "Set ALLIANCE_SIGNING_KEY and ALLIANCE_SIGNING_CERT (manage.py create_signing_key)."
        )
    signer, signature_room = _portal_signer(
        str(settings.ALLIANCE_SIGNING_KEY),
        str(settings.ALLIANCE_SIGNING_CERT),
        settings.ALLIANCE_SIGNING_KEY_PASSPHRASE,
        _changed_at(settings.ALLIANCE_SIGNING_KEY, settings.ALLIANCE_SIGNING_CERT),
    )
    room: int | None = signature_room
    writer = IncrementalPdfFileWriter(io.BytesIO(content))
    timestamper = None
    long_term: dict[str, object] = {}
    if settings.ALLIANCE_TSA_URL:
        timestamper = HTTPTimeStamper(
            settings.ALLIANCE_TSA_URL, timeout=settings.ALLIANCE_TSA_TIMEOUT_SECONDS
        )
        long_term = {"embed_validation_info": True, "validation_context": validation_context()}
        # The timestamp token's size is the authority's: pyHanko sizes the room each time.
        room = None
    metadata = signers.PdfSignatureMetadata(
        field_name="ALROSA-ALLIANCE",
        subfilter=fields.SigSeedSubFilter.PADES,
        reason=reason,
        location=settings.ALLIANCE_BASE_URL,
        **long_term,  # type: ignore[arg-type]
    )
    try:
        signed: bytes = _outside_event_loop(
            lambda: signers.sign_pdf(
                writer, metadata, signer=signer, timestamper=timestamper, bytes_reserved=room
            )
        ).getvalue()
    except (TimestampRequestError, aiohttp.ClientError, TimeoutError) as error:
        raise TimeStampingUnavailable(f"time-stamping authority: {error}") from error
    return signed


def _changed_at(*paths: str | Path) -> tuple[int, ...]:
    """When the key files last changed: a key or certificate replaced on disk is loaded anew
    (a missing one is left for the loader to refuse)."""
    return tuple(path.stat().st_mtime_ns if path.exists() else 0 for path in map(Path, paths))


@functools.lru_cache(maxsize=2)
def _portal_signer(
    key: str, cert: str, passphrase: str, changed_at: tuple[int, ...]
) -> tuple[signers.SimpleSigner, int]:
    """The portal's signer, read once per process, and the room its signatures need in a PDF.

    Left to itself, pyHanko sizes that room before every signature by making a dummy one
    first (half the cost of signing). Without a timestamp the size depends on the key and
    certificate alone, so it is worked out here once, the way pyHanko does: a dry-run
    signature, hex-encoded, plus half again.
    """
    signer = signers.SimpleSigner.load(key, cert, key_passphrase=passphrase.encode() or None)
    if signer is None:
        raise ImproperlyConfigured("The signing key or certificate could not be read.")
    dummy = _outside_event_loop(
        lambda: asyncio.run(
            signer.async_sign(
                hashlib.sha256().digest(),
                "sha256",
                dry_run=True,
                use_pades=True,
                signed_attr_settings=PdfCMSSignedAttributes(
                    signing_time=datetime.datetime.now(datetime.UTC)
                ),
            )
        )
    )
    hex_length = len(dummy.dump()) * 2
    return signer, hex_length + 2 * (hex_length // 4)


def _outside_event_loop(work: Callable[[], T]) -> T:
    """pyHanko's synchronous signing runs an event loop of its own (``asyncio.run``), which a
    thread already running one (a test driving Chromium, an async server) cannot start: there
    the work runs in a thread of its own."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return work()
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(work).result()


def trust_roots() -> list[Any]:
    """The portal's signing certificate and the roots of ``ALLIANCE_PDF_TRUST_ROOTS``."""
    roots = []
    if settings.ALLIANCE_SIGNING_CERT and Path(settings.ALLIANCE_SIGNING_CERT).exists():
        roots.append(load_cert_from_pemder(str(settings.ALLIANCE_SIGNING_CERT)))
    if settings.ALLIANCE_PDF_TRUST_ROOTS:
        roots += list(load_certs_from_pemder([str(settings.ALLIANCE_PDF_TRUST_ROOTS)]))
    return roots


def validation_context() -> ValidationContext:
    # Revocation data is fetched where the certificates say (OCSP, CRL) and embedded; a
    # certificate that names none (a self-signed one, a test TSA) is accepted without.
    return ValidationContext(trust_roots=trust_roots(), allow_fetching=True)


@dataclass
class SignatureCheck:
    """What ``manage.py verify_pdf`` reports of a PDF's signature."""

    signed: bool
    intact: bool = False
    valid: bool = False
    trusted: bool = False
    # Nothing but validation data (the DSS of PAdES B-LT) was added after the signature.
    unchanged_since: bool = False
    signer: str = ""
    signed_at: datetime.datetime | None = None
    timestamped: bool = False
    timestamp_valid: bool = False
    timestamp_at: datetime.datetime | None = None
    problem: str = ""

    @property
    def unchanged(self) -> bool:
        return self.intact and self.valid and self.unchanged_since

    @property
    def ok(self) -> bool:
        return self.unchanged and self.trusted and (not self.timestamped or self.timestamp_valid)


def pdf_signature_check(content: bytes) -> SignatureCheck:
    """Check the first signature of a PDF against the portal's trust roots: is it intact, does
    it cover the whole file (nothing added after it), who signed and when, and its timestamp."""
    try:
        reader = PdfFileReader(io.BytesIO(content), strict=False)
        signatures = reader.embedded_signatures
    except Exception as error:  # a changed byte can make the file unreadable
        return SignatureCheck(signed=False, problem=f"unreadable PDF: {error}")
    if not signatures:
        return SignatureCheck(signed=False, problem="no signature")
    embedded = signatures[0]
    try:
        status = validate_pdf_signature(embedded, validation_context())
    except Exception as error:
        return SignatureCheck(signed=True, problem=f"signature cannot be checked: {error}")
    timestamp = status.timestamp_validity
    return SignatureCheck(
        signed=True,
        intact=bool(status.intact),
        valid=bool(status.valid),
        trusted=bool(status.trusted),
        unchanged_since=status.coverage == SignatureCoverageLevel.ENTIRE_FILE
        or (
            status.coverage == SignatureCoverageLevel.ENTIRE_REVISION
            and status.modification_level in (ModificationLevel.NONE, ModificationLevel.LTA_UPDATES)
            and status.docmdp_ok is not False
        ),
        signer=status.signing_cert.subject.human_friendly,
        signed_at=timestamp.timestamp if timestamp is not None else status.signer_reported_dt,
        timestamped=timestamp is not None,
        timestamp_valid=bool(timestamp and timestamp.intact and timestamp.valid),
        timestamp_at=timestamp.timestamp if timestamp is not None else None,
    )


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
