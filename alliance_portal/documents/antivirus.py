"""The antivirus hook: a small interface with a backend chosen by settings.

`ALLIANCE_ANTIVIRUS_BACKEND` names a class with ``scan(chunks) -> ScanResult``:
:class:`NoScanner` (the default: nothing installed to scan with) or :class:`ClamdScanner`
(a clamd daemon over a Unix or TCP socket, `CLAMD_ADDRESS`).
"""

import socket
import struct
from collections.abc import Iterable
from typing import NamedTuple, Protocol
from urllib.parse import urlparse

from django.conf import settings
from django.utils.module_loading import import_string


class ScanResult(NamedTuple):
    scanned: bool
    infected: bool
    detail: str = ""


class ScannerUnavailable(Exception):
    """The scanner could not give an answer; the upload must not be accepted unchecked."""


class Scanner(Protocol):
    def scan(self, chunks: Iterable[bytes]) -> ScanResult: ...


class NoScanner:
    def scan(self, chunks: Iterable[bytes]) -> ScanResult:
        return ScanResult(scanned=False, infected=False, detail="no scanner configured")


class ClamdScanner:
    """clamd's INSTREAM command. A few lines of its documented protocol: no library needed."""

    def __init__(self, address: str | None = None, timeout: float = 30.0) -> None:
        self.address = address or settings.CLAMD_ADDRESS
        self.timeout = timeout

    def _connect(self) -> socket.socket:
        url = urlparse(self.address)
        if url.scheme == "unix":
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            target: str | tuple[str, int] = url.path
        else:
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            target = (url.hostname or "127.0.0.1", url.port or 3310)
        sock.settimeout(self.timeout)
        sock.connect(target)
        return sock

    def scan(self, chunks: Iterable[bytes]) -> ScanResult:
        try:
            with self._connect() as sock:
                sock.sendall(b"zINSTREAM\0")
                for chunk in chunks:
                    sock.sendall(struct.pack("!L", len(chunk)) + chunk)
                sock.sendall(struct.pack("!L", 0))
                reply = b""
                while not reply.endswith(b"\0"):
                    data = sock.recv(4096)
                    if not data:
                        break
                    reply += data
        except OSError as exc:
            raise ScannerUnavailable(str(exc)) from exc
        text = reply.rstrip(b"\0").decode(errors="replace")
        if text.endswith("OK"):
            return ScanResult(scanned=True, infected=False, detail="clean")
        if text.endswith("FOUND"):
            signature = text.removeprefix("stream:").removesuffix("FOUND").strip()
            return ScanResult(scanned=True, infected=True, detail=signature[:200])
        raise ScannerUnavailable(text or "no answer from clamd")


def get_scanner() -> Scanner:
    scanner: Scanner = import_string(settings.ALLIANCE_ANTIVIRUS_BACKEND)()
    return scanner
