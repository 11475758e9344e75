import sys
import time
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from screening.services import list_import, version_screen


class Progress:
    """A one-line progress report on the command's output, at most a few times a second."""

    def __init__(self, out: Any, label: str, total: int) -> None:
        self.out, self.label, self.total = out, label, max(total, 1)
        self.last = 0.0
        self.interactive = getattr(sys.stdout, "isatty", lambda: False)()

    def line(self, count: int) -> str:
        share = min(count / self.total, 1.0)
        bar = "#" * int(share * 30)
        return f"{self.label} [{bar:<30}] {share:4.0%} {count:,}/{self.total:,}"

    def __call__(self, count: int) -> None:
        now = time.monotonic()
        if now - self.last < 0.5 and count < self.total:
            return
        self.last = now
        if self.interactive:
            self.out.write("\r" + self.line(count), ending="")
            self.out.flush()
        else:
            self.out.write(self.line(count))


class Command(BaseCommand):
    help = (
        "Import a sanctions or PEP list file as a new version of the list SOURCE (FollowTheMoney "
        "JSON lines or CSV with the columns name, aliases, date_of_birth, country, programme, "
        "list_id and optionally type), then screen everyone against what it added or changed."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("source", help="the list's code, e.g. un-sc or fictional")
        parser.add_argument("file", type=Path)
        parser.add_argument("--format", choices=["ftm", "csv"], default=None)
        parser.add_argument("--title", default="", help="the list's title (first import)")
        parser.add_argument(
            "--no-screen",
            action="store_true",
            help="only import; the screening job screens the new version later",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        fmt = options["format"] or ("csv" if path.suffix.lower() == ".csv" else "ftm")
        with path.open("rb") as raw:
            lines = sum(1 for _line in raw)
        progress = Progress(self.stdout, "reading", lines)
        try:
            version = list_import(
                actor=None,
                source_slug=options["source"],
                title=options["title"],
                path=path,
                fmt=fmt,
                progress=progress,
            )
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from error
        if progress.interactive:
            self.stdout.write("")
        self.stdout.write(
            f"{version.source.slug} version #{version.pk}: {version.entries} entries, "
            f"{version.added} added, {version.changed} changed, {version.removed} removed"
        )
        if options["no_screen"] or version.screened_at is not None:
            return
        hits = version_screen(version)
        self.stdout.write(f"screened against the changes: {hits} new hit(s)")
