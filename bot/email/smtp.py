"""Emails from the outbox delivered by SMTP (target kind `email`, store.outbox.EMAIL).

LSPBOT_SMTP_URL names the server: `smtp://[user:password@]host[:port]` speaks plain SMTP and moves to TLS with
STARTTLS when the server offers it (`?starttls=required` refuses a server that does not); `smtps://` is TLS from
the first byte. The user and password are percent-decoded (`%40` for an `@` in a password). Ports: 465 for
smtps://; for smtp://, 587 (submission) when a user is given, else 25 (a relay on the council's network).

Each outbox row becomes one message to one person: From LSPBOT_MAIL_FROM, To that person alone (never anyone
else's address in To or Cc), a Message-ID made from the row (the same on every attempt, so a mail server that
took it once can tell a repeat), plain text with an HTML alternative, and its attachments. What the server says
decides what the sender does: 4xx, a refused or dropped connection and a timeout are tried again with the
sender's backoff; 5xx fails the message for good with the server's code and reason (`lspbot outbox list`).
Two emails to one mail domain are LSPBOT_MAIL_DOMAIN_INTERVAL seconds apart; the sender sends to other domains
meanwhile. A connection is kept for the next message if it comes soon (checked with NOOP before it is used).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import smtplib
import socket
import ssl
import threading
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, parseaddr
from typing import Any

from bot.delivery import Delivered, DeliveryError, Pacer

EMAIL = "email"  # the outbox's target kind (store.outbox.EMAIL)
TIMEOUT = 20.0  # seconds one message may take, from connecting to the server's answer to its end of DATA
KEEP_CONNECTION = 20.0  # seconds an idle connection is kept for the next message
# Headers a payload may not set: the envelope's and the message's own (To and Cc are the one recipient's alone)
RESERVED_HEADERS = frozenset({"to", "cc", "bcc", "from", "sender", "subject", "date", "message-id", "mime-version",
                              "content-type", "content-transfer-encoding", "resent-to", "resent-cc", "resent-bcc"})


ONE_ADDRESS = re.compile(r"[^\s@,;:<>()\[\]\"\\]+@[^\s@,;:<>()\[\]\"\\]+")  # one bare address, as the target is


class SmtpSettingsError(ValueError):
    """LSPBOT_SMTP_URL cannot be used as it is (the message says why)."""


@dataclass(frozen=True)
class SmtpServer:
    """Where email goes, read from LSPBOT_SMTP_URL."""

    host: str
    port: int
    tls: bool  # smtps://: TLS from the start
    starttls_required: bool  # ?starttls=required
    user: str | None = None
    password: str | None = None

    def __str__(self) -> str:
        """The server as it may be shown (no password)."""
        scheme = "smtps" if self.tls else "smtp"
        user = f"{self.user}@" if self.user else ""
        return f"{scheme}://{user}{self.host}:{self.port}" + ("?starttls=required" if self.starttls_required else "")


def parse_smtp_url(url: str) -> SmtpServer:
    """LSPBOT_SMTP_URL read into its parts."""
    parts = urllib.parse.urlsplit(url.strip())
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise SmtpSettingsError("LSPBOT_SMTP_URL: smtp://[user:password@]host[:port] or smtps://…")
    query = urllib.parse.parse_qs(parts.query, keep_blank_values=True)
    unknown = set(query) - {"starttls"}
    if unknown:
        raise SmtpSettingsError(f"LSPBOT_SMTP_URL: unknown option {', '.join(sorted(unknown))} (only starttls=required)")
    starttls = (query.get("starttls") or [""])[-1].lower()
    if starttls not in ("", "required", "auto"):
        raise SmtpSettingsError("LSPBOT_SMTP_URL: starttls=required is the only setting of starttls")
    if starttls == "required" and parts.scheme == "smtps":
        raise SmtpSettingsError("LSPBOT_SMTP_URL: smtps:// is TLS from the start; starttls=required is for smtp://")
    try:
        port = parts.port
    except ValueError:
        raise SmtpSettingsError("LSPBOT_SMTP_URL: the port is not a number from 1 to 65535") from None
    user = urllib.parse.unquote(parts.username) if parts.username else None
    password = urllib.parse.unquote(parts.password) if parts.password is not None else None
    if port is None:
        port = 465 if parts.scheme == "smtps" else (587 if user else 25)
    return SmtpServer(host=parts.hostname, port=port, tls=parts.scheme == "smtps",
                      starttls_required=starttls == "required", user=user, password=password)


def mail_domain(address: str) -> str:
    """The domain an address's mail goes to, lower-cased (what pacing counts by)."""
    return address.rpartition("@")[2].strip().lower()


