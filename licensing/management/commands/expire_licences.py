from typing import Any

from django.core.management.base import BaseCommand

from licensing.services import licences_expire_due


class Command(BaseCommand):
    help = "Expire licences whose term is over (also run daily by Celery beat)."

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(f"Licences expired: {licences_expire_due()}")
