"""HTTP transport: Slack's requests at POST /slack/events, a health check at GET /healthz, served by waitress."""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import logging
import time
from collections.abc import Callable, Iterable
from typing import Any

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from sqlalchemy import text

from bot.runtime import Runtime
from store.db import READ_ONLY

log = logging.getLogger("lspbot.web")

SLACK_PATH = "/slack/events"
MAX_BODY = 1024 * 1024  # Slack's payloads are far smaller; refuse anything larger
MAX_AGE = 5 * 60  # Slack's window: a signature older (or newer) than this is refused


def signed_by_slack(body: bytes, timestamp: str, signature: str, secret: str, now: float | None = None) -> bool:
    """Slack's v0 signature over the raw bytes, within the 5-minute window."""
    if not timestamp.isdigit() or abs((time.time() if now is None else now) - int(timestamp)) > MAX_AGE:
        return False
    expected = "v0=" + hmac.new(secret.encode(), b"v0:" + timestamp.encode() + b":" + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, signature)


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
            try:
                with runtime.engine.connect() as conn:  # a read: on SQLite it takes no write lock
                    conn.execution_options(**{READ_ONLY: True}).execute(text("SELECT 1"))
            except Exception as exc:  # report, don't crash: the load balancer needs the answer
                log.warning("health check: database unavailable (%s)", exc.__class__.__name__)
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
