"""Demo data showing every part of the portal.

It lives in the top app (compliance) because it seeds every app below it, through their
services. Idempotent: running it twice leaves the same data.
"""

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from alliance_portal.roles import AUDITORS_GROUP, DECISION_MAKERS_GROUP, STAFF_GROUP
from members.services import user_provision

DEMO_PASSWORD = "alliance-demo"

DEMO_USERS: list[dict[str, Any]] = [
    {
        "email": "staff@example.com",
        "full_name": "Sofia Staff",
        "is_staff": True,
        "groups": [STAFF_GROUP],
    },
    {
        "email": "decider@example.com",
        "full_name": "Dmitry Decider",
        "is_staff": True,
        "groups": [STAFF_GROUP, DECISION_MAKERS_GROUP],
    },
    {"email": "auditor@example.com", "full_name": "Anna Auditor", "groups": [AUDITORS_GROUP]},
    {"email": "member@example.com", "full_name": "Mikhail Member"},
]


class Command(BaseCommand):
    help = "Create or refresh the demo users and data (only with DEBUG on)."

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError("seed_demo only runs with DEBUG on: it creates known passwords.")
        for spec in DEMO_USERS:
            user_provision(actor=None, password=DEMO_PASSWORD, **spec)
            self.stdout.write(f"  {spec['email']} / {DEMO_PASSWORD}")
        self.stdout.write(self.style.SUCCESS("Demo data ready."))
