from datetime import date
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from members.models import Application, KeyPerson, PersonRole, User
from screening.models import ListSource
from screening.services import list_import, subjects_screen_pending, version_screen

SAMPLE = Path(__file__).resolve().parents[2] / "sample" / "fictional_list.ftm.json"
DEMO_LIST = "fictional-demo"
# The demo applicant's owner, who is on the fictional list (seed_demo's members step may
# already have recorded him).
DEMO_OWNER = {
    "name": "Иван Петрович Сидоров",
    "name_latin": "Ivan Petrovich Sidorov",
    "date_of_birth": date(1971, 3, 14),
    "nationality": "RU",
    "country_of_residence": "RU",
}


class Command(BaseCommand):
    help = "Demo screening data: the fictional sample list, and the demo applicant's owner's hit."

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError("seed_screening_demo only runs with DEBUG on.")
        application = Application.objects.filter(
            applicant__in=User.objects.filter(email="applicant@example.com")
        ).first()
        if (
            application is not None
            and not KeyPerson.objects.filter(
                application=application,
                ended_at__isnull=True,
                name_latin__iexact=DEMO_OWNER["name_latin"],
            ).exists()
        ):
            KeyPerson.objects.create(
                application=application,
                role=PersonRole.OWNER,
                ownership_percent=60,
                **DEMO_OWNER,
            )
        if not ListSource.objects.filter(slug=DEMO_LIST).exists():
            version = list_import(
                actor=None,
                source_slug=DEMO_LIST,
                title="Fictional demo list (not a real sanctions list)",
                path=SAMPLE,
                fmt="ftm",
            )
            version_screen(version)
        result = subjects_screen_pending(time_budget=600)
        self.stdout.write(f"  Screening: {result}")
