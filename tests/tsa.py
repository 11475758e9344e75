"""A time-stamping authority of the test's own: an RFC 3161 responder over HTTP on a spare
port, answering with pyHanko's ``DummyTimeStamper`` under a root and a TSA certificate made
for the run.

    with TimeStampingServer() as tsa:
        settings.ALLIANCE_TSA_URL = tsa.url
        settings.ALLIANCE_PDF_TRUST_ROOTS = str(tsa.root_path)   # the TSA's root, trusted
        ...
        assert tsa.requests == 1

A plain class (no pytest in here), like tests/servers.py.
"""

from __future__ import annotations

import datetime
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType

from asn1crypto import keys as asn1_keys  # type: ignore[import-untyped]
from asn1crypto import tsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from pyhanko.sign.timestamps import DummyTimeStamper
from pyhanko_certvalidator.registry import SimpleCertificateStore

from tests.servers import LOCALHOST, free_port


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Test time-stamping authority"),
        ]
    )


def _authority() -> tuple[x509.Certificate, x509.Certificate, rsa.RSAPrivateKey]:
    """A root and the TSA certificate it issued (RSA: the dummy stamper signs only RSA)."""
    now = datetime.datetime.now(datetime.UTC)
    root_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    root = (
        x509.CertificateBuilder()
        .subject_name(_name("Test TSA root"))
        .issuer_name(_name("Test TSA root"))
        .public_key(root_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(root_key, hashes.SHA256())
    )
    tsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    tsa = (
        x509.CertificateBuilder()
        .subject_name(_name("Test TSA"))
        .issuer_name(root.subject)
        .public_key(tsa_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
        .sign(root_key, hashes.SHA256())
    )
    return root, tsa, tsa_key


class TimeStampingServer:
    """RFC 3161 over HTTP: POST a ``application/timestamp-query``, get a
    ``application/timestamp-reply``. Counts the requests it answered."""

    def __init__(self) -> None:
        root, tsa, tsa_key = _authority()
        self._dir = Path(tempfile.mkdtemp(prefix="test-tsa-"))
        self.root_path = self._dir / "tsa-root.pem"
        self.root_path.write_bytes(root.public_bytes(serialization.Encoding.PEM))
        self.stamper = DummyTimeStamper(
            tsa_cert=asn1_x509.Certificate.load(tsa.public_bytes(serialization.Encoding.DER)),
            tsa_key=asn1_keys.PrivateKeyInfo.load(
                tsa_key.private_bytes(
                    serialization.Encoding.DER,
                    serialization.PrivateFormat.PKCS8,
                    serialization.NoEncryption(),
                )
            ),
            certs_to_embed=SimpleCertificateStore.from_certs(
                [asn1_x509.Certificate.load(root.public_bytes(serialization.Encoding.DER))]
            ),
        )
        self.requests = 0
        self.port = free_port()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{LOCALHOST}:{self.port}/tsa"

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                if self.headers.get("Content-Type") != "application/timestamp-query":
                    self.send_error(415)
                    return
                reply = server.stamper.request_tsa_response(tsp.TimeStampReq.load(body)).dump()
                server.requests += 1
                self.send_response(200)
                self.send_header("Content-Type", "application/timestamp-reply")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, format: str, *args: object) -> None:
                pass

        return Handler

    def start(self) -> None:
        self._server = ThreadingHTTPServer((LOCALHOST, self.port), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> TimeStampingServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
        for path in self._dir.iterdir():
            path.unlink()
        self._dir.rmdir()
