from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from compliance.services.jobs_registry import JOBS


class Command(BaseCommand):
    help = "Run one periodic job now (the same job Celery beat runs on its schedule)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", choices=sorted(JOBS))

    def handle(self, *args: Any, **options: Any) -> None:
        result = JOBS[options["name"]]()
        self.stdout.write(f"{options['name']}: {result}")
