"""Requests Slack did not sign are refused with 401 and change nothing; the health check answers."""

from __future__ import annotations

import time
import urllib.parse

from tests.conftest import ADMIN, ServerProcess, db_rows, http, sign


def _command_body(text: str, channel: str = "CFORGED1") -> bytes:
    return urllib.parse.urlencode({
        "command": "/lsp", "text": text, "user_id": ADMIN, "channel_id": channel, "team_id": "T0LSP",
        "trigger_id": "1.2.3", "response_url": "https://hooks.slack.com/x",
    }).encode()


def _boards(server: ServerProcess) -> int:
    return db_rows(server.database_url, "SELECT count(*) FROM boards")[0][0]


def test_healthz(server):
    r = http("GET", server.base_url + "/healthz")
    assert r.status == 200 and r.json() == {"ok": True, "database": "ok"}
    assert http("GET", server.base_url + "/nowhere").status == 404
    assert http("GET", server.base_url + "/slack/events").status == 405


def test_unsigned_forged_and_stale_requests_get_401(server):
    url = server.base_url + "/slack/events"
    before = _boards(server)
    body = _command_body('board create "Forged" chair:<@UX1|x>')
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    now = int(time.time())
    cases = {
        "no signature headers": {},
        "wrong secret": sign(body, secret="not-the-secret"),
        "stale timestamp": sign(body, timestamp=now - 6 * 60),
        "future timestamp": sign(body, timestamp=now + 6 * 60),
        "garbage signature": {"X-Slack-Request-Timestamp": str(now), "X-Slack-Signature": "v0=deadbeef"},
        "timestamp only": {"X-Slack-Request-Timestamp": str(now)},
        "non-numeric timestamp": {"X-Slack-Request-Timestamp": "yesterday", "X-Slack-Signature": "v0=00"},
    }
    for name, headers in cases.items():
        r = http("POST", url, body, {**form, **headers})
        assert r.status == 401, name
    # Body altered after signing.
    headers = sign(body)
    tampered = body.replace(b"Forged", b"Forgex")
    assert http("POST", url, tampered, {**form, **headers}).status == 401
    # An interaction payload gets the same treatment.
    payload = urllib.parse.urlencode({"payload": '{"type":"block_actions","user":{"id":"UADMIN"},"actions":[]}'}).encode()
    assert http("POST", url, payload, {**form, **sign(payload, secret="wrong")}).status == 401
    assert _boards(server) == before


def test_a_signed_request_within_the_window_is_accepted(server):
    body = _command_body("help")
    r = http("POST", server.base_url + "/slack/events", body,
             {"Content-Type": "application/x-www-form-urlencoded", **sign(body, timestamp=int(time.time()) - 60)})
    assert r.status == 200 and "what you can do" in r.body.decode()
