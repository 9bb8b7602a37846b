"""Requests to the app as Slack sends them (form-encoded or JSON, signed), and its answers read for assertions."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass, field
from typing import Any

from tests.support.fake_slack import check_ack
from tests.support.settings import SIGNING_SECRET


def sign(body: bytes, timestamp: int | None = None, secret: str = SIGNING_SECRET) -> dict[str, str]:
    """Slack's v0 request signature headers for a body."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    base = b"v0:" + ts.encode() + b":" + body
    signature = "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": signature}


@dataclass
class HttpResult:
    """An HTTP answer: status, body and headers."""

    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)

    def json(self) -> dict[str, Any]:
        return json.loads(self.body) if self.body else {}

    @property
    def text(self) -> str:
        """All the text of a Block Kit reply, for assertions."""
        data = self.json()
        return blocks_text(data)


def blocks_text(data: dict[str, Any]) -> str:
    """The text of a Block Kit message or reply (its `text`, sections, fields and context), one part a line."""
    parts = [data.get("text", "")]
    for block in data.get("blocks", []) or []:
        if isinstance(block.get("text"), dict):
            parts.append(block["text"].get("text", ""))
        for f in block.get("fields", []) or []:
            parts.append(f.get("text", ""))
        for e in block.get("elements", []) or []:
            if isinstance(e, dict):
                parts.append(e.get("text", "") if isinstance(e.get("text"), str) else (e.get("text") or {}).get("text", ""))
    return "\n".join(parts)


def valid_ack(result: HttpResult) -> HttpResult:
    """Fail unless an acknowledgement's JSON body is one Slack would take: a slash command's answer parsed with
    slack_sdk.models under Slack's limits, a view submission's `response_action` well formed — the fake Slack's
    own check of chat.* and views.* payloads (`fake_slack.check_ack`)."""
    if result.status == 200 and result.body.strip() and "json" in result.headers.get("Content-Type", ""):
        body = result.json()
        reason = check_ack(body) if isinstance(body, dict) else "an acknowledgement that is not a JSON object"
        assert reason is None, f"Slack would reject this acknowledgement ({reason}): {result.body[:500]!r}"
    return result


def http(method: str, url: str, body: bytes = b"", headers: dict[str, str] | None = None, timeout: float = 10) -> HttpResult:
    """One HTTP request; an error status is an answer like any other."""
    req = urllib.request.Request(url, data=body if method != "GET" else None, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return HttpResult(resp.status, resp.read(), dict(resp.headers))
    except urllib.error.HTTPError as exc:
        return HttpResult(exc.code, exc.read(), dict(exc.headers))


def trigger_id() -> str:
    """A fresh trigger id, as Slack gives every slash command and interaction: no two requests Slack sends are the
    same signed body, and the app acknowledges a body it has seen before without running it again."""
    return f"{int(time.time())}.{uuid.uuid4().int % 10**12:012d}.{uuid.uuid4().hex[:16]}"


@dataclass
class SlackUser:
    """Sends requests to the app exactly as Slack does: form-encoded, signed, each with its own trigger id."""

    base_url: str
    user_id: str
    channel_id: str
    user_name: str = ""

    def post(self, form: dict[str, str], *, headers: dict[str, str] | None = None, timestamp: int | None = None) -> HttpResult:
        """Post as Slack does; the app's acknowledgement is held to what Slack accepts (see `valid_ack`)."""
        body = urllib.parse.urlencode(form).encode()
        hdrs = {"Content-Type": "application/x-www-form-urlencoded", **sign(body, timestamp)}
        hdrs.update(headers or {})
        return valid_ack(http("POST", self.base_url + "/slack/events", body, hdrs))

    def command(self, command: str, text: str = "", *, channel_id: str | None = None) -> HttpResult:
        return self.post({
            "token": "deprecated", "team_id": "T0LSP", "team_domain": "lsp", "channel_id": channel_id or self.channel_id,
            "channel_name": "board", "user_id": self.user_id, "user_name": self.user_name or self.user_id.lower(),
            "command": command, "text": text, "api_app_id": "A0LSP", "is_enterprise_install": "false",
            "response_url": "https://hooks.slack.com/commands/T0LSP/1/x", "trigger_id": trigger_id(),
        })

    def interact(self, payload: dict[str, Any]) -> HttpResult:
        """A click, submission or shortcut; it gets a fresh trigger id where Slack gives one (all but view_closed)."""
        if payload.get("type") != "view_closed":
            payload = {**payload, "trigger_id": trigger_id()}
        return self.post({"payload": json.dumps(payload)})

    def event(self, event: dict[str, Any]) -> HttpResult:
        """An Events API `event_callback` about this user, posted as Slack does: a signed JSON body."""
        body = json.dumps({
            "token": "deprecated", "team_id": "T0LSP", "api_app_id": "A0LSP", "type": "event_callback",
            "event_id": "Ev" + uuid.uuid4().hex[:10].upper(), "event_time": int(time.time()),
            "event": {"user": self.user_id, "event_ts": f"{time.time():.6f}", **event},
        }).encode()
        return http("POST", self.base_url + "/slack/events", body, {"Content-Type": "application/json", **sign(body)})

    def as_user(self, user_id: str, user_name: str = "") -> SlackUser:
        return SlackUser(self.base_url, user_id, self.channel_id, user_name)
