"""A real SMTP server on 127.0.0.1 (aiosmtpd) receiving what lspbot emails, as the fake Slack server receives its
messages: each message kept as sent (parsed with the `email` package), and faults a test can ask for (a temporary
or permanent refusal of the next messages, a dropped connection)."""

from __future__ import annotations

import asyncio
import email
import email.policy
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session


@dataclass
class Received:
    """One message as the server took it: the envelope and the parsed message."""

    mail_from: str
    recipients: list[str]
    message: EmailMessage
    raw: bytes

    @property
    def text(self) -> str:
        part = self.message.get_body(preferencelist=("plain",))
        return part.get_content() if part is not None else ""

    @property
    def html(self) -> str:
        part = self.message.get_body(preferencelist=("html",))
        return part.get_content() if part is not None else ""

    @property
    def attachments(self) -> list[tuple[str, str, bytes]]:
        """Each attachment's (filename, content type, bytes)."""
        return [(a.get_filename() or "", a.get_content_type(), a.get_payload(decode=True) or b"")
                for a in self.message.iter_attachments()]


@dataclass
class _Faults:
    """What the server does to the next messages: (reply, count) answers DATA with `reply` that many times;
    `drop` closes the connection at DATA that many times."""

    replies: list[str] = field(default_factory=list)
    drop: int = 0


class _Handler:
    def __init__(self, server: FakeSmtp) -> None:
        self.server = server

    async def handle_DATA(self, smtp: SMTP, session: Session, envelope: Envelope) -> str:
        if self.server.delay:  # a slow server: the client waits this long for its answer to DATA
            await asyncio.sleep(self.server.delay)
        with self.server.lock:
            if self.server.faults.drop:
                self.server.faults.drop -= 1
                assert session.peer is not None
                smtp.transport.close()  # type: ignore[union-attr]
                return "421 closing"
            if self.server.faults.replies:
                return self.server.faults.replies.pop(0)
            raw = envelope.original_content or b""
            message = email.message_from_bytes(raw, policy=email.policy.default)
            self.server.received.append(Received(str(envelope.mail_from), list(envelope.rcpt_tos),
                                                 message, raw))  # type: ignore[arg-type]
            self.server.arrived.set()
        return "250 OK"


def _free_port() -> int:
    """A port free on 127.0.0.1 now (aiosmtpd's controller checks its server by connecting to the port it was
    given, so it cannot be given 0)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class FakeSmtp:
    """aiosmtpd on 127.0.0.1 and a free port; `url` is the LSPBOT_SMTP_URL that reaches it."""

    def __init__(self, *, auth: tuple[str, str] | None = None) -> None:
        self.lock = threading.Lock()
        self.received: list[Received] = []
        self.faults = _Faults()
        self.arrived = threading.Event()
        self.delay = 0.0  # seconds before each message is answered (a test that must stop a sender mid-drain)
        self.auth = auth
        kwargs: dict[str, Any] = {}
        if auth is not None:
            kwargs.update(authenticator=self._authenticate, auth_require_tls=False)
        self._controller = Controller(_Handler(self), hostname="127.0.0.1", port=_free_port(), **kwargs)

    def _authenticate(self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> Any:
        from aiosmtpd.smtp import AuthResult, LoginPassword

        ok = isinstance(auth_data, LoginPassword) and self.auth is not None and \
            (auth_data.login.decode(), auth_data.password.decode()) == self.auth
        return AuthResult(success=ok, handled=False)  # a refusal answered 535 (not left to a custom mechanism)

    def start(self) -> FakeSmtp:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()

    @property
    def port(self) -> int:
        return int(self._controller.port)

    @property
    def url(self) -> str:
        user = f"{self.auth[0]}:{self.auth[1]}@" if self.auth else ""
        return f"smtp://{user}127.0.0.1:{self.port}"

    def reset(self) -> None:
        with self.lock:
            self.received.clear()
            self.faults = _Faults()
            self.arrived.clear()
            self.delay = 0.0

    def refuse_next(self, reply: str, times: int = 1) -> None:
        """Answer the next `times` messages with `reply` (`451 4.3.0 try later`, `550 5.1.1 no such user`)."""
        with self.lock:
            self.faults.replies.extend([reply] * times)

    def drop_next(self, times: int = 1) -> None:
        """Close the connection instead of taking the next `times` messages."""
        with self.lock:
            self.faults.drop += times

    def to(self, address: str) -> list[Received]:
        """What arrived for `address`, in order."""
        with self.lock:
            return [r for r in self.received if address.lower() in (a.lower() for a in r.recipients)]

    def messages(self, where: Callable[[Received], bool] = lambda r: True) -> list[Received]:
        with self.lock:
            return [r for r in self.received if where(r)]