def message_id(outbox_id: int, address: str, mail_from: str) -> str:
    """The Message-ID of an outbox row's email: the same on every attempt at that row, a different one for any
    other row (the row's id and its address, on the domain of LSPBOT_MAIL_FROM)."""
    domain = mail_domain(parseaddr(mail_from)[1]) or "lspbot.invalid"
    digest = hashlib.sha256(f"{outbox_id}:{address.lower()}".encode()).hexdigest()[:16]
    return f"<lspbot.{outbox_id}.{digest}@{domain}>"


def build_message(payload: dict[str, Any], address: str, *, mail_from: str, now: dt.datetime,
                  outbox_id: int | None = None) -> EmailMessage:
    """The email of an outbox payload (bot.email.compose's contract) to one address."""
    if not ONE_ADDRESS.fullmatch(address):
        raise ValueError(f"not one email address: {address!r}")
    message = EmailMessage()
    message["From"] = mail_from
    message["To"] = formataddr((str(payload.get("to_name") or ""), address))
    if [a.addr_spec for a in message["To"].addresses] != [address]:  # a name that smuggles in another address
        raise ValueError(f"the To of {address} would not be that address alone")
    message["Subject"] = str(payload.get("subject") or "A message from lspbot")
    message["Date"] = format_datetime(now.astimezone(dt.UTC))
    message["Message-ID"] = message_id(outbox_id if outbox_id is not None else 0, address, mail_from)
    for name, value in (payload.get("headers") or {}).items():
        if str(name).lower() in RESERVED_HEADERS:
            raise ValueError(f"the payload may not set its own {name} header")
        message[str(name)] = str(value)
    message.set_content(str(payload.get("text") or ""))
    if payload.get("html"):
        message.add_alternative(str(payload["html"]), subtype="html")
    for attachment in payload.get("attachments") or []:
        content = attachment.get("_content")
        if content is None:
            content = bytes.fromhex(str(attachment.get("content_hex") or ""))
        maintype, _, subtype = str(attachment.get("mimetype") or "application/octet-stream").partition("/")
        message.add_attachment(bytes(content), maintype=maintype or "application",
                               subtype=subtype or "octet-stream", filename=str(attachment.get("filename") or "file"))
    return message


def _reply_text(raw: bytes | str) -> str:
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
    return " ".join(text.split())


def smtp_failure(code: int, reply: bytes | str, what: str = "") -> DeliveryError:
    """A server's refusal: 4xx is tried again (the sender's backoff), 5xx is for good; the code and the reason
    are what `lspbot outbox list` shows."""
    said = f"SMTP {code} {_reply_text(reply)}".strip() + (f" ({what})" if what else "")
    return DeliveryError(said, retry_after=None if 500 <= code < 600 else 0.0)


class Watchdog:
    """Cuts a connection off when an exchange has taken `seconds`, at whatever step it is (a socket's timeout
    bounds each read and write, not their sum), so one message takes no longer than the sender allowed for."""

    def __init__(self, seconds: float) -> None:
        self.connection: smtplib.SMTP | None = None
        self.fired = False
        self._timer = threading.Timer(seconds, self._cut_off)
        self._timer.daemon = True

    def _cut_off(self) -> None:
        self.fired = True
        sock = self.connection.sock if self.connection is not None else None
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def __enter__(self) -> Watchdog:
        self._timer.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._timer.cancel()


