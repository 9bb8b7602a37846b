"""HTTP transport: Slack's requests at POST /slack/events, a health check at GET /healthz, served by waitress."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import io
import json
import logging
import re
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import Executor
from typing import Any

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk.signature import Clock as SignatureClock
from slack_sdk.signature import SignatureVerifier
from sqlalchemy.exc import OperationalError

from bot.clock import Clock, SystemClock
from bot.runtime import Runtime, is_database_unavailable, unavailable_outcome
from bot.slack.listeners.commands import ack_payload, answer_command
from bot.web.app import ANSWER_PREFIX, WEB_PREFIX, create_web_app
from bot.slack.payloads import BadBody, Parsed, read_body
from handlers.router import SLASH_COMMANDS
from store import db, seen_requests

log = logging.getLogger("lspbot.web")

SLACK_PATH = "/slack/events"
MAX_BODY = 1024 * 1024  # Slack's payloads are far smaller; waitress refuses anything larger before reading it
SIGNING_WINDOW = 5 * 60  # seconds: Slack's signature check refuses a request signed longer ago (or ahead) than this
PURGE_EVERY = 10  # seconds: how often one process deletes the seen requests whose signing window has closed
PURGE_AT_MOST = 2000  # keys a purge deletes, or twice what the process recorded since its last if more
# X-Slack-Request-Timestamp: seconds since 1970 in ASCII digits. int() would take "²²²" (a ValueError), "١٢٣"
# (Arabic-Indic digits), " 1", "1_0" and 5,000 digits (a ValueError past 4,300), so the SDK's check is only
# handed a timestamp of this form.
TIMESTAMP = re.compile(r"[0-9]{1,12}")


class RawBodyVerifier(SignatureVerifier):
    """slack_sdk's signature check (Slack's 5-minute window, constant-time comparison) over the raw bytes of any
    body: the SDK decodes a body as UTF-8 before hashing it, which a body that is not UTF-8 fails."""

    def generate_signature(self, *, timestamp: str, body: str | bytes) -> str | None:
        try:
            return super().generate_signature(timestamp=timestamp, body=body)
        except UnicodeDecodeError:
            raw = body if isinstance(body, bytes) else body.encode()
            digest = hmac.new(self.signing_secret.encode(), b"v0:%s:%s" % (timestamp.encode(), raw), hashlib.sha256)
            return "v0=" + digest.hexdigest()


class _Seconds(SignatureClock):
    """Our clock as the SDK's (seconds since 1970)."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock

    def now(self) -> float:
        return self.clock.now().timestamp()


def make_verifier(secret: str, clock: Clock | None = None) -> RawBodyVerifier | None:
    """The signature check for the signing secret (None without one: every request is refused)."""
    return RawBodyVerifier(secret, _Seconds(clock or SystemClock())) if secret and secret.strip() else None


def signed_by_slack(verifier: SignatureVerifier | None, body: bytes, timestamp: str, signature: str) -> bool:
    """Whether Slack signed the body (v0) within its 5-minute window; older or newer is refused, and so is a
    timestamp that is not ASCII digits."""
    if verifier is None or not signature or not TIMESTAMP.fullmatch(timestamp):
        return False
    return verifier.is_valid(body=body, timestamp=timestamp, signature=signature)


def replay_key(parsed: Parsed, timestamp: str, signature: str) -> str | None:
    """What identifies a request for the seen-set: an Events API event by its `event_id` (Slack's retries of it
    carry new signatures), anything else by its signature and timestamp (which sign the whole body). None for
    the requests that change nothing and must be answered every time (URL verification, Slack's SSL check)."""
    if parsed.kind in ("url_verification", "ssl_check"):
        return None
    event_id = parsed.body.get("event_id") if parsed.kind == "event_callback" else None
    ident = f"event:{event_id}" if event_id else f"signed:{timestamp}:{signature}"
    return hashlib.sha256(ident.encode()).hexdigest()


