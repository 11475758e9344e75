from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from alliance_portal.audit import audit_chain_verify
from alliance_portal.audit.chain import parse_anchor


class Command(BaseCommand):
    help = (
        "Verify the audit log's hash chain; exit non-zero naming the first broken row. "
        "Prints the anchor (seq:hash) to keep outside the database."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--anchor",
            action="append",
            default=[],
            metavar="SEQ:HASH",
            help="an anchor printed or mailed earlier; the log must still contain it",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            anchors: list[tuple[int, str] | None] = [
                parse_anchor(text) for text in options["anchor"]
            ] or [None]
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        for anchor in anchors:
            report = audit_chain_verify(anchor=anchor)
            if not report.ok:
                raise CommandError(
                    f"Audit chain broken at row #{report.broken_seq} (id {report.broken_id}): "
                    f"{report.reason}. {report.checked} rows verified before it."
                )
        self.stdout.write(self.style.SUCCESS(f"Audit chain intact: {report.checked} rows."))
        self.stdout.write(f"Anchor: {report.head}")
        if report.unchained:
            self.stdout.write(f"{report.unchained} rows committed meanwhile wait to be chained.")