class SmtpDelivery:
    """Delivers outbox rows of target kind `email` through one SMTP server (thread-safe)."""

    def __init__(self, server: SmtpServer, mail_from: str, *, domain_interval: float = 1.0,
                 now: Callable[[], dt.datetime] | None = None, timeout: float = TIMEOUT,
                 monotonic: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep,
                 tls_context: ssl.SSLContext | None = None, local_hostname: str | None = None) -> None:
        self.server = server
        self.mail_from = mail_from
        self.envelope_from = parseaddr(mail_from)[1]
        self.timeout = timeout
        self.pacer = Pacer(domain_interval, sleep=sleep, monotonic=monotonic)
        self._now = now or (lambda: dt.datetime.now(dt.UTC))
        self._monotonic = monotonic
        self._tls = tls_context
        self._local_hostname = local_hostname
        self._connection: smtplib.SMTP | None = None
        self._idle_since = 0.0
        self._lock = threading.Lock()

    # ------------------------------------------------------------ what the sender asks

    @staticmethod
    def pace_key(target: str) -> str:
        return f"mail:{mail_domain(target)}"

    def delay_for(self, target_kind: str, target: str) -> float:
        """Seconds before an email to this address may go: its domain's pace."""
        return self.pacer.delay(self.pace_key(target))

    def hold(self, target_kind: str, target: str, seconds: float) -> None:
        self.pacer.hold(self.pace_key(target), seconds)

    def worst_case(self, target_kind: str, target: str, payload: dict[str, Any]) -> float:
        """The longest one `deliver` can take from now: its domain's wait, then the whole exchange, which is cut
        off at `timeout` (the NOOP of a kept connection included)."""
        return self.delay_for(target_kind, target) + self.timeout

    def deliver(self, target_kind: str, target: str, payload: dict[str, Any]) -> Delivered:
        if target_kind != EMAIL:
            raise DeliveryError(f"not an email: {target_kind}", retry_after=None)
        try:
            message = build_message(payload, target, mail_from=self.mail_from, now=self._now(),
                                    outbox_id=payload.get("_outbox_id"))
        except Exception as exc:  # noqa: BLE001 - a header with a line break, an address that is none: never sent
            raise DeliveryError(f"the email cannot be made: {exc}", retry_after=None) from exc
        with self.pacer.slot(self.pace_key(target)), self._lock:
            self._send(message, target)
        return Delivered(channel=None, ts=None)

    def close(self) -> None:
        """Say goodbye to the server, if a connection is open."""
        with self._lock:
            self._drop(polite=True)

    # ------------------------------------------------------------ the exchange

    def _send(self, message: EmailMessage, address: str) -> None:
        with Watchdog(self.timeout) as watchdog:
            try:
                connection = self._connected(watchdog)
                if not (address.isascii() and self.envelope_from.isascii()) and not connection.has_extn("smtputf8"):
                    self._drop(polite=True)
                    raise DeliveryError("the mail server cannot take an address that is not ASCII (no SMTPUTF8)",
                                        retry_after=None)
                connection.send_message(message, self.envelope_from, [address])
            except DeliveryError:
                raise
            except smtplib.SMTPRecipientsRefused as exc:
                self._drop(polite=True)
                code, reply = next(iter(exc.recipients.values()), (550, b"refused"))
                raise smtp_failure(code, reply, "the address was refused") from exc
            except smtplib.SMTPSenderRefused as exc:
                self._drop(polite=True)
                raise smtp_failure(exc.smtp_code, exc.smtp_error,
                                   f"the sender {self.envelope_from} was refused") from exc
            except smtplib.SMTPAuthenticationError as exc:
                self._drop(polite=True)
                # the login, not the message: tried again (the password may be put right meanwhile)
                raise DeliveryError(f"the mail server refused lspbot's login: SMTP {exc.smtp_code} "
                                    f"{_reply_text(exc.smtp_error)} (check LSPBOT_SMTP_URL)", retry_after=0.0) from exc
            except smtplib.SMTPResponseException as exc:  # a refusal of DATA, of MAIL FROM, of the greeting
                self._drop(polite=True)
                raise smtp_failure(exc.smtp_code, exc.smtp_error) from exc
            except (OSError, smtplib.SMTPException) as exc:  # refused, reset, dropped, timed out, TLS failed
                self._drop()
                if watchdog.fired:
                    raise DeliveryError(f"the mail server took longer than {self.timeout:g} s", retry_after=0.0) from exc
                if isinstance(exc, smtplib.SMTPServerDisconnected):
                    raise DeliveryError(f"the mail server closed the connection: {exc}", retry_after=0.0) from exc
                raise DeliveryError(f"the mail server at {self.server.host}:{self.server.port} could not be reached: "
                                    f"{exc.__class__.__name__}: {exc}", retry_after=0.0) from exc
            except Exception as exc:  # noqa: BLE001 - anything else: tried again (so a few times), then failed
                self._drop()
                raise DeliveryError(f"{exc.__class__.__name__}: {exc}", retry_after=0.0) from exc
        self._idle_since = self._monotonic()

    def _connected(self, watchdog: Watchdog) -> smtplib.SMTP:
        """The kept connection if it is recent and still answers NOOP, else a new one (greeted, TLS as asked,
        logged in)."""
        kept = self._connection
        if kept is not None:
            if self._monotonic() - self._idle_since <= KEEP_CONNECTION:
                watchdog.connection = kept
                try:
                    if kept.noop()[0] == 250:
                        return kept
                except (OSError, smtplib.SMTPException):
                    if watchdog.fired:
                        raise
            self._drop()
        self._connection = self.connect(watchdog)
        return self._connection

    def connect(self, watchdog: Watchdog | None = None) -> smtplib.SMTP:
        """A new connection, greeted (EHLO), with TLS as LSPBOT_SMTP_URL asks, logged in if it names a user."""
        server = self.server
        context = self._tls or ssl.create_default_context()
        connection: smtplib.SMTP
        if server.tls:
            connection = smtplib.SMTP_SSL(timeout=self.timeout, context=context, local_hostname=self._local_hostname)
        else:
            connection = smtplib.SMTP(timeout=self.timeout, local_hostname=self._local_hostname)
        if watchdog is not None:
            watchdog.connection = connection
        try:
            code, greeting = connection.connect(server.host, server.port)
            if code != 220:
                raise smtplib.SMTPConnectError(code, greeting)
            connection.ehlo()
            if not server.tls:
                if connection.has_extn("starttls"):
                    connection.starttls(context=context)
                    connection.ehlo()
                elif server.starttls_required:
                    raise DeliveryError(
                        f"the mail server at {server.host}:{server.port} does not offer STARTTLS, and "
                        "LSPBOT_SMTP_URL asks for it (?starttls=required): nothing was sent over a connection "
                        "that is not encrypted", retry_after=0.0)
            if server.user:
                if not connection.has_extn("auth"):
                    raise DeliveryError(f"the mail server at {server.host}:{server.port} offers no login (AUTH), "
                                        "and LSPBOT_SMTP_URL names a user", retry_after=0.0)
                connection.login(server.user, server.password or "")
        except BaseException:
            _close(connection)
            raise
        return connection

    def _drop(self, *, polite: bool = False) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            if polite:
                try:
                    connection.quit()
                    return
                except (OSError, smtplib.SMTPException):
                    pass
            _close(connection)


