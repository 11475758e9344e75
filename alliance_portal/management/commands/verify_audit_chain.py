from typing import Any

from django.core.management.base import BaseCommand, CommandError

from alliance_portal.audit import audit_chain_monitor


class Command(BaseCommand):
    help = "Verify the audit log's hash chain; exit non-zero naming the first broken row."

    def handle(self, *args: Any, **options: Any) -> None:
        report = audit_chain_monitor()
        if not report.ok:
            raise CommandError(
                f"Audit chain broken at row #{report.broken_seq} (id {report.broken_id}): "
                f"{report.reason}. {report.checked} rows verified before it."
            )
        self.stdout.write(self.style.SUCCESS(f"Audit chain intact: {report.checked} rows."))
