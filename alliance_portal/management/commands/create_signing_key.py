from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from alliance_portal.pdf_signing import create_self_signed_pair


class Command(BaseCommand):
    help = (
        "Create a self-signed key and certificate for signing PDFs, at ALLIANCE_SIGNING_KEY and "
        "ALLIANCE_SIGNING_CERT (local use; production uses a certificate from a real CA)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--force", action="store_true", help="replace an existing pair")

    def handle(self, *args: Any, **options: Any) -> None:
        if not (settings.ALLIANCE_SIGNING_KEY and settings.ALLIANCE_SIGNING_CERT):
            raise CommandError("Set ALLIANCE_SIGNING_KEY and ALLIANCE_SIGNING_CERT first.")
        key, cert = Path(settings.ALLIANCE_SIGNING_KEY), Path(settings.ALLIANCE_SIGNING_CERT)
        if key.exists() and cert.exists() and not options["force"]:
            self.stdout.write(f"Signing key already present: {cert}")
            return
        create_self_signed_pair(key, cert, common_name="ALROSA ALLIANCE portal")
        self.stdout.write(self.style.SUCCESS(f"Created {key} and {cert}"))
