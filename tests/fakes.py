"""The one fake: an antivirus daemon cannot run here. It flags the EICAR test string."""

from collections.abc import Iterable

from alliance_portal.documents.antivirus import ScannerUnavailable, ScanResult
from tests.files import EICAR


class EicarScanner:
    def scan(self, chunks: Iterable[bytes]) -> ScanResult:
        data = b"".join(chunks)
        if EICAR in data:
            return ScanResult(scanned=True, infected=True, detail="Eicar-Test-Signature")
        return ScanResult(scanned=True, infected=False, detail="clean")


class BrokenScanner:
    def scan(self, chunks: Iterable[bytes]) -> ScanResult:
        raise ScannerUnavailable("connection refused")
