from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from alliance_portal.pdf_signing import pdf_signature_check


def _yes(value: bool) -> str:
    return "yes" if value else "no"


class Command(BaseCommand):
    help = (
        "Check the signature of a PDF the portal issued: its status, signer, time, timestamp, "
        "and whether the document was changed since. Exits non-zero unless it is valid."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="the PDF to check")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        try:
            content = path.read_bytes()
        except OSError as error:
            raise CommandError(f"Cannot read {path}: {error.strerror}") from error
        check = pdf_signature_check(content)
        if not check.signed:
            raise CommandError(f"Status: INVALID ({check.problem})")
        if check.problem:
            raise CommandError(f"Status: INVALID ({check.problem})")
        self.stdout.write(f"Signer: {check.signer}")
        self.stdout.write(
            f"Signed at: {check.signed_at.isoformat() if check.signed_at else 'unknown'}"
        )
        if check.timestamped:
            self.stdout.write(
                f"Timestamped: yes, {check.timestamp_at.isoformat() if check.timestamp_at else ''}"
                f" ({'valid' if check.timestamp_valid else 'INVALID'})"
            )
        else:
            self.stdout.write("Timestamped: no (the time is the signer's own claim)")
        self.stdout.write(f"Trusted signer: {_yes(check.trusted)}")
        self.stdout.write(f"Document changed since signing: {_yes(not check.unchanged)}")
        if not check.ok:
            raise CommandError("Status: INVALID")
        self.stdout.write(self.style.SUCCESS("Status: VALID"))
