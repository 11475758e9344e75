from typing import Any

from django.core.management.base import BaseCommand

from licensing.services import licences_render_missing_pdfs


class Command(BaseCommand):
    help = "Render signed agreements whose PDF is missing (also run by Celery beat)."

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(f"Signed agreements rendered: {licences_render_missing_pdfs()}")
