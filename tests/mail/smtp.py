"""A real SMTP server for the mail tests (aiosmtpd on loopback), and a silent one.

`SMTPServer` accepts every recipient except those at `refused.example`, which get a
550 reply, and keeps each message it accepts. `SilentServer` accepts TCP connections
and never says a word, like a hung mail server; `RefusingPort` is a server that is down.
"""

from __future__ import annotations

import email
import email.policy
import socket
import threading
import time
from dataclasses import dataclass
from email.message import EmailMessage as ParsedMessage
from typing import Any

from aiosmtpd.controller import Controller

REFUSED_DOMAIN = "refused.example"
REFUSAL = "550 5.1.1 <{address}>: Recipient address rejected: User unknown"


@dataclass(frozen=True)
class Received:
    """One message the server accepted."""

    at: float
    mail_from: str
    rcpt_tos: list[str]
    content: bytes

    def parsed(self) -> ParsedMessage:
        message: Any = email.message_from_bytes(self.content, policy=email.policy.default)
        return message

    def text(self) -> str:
        """The text/plain body: CRLF line ends as \\n, no final newline (Django 6 adds one)."""
        return self._body("plain")

    def html(self) -> str:
        return self._body("html")

    def _body(self, subtype: str) -> str:
        part: Any = self.parsed().get_body((subtype,))
        return str(part.get_content()).replace("\r\n", "\n").rstrip("\n")


class Inbox:
    """The aiosmtpd handler: refuses @refused.example, keeps everything else."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._messages: list[Received] = []

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        if address.endswith("@" + REFUSED_DOMAIN):
            return REFUSAL.format(address=address)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        received = Received(
            time.time(), envelope.mail_from, list(envelope.rcpt_tos), envelope.content
        )
        with self._lock:
            self._messages.append(received)
        return "250 Message accepted for delivery"

    @property
    def messages(self) -> list[Received]:
        with self._lock:
            return list(self._messages)


class SMTPServer:
    """aiosmtpd on 127.0.0.1:`port`; stop() and start() again keep the same inbox."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.inbox = Inbox()
        self._controller: Controller | None = None

    def start(self) -> None:
        self._controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    @property
    def messages(self) -> list[Received]:
        return self.inbox.messages


class SilentServer:
    """Listens on 127.0.0.1:`port`, lets clients connect, and never answers them."""

    def __init__(self, port: int) -> None:
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", port))
        self.sock.listen(16)  # the kernel completes handshakes; nobody ever accept()s

    def close(self) -> None:
        self.sock.close()


class RefusingPort:
    """Holds 127.0.0.1:`port` bound but not listening: connections are refused, and no
    other process can take the port while the test waits for that."""

    def __init__(self, port: int) -> None:
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", port))

    def close(self) -> None:
        self.sock.close()