def _close(connection: smtplib.SMTP) -> None:
    try:
        connection.close()
    except OSError:
        pass


def probe(server: SmtpServer, *, timeout: float = 10.0, tls_context: ssl.SSLContext | None = None) -> str:
    """Connect, greet, log in if asked and say NOOP, as a delivery would: what the server said (for `lspbot
    doctor`); raises DeliveryError with the reason when it cannot be used."""
    delivery = SmtpDelivery(server, "lspbot@localhost", timeout=timeout, tls_context=tls_context)
    try:
        with Watchdog(timeout) as watchdog:
            connection = delivery.connect(watchdog)
    except smtplib.SMTPAuthenticationError as exc:
        raise DeliveryError(f"the login was refused: SMTP {exc.smtp_code} {_reply_text(exc.smtp_error)}",
                            retry_after=0.0) from exc
    except smtplib.SMTPResponseException as exc:
        raise smtp_failure(exc.smtp_code, exc.smtp_error) from exc
    except (OSError, smtplib.SMTPException) as exc:
        raise DeliveryError(f"{exc.__class__.__name__}: {exc}", retry_after=0.0) from exc
    try:
        code, _ = connection.noop()
        encrypted = isinstance(connection.sock, ssl.SSLSocket)
        said = "answers" + (" over TLS" if encrypted else " (not encrypted)")
        if server.user:
            said += f", logged in as {server.user}"
        if code != 250:
            raise DeliveryError(f"NOOP answered {code}", retry_after=0.0)
        return said
    finally:
        try:
            connection.quit()
        except (OSError, smtplib.SMTPException):
            _close(connection)