class SeenSet:
    """The requests already run, in the database (so every replica shares it): one indexed insert per request, a
    transaction of its own (no BEGIN or COMMIT around it), decides whether it is new. Rows expire when their
    signing window closes; each process deletes the expired ones every 10 seconds at most, on `background` (in
    `lspbot serve` a thread of their own; without one, in the request that finds a purge due). A purge deletes at most
    PURGE_AT_MOST, or twice what this process recorded since its last purge if that is more: at 2,000 every 10
    seconds a process taking more than 200 requests a second recorded faster than it deleted, and the table grew
    for as long as the load lasted."""

    def __init__(self, runtime: Runtime, clock: Clock, background: Executor | None = None) -> None:
        self.runtime = runtime
        self.clock = clock
        self.background = background
        self._lock = threading.Lock()
        self._next_purge: dt.datetime | None = None
        self._recorded = 0  # requests recorded since the last purge began

    def first_time(self, key: str, timestamp: int) -> bool:
        """Whether the request is new (recorded as seen if so). Within the request's own deadline for the database;
        while the database is known to be down, OperationalError at once (the health probe says when it is back)."""
        if self.runtime.health.fail_fast:
            raise OperationalError("seen-set", {}, ConnectionError("the database is known to be unavailable"))
        expires_at = dt.datetime.fromtimestamp(timestamp + SIGNING_WINDOW, dt.UTC)
        try:
            with db.deadline(self.runtime.request_timeout):
                first = seen_requests.first_sight(self.runtime.seen_engine, key=key, expires_at=expires_at)
        except Exception as exc:
            if is_database_unavailable(exc):
                self.runtime.health.failed("the seen-set", exc)  # logged once per outage, not per request
            raise
        self.runtime.health.succeeded()
        self._purge_if_due(recorded=first)
        return first

    def _purge_if_due(self, *, recorded: bool) -> None:
        now = self.clock.now()
        with self._lock:
            self._recorded += recorded
            if self._next_purge is not None and now < self._next_purge:
                return
            self._next_purge = now + dt.timedelta(seconds=PURGE_EVERY)
            limit, self._recorded = max(PURGE_AT_MOST, 2 * self._recorded), 0
        if self.background is None:
            self._purge(now, limit)
        else:
            self.background.submit(self._purge, now, limit)

    def _purge(self, now: dt.datetime, limit: int) -> None:
        try:
            with db.session_scope(self.runtime.sessions) as session:
                gone = seen_requests.purge_expired(session=session, now=now, limit=limit)
            log.debug("seen requests: %d expired ones deleted", gone)
        except Exception as exc:  # the next purge takes them; the request itself has its answer
            log.warning("could not delete expired seen requests (%s)", exc.__class__.__name__)


