"""A real SMTP server for tests (aiosmtpd), on a spare port, that a test starts and stops.

It keeps every message it accepted, and refuses recipients it is told to (a permanent 550),
so tests see exactly what a mail server would have received, retries and repeats included.
"""

import email
import socket
import time
from email.message import Message
from typing import Any

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class _Handler:
    def __init__(self, sink: "SmtpSink") -> None:
        self.sink = sink

    async def handle_MAIL(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if self.sink.refuse_sender:
            return "553 5.7.1 Sender address rejected: not logged in"
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if address.lower() in self.sink.refused:
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content)
        for recipient in envelope.rcpt_tos:
            self.sink.received.append((recipient, message))
        return "250 Message accepted for delivery"


class SmtpSink:
    """``with SmtpSink() as sink:`` then point EMAIL_HOST/EMAIL_PORT at ``sink.port``."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.received: list[tuple[str, Message]] = []
        self.refused: set[str] = set()
        # Refuse every sender (as a server does when the login is wrong): a 5xx that is
        # about the server, not about any one message.
        self.refuse_sender = False
        self._controller: Controller | None = None

    def start(self) -> "SmtpSink":
        self._controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def __enter__(self) -> "SmtpSink":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def message_ids(self) -> list[str]:
        return [str(message["Message-ID"]) for _to, message in self.received]

    def to(self, address: str) -> list[Message]:
        return [message for to, message in self.received if to == address]

    def wait_for(self, count: int, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while len(self.received) < count and time.monotonic() < deadline:
            time.sleep(0.1)
        assert len(self.received) >= count, f"{len(self.received)} of {count} e-mails arrived"


def smtp_settings(settings: Any, sink: SmtpSink) -> None:
    """Point Django's SMTP backend at the sink (a pytest-django ``settings`` fixture)."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = sink.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 5
