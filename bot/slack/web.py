"""HTTP transport: Slack's requests at POST /slack/events, a health check at GET /healthz, served by waitress."""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import logging
from collections.abc import Callable, Iterable
from typing import Any

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk.signature import SignatureVerifier

from bot.runtime import Runtime

log = logging.getLogger("lspbot.web")

SLACK_PATH = "/slack/events"
MAX_BODY = 1024 * 1024  # Slack's payloads are far smaller; refuse anything larger


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


def signed_by_slack(body: bytes, timestamp: str, signature: str, secret: str) -> bool:
    """Whether Slack signed the body (v0) within its 5-minute window; older or newer is refused."""
    if not secret or not timestamp.isdigit():
        return False
    return RawBodyVerifier(secret).is_valid(body=body, timestamp=timestamp, signature=signature)


def make_wsgi(app: App, runtime: Runtime) -> Callable[..., Iterable[bytes]]:
    """Route /healthz and /slack/events; everything else is 404."""
    slack = SlackRequestHandler(app, path=SLACK_PATH)

    def respond(start_response: Callable[..., Any], status: str, body: dict[str, Any]) -> list[bytes]:
        data = json.dumps(body).encode()
        start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
        return [data]

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
            try:
                length = int(environ.get("CONTENT_LENGTH") or 0)
            except ValueError:
                length = 0
            if length > MAX_BODY:
                return respond(start_response, "413 Payload Too Large", {"ok": False, "error": "too large"})
            timestamp = environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP", "")
            signature = environ.get("HTTP_X_SLACK_SIGNATURE", "")
            if not timestamp.isdigit() or not signature:
                # Bolt verifies the signature itself; it would fail with a 500 on a malformed timestamp.
                return respond(start_response, "401 Unauthorized", {"error": "invalid request"})
            body = environ["wsgi.input"].read(length) if length else b""
            try:
                body.decode("utf-8")
            except UnicodeDecodeError:
                # Slack sends UTF-8; Bolt would fail with a 500 decoding anything else.
                if not signed_by_slack(body, timestamp, signature, runtime.settings.slack_signing_secret or ""):
                    return respond(start_response, "401 Unauthorized", {"error": "invalid request"})
                return respond(start_response, "400 Bad Request", {"ok": False, "error": "the body is not UTF-8"})
            environ["wsgi.input"] = io.BytesIO(body)
            return slack(environ, start_response)
        return respond(start_response, "404 Not Found", {"ok": False, "error": "not found"})

    return wsgi


def serve_http(wsgi: Callable[..., Iterable[bytes]], host: str, port: int, *, threads: int = 8,
               on_ready: Callable[[str, int], None] | None = None) -> None:
    """Serve with waitress (a production WSGI server: threaded, HTTP/1.1, keeps slow clients off the workers)."""
    from waitress.server import create_server

    server = create_server(wsgi, host=host, port=port, threads=threads, ident="lspbot",
                           connection_limit=200, channel_timeout=30, clear_untrusted_proxy_headers=True)
    if on_ready:
        on_ready(server.effective_host, server.effective_port)
    try:
        server.run()
    finally:
        server.close()