def make_wsgi(app: App, runtime: Runtime, *, clock: Clock | None = None,
              purge_in: Executor | None = None) -> Callable[..., Iterable[bytes]]:
    """Route /healthz, /slack/events, the boards' web pages (/b/…) and the answer links' pages (/a/…); everything
    else is 404.

    A request to /slack/events passes one gate before Bolt sees it, in this order: the size (413), Slack's
    signature (401; the only check of it: Bolt's own is off), UTF-8 (400), the body's shape (400, see
    bot/slack/payloads.py), then the seen-set: an Events API retry (`X-Slack-Retry-Num`) or a request seen
    before is acknowledged with an empty 200 and not run again. One of our slash commands is then answered by
    the gate itself, with the function Bolt's command listener runs (Socket Mode's path); everything else goes on
    to Bolt. `clock` is the wall clock of the signing window and the seen-set's expiry (the real one unless a
    test sets it); `purge_in` runs the seen-set's purges (`lspbot serve`: a thread of their own; without one, the
    request that finds a purge due runs it)."""
    slack = SlackRequestHandler(app, path=SLACK_PATH)
    after_ack = app.listener_runner.listener_executor  # what the app's listeners run after their ack
    pages = create_web_app(runtime)
    clock = clock or SystemClock()
    verifier = make_verifier(runtime.settings.slack_signing_secret or "", clock)
    seen = SeenSet(runtime, clock, background=purge_in)

    def respond(start_response: Callable[..., Any], status: str, body: dict[str, Any] | None,
                headers: tuple[tuple[str, str], ...] = ()) -> list[bytes]:
        data = json.dumps(body).encode() if body is not None else b""
        kind = [("Content-Type", "application/json")] if body is not None else []
        start_response(status, [*kind, ("Content-Length", str(len(data))), *headers])
        return [data]

    def unavailable(start_response: Callable[..., Any], parsed: Parsed) -> list[bytes]:
        """The database could not say whether the request is new: nothing runs. A slash command is told so (Slack
        shows a 200's text); anything else gets 503, which Slack shows as an error on the button or form."""
        if parsed.kind == "slash_command":
            return respond(start_response, "200 OK", ack_payload(unavailable_outcome(runtime)))
        return respond(start_response, "503 Service Unavailable", {"ok": False, "error": "temporarily unavailable"})

    def slack_events(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return respond(start_response, "400 Bad Request", {"ok": False, "error": "bad Content-Length"})
        if length > MAX_BODY:  # waitress refuses these before reading them; this is for any other server
            return respond(start_response, "413 Payload Too Large", {"ok": False, "error": "too large"})
        timestamp = environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP", "")
        signature = environ.get("HTTP_X_SLACK_SIGNATURE", "")
        if not signature or not TIMESTAMP.fullmatch(timestamp):  # refused before the body is read
            return respond(start_response, "401 Unauthorized", {"error": "invalid request"})
        body = environ["wsgi.input"].read(length) if length else b""
        if not signed_by_slack(verifier, body, timestamp, signature):
            return respond(start_response, "401 Unauthorized", {"error": "invalid request"})
        try:
            raw = body.decode("utf-8")
        except UnicodeDecodeError:  # Slack sends UTF-8
            return respond(start_response, "400 Bad Request", {"ok": False, "error": "the body is not UTF-8"})
        content_type = environ.get("CONTENT_TYPE") or None
        try:
            parsed = read_body(raw, content_type.split(";")[0] if content_type else None)
        except BadBody as exc:
            log.info("a signed request refused: %s", exc)
            return respond(start_response, "400 Bad Request", {"ok": False, "error": str(exc)})
        if parsed.kind == "event_callback" and environ.get("HTTP_X_SLACK_RETRY_NUM"):
            log.info("an Events API retry (%s) acknowledged and dropped", environ.get("HTTP_X_SLACK_RETRY_REASON"))
            return respond(start_response, "200 OK", None, (("X-Slack-No-Retry", "1"),))
        key = replay_key(parsed, timestamp, signature)
        if key is not None:
            try:
                first = seen.first_time(key, int(timestamp))
            except Exception as exc:
                if not is_database_unavailable(exc):
                    raise
                return unavailable(start_response, parsed)
            if not first:
                log.info("a %s seen before acknowledged and not run again", parsed.kind or "request")
                return respond(start_response, "200 OK", None, (("X-Slack-No-Retry", "1"),))
        if parsed.kind == "slash_command" and parsed.body["command"] in SLASH_COMMANDS and "ssl_check" not in parsed.body:
            # Answered here, by the listener's own function: Bolt would only find that listener again (its
            # middleware, its matching, a client and the listener's arguments built for this request).
            return respond(start_response, "200 OK", answer_command(runtime, slack.app.client, after_ack, parsed.body))
        data = parsed.raw.encode()
        environ["wsgi.input"] = io.BytesIO(data)
        environ["CONTENT_LENGTH"] = str(len(data))
        return slack(environ, start_response)

    def wsgi(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        method = environ.get("REQUEST_METHOD", "GET")
        if path == "/healthz" and method in ("GET", "HEAD"):
            # The health probe's last answer (within about a second of now), never a wait on the database.
            if not runtime.health.up:
                return respond(start_response, "503 Service Unavailable", {"ok": False, "database": "unavailable"})
            return respond(start_response, "200 OK", {"ok": True, "database": "ok"})
        if path == SLACK_PATH:
            if method != "POST":
                return respond(start_response, "405 Method Not Allowed", {"ok": False, "error": "POST only"})
            return slack_events(environ, start_response)
        if path.startswith((WEB_PREFIX, ANSWER_PREFIX)):
            return pages(environ, start_response)
        return respond(start_response, "404 Not Found", {"ok": False, "error": "not found"})

    return wsgi


def serve_http(wsgi: Callable[..., Iterable[bytes]], host: str, port: int, *, threads: int = 8,
               on_ready: Callable[[str, int], None] | None = None) -> None:
    """Serve with waitress (a production WSGI server: threaded, HTTP/1.1, keeps slow clients off the workers)."""
    from waitress.server import create_server

    # max_request_body_size: a Content-Length over the limit is answered 413 as soon as the headers are in, and the
    # connection closed, instead of waitress buffering the whole body before the app sees the request.
    server = create_server(wsgi, host=host, port=port, threads=threads, ident="lspbot",
                           connection_limit=200, channel_timeout=30, clear_untrusted_proxy_headers=True,
                           max_request_body_size=MAX_BODY + 1)
    if on_ready:
        on_ready(server.effective_host, server.effective_port)
    try:
        server.run()
    finally:
        server.close()
