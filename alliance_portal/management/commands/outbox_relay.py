import logging
import signal
import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.db import close_old_connections

from alliance_portal.outbox import relay_pending

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = (
        "Deliver the outbox: e-mails to the mail server and tasks to the broker, with retries. "
        "Runs until stopped (one per deployment or more: they share the work); --once delivers "
        "what is due now and exits."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="one pass, then exit")
        parser.add_argument(
            "--interval",
            type=float,
            default=settings.ALLIANCE_OUTBOX_POLL_SECONDS,
            help="seconds between passes when nothing is due",
        )

    def handle(self, *args: Any, once: bool, interval: float, **options: Any) -> None:
        stopping = False

        def stop(signum: int, frame: Any) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        while True:
            close_old_connections()
            try:
                report = relay_pending(should_stop=lambda: stopping)
            except Exception:
                # The database went away, say: log, wait, try again; never exit on it.
                logger.exception("Outbox relay pass failed")
                time.sleep(interval)
                continue
            if report.handled:
                self.stdout.write(
                    f"delivered {report.delivered}, retry later {report.retried}, "
                    f"failed {report.failed}"
                )
                self.stdout.flush()
            if once or stopping:
                return
            if not report.handled:
                time.sleep(interval)
