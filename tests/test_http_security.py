"""Requests Slack did not sign are refused with 401 and change nothing, whatever kind of request they
carry (slash command, button click, modal submission, shortcut, Events API); the health check answers
without a signature; anything else is 404 or 405."""

from __future__ import annotations

import json
import time
import urllib.parse

import pytest

from tests.support.fake_slack import FakeSlack
from tests.support.integrity import changed_tables, table_counts
from tests.support.server import ServerProcess
from tests.support.settings import ADMIN
from tests.support.slack_requests import http, sign
from tests.support.waiting import wait_until

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def _command_body(text: str, channel: str = "CFORGED1") -> bytes:
    return urllib.parse.urlencode({
        "command": "/lsp", "text": text, "user_id": ADMIN, "channel_id": channel, "team_id": "T0LSP",
        "trigger_id": "1.2.3", "response_url": "https://hooks.slack.com/x",
    }).encode()


def _payload_body(payload: dict) -> bytes:
    return urllib.parse.urlencode({"payload": json.dumps(payload)}).encode()


USER = {"id": ADMIN, "username": "admin", "team_id": "T0LSP"}
# One request of every kind Slack sends to /slack/events, each one that would write if it were signed.
KINDS: dict[str, tuple[bytes, dict[str, str]]] = {
    "slash command": (_command_body('board create "Forged" chair:<@UX1|x>'), FORM),
    "button click": (_payload_body({
        "type": "block_actions", "user": USER, "team": {"id": "T0LSP"}, "trigger_id": "1.2.3",
        "container": {"type": "message", "channel_id": "CFORGED1", "message_ts": "1.1"},
        "channel": {"id": "CFORGED1"}, "response_url": "https://hooks.slack.com/x",
        "actions": [{"action_id": "agenda_approve", "value": "1", "type": "button", "block_id": "b"}]}), FORM),
    "modal submission": (_payload_body({
        "type": "view_submission", "user": USER, "team": {"id": "T0LSP"}, "trigger_id": "1.2.3",
        "view": {"id": "V1", "type": "modal", "callback_id": "partner_update_modal", "private_metadata": "{}",
                 "state": {"values": {"update_text": {"update_text": {"type": "plain_text_input",
                                                                      "value": "Forged update"}}}}}}), FORM),
    "message shortcut": (_payload_body({
        "type": "message_action", "callback_id": "action_from_message", "user": USER, "team": {"id": "T0LSP"},
        "channel": {"id": "CFORGED1"}, "trigger_id": "1.2.3", "message": {"ts": "1.1", "text": "Forged"},
        "response_url": "https://hooks.slack.com/x"}), FORM),
    "event": (json.dumps({
        "type": "event_callback", "team_id": "T0LSP", "api_app_id": "A0LSP", "event_id": "Ev1", "event_time": 1,
        "event": {"type": "app_home_opened", "user": ADMIN, "tab": "home", "channel": "D1"}}).encode(),
              {"Content-Type": "application/json"}),
    "url verification": (json.dumps({"type": "url_verification", "token": "x", "challenge": "forged"}).encode(),
                         {"Content-Type": "application/json"}),
}


def forgeries(body: bytes) -> dict[str, tuple[bytes, dict[str, str]]]:
    """Every way a request can fail Slack's signature check: (body, signature headers)."""
    now = int(time.time())
    signed_now = sign(body)
    return {
        "no signature headers": (body, {}),
        "wrong secret": (body, sign(body, secret="not-the-secret")),
        "timestamp older than 5 minutes": (body, sign(body, timestamp=now - 5 * 60 - 30)),
        "timestamp in the future": (body, sign(body, timestamp=now + 6 * 60)),
        "garbage signature": (body, {"X-Slack-Request-Timestamp": str(now), "X-Slack-Signature": "v0=deadbeef"}),
        "timestamp only": (body, {"X-Slack-Request-Timestamp": str(now)}),
        "signature only": (body, {"X-Slack-Signature": signed_now["X-Slack-Signature"]}),
        "non-numeric timestamp": (body, {"X-Slack-Request-Timestamp": "yesterday", "X-Slack-Signature": "v0=00"}),
        "signature of another body": (body, sign(body + b"&x=1")),
        "body altered after signing": (body.replace(b"Forged", b"Forgex").replace(b"agenda_approve", b"agenda_publish")
                                       + b" ", signed_now),
        "signature for another timestamp": (body, {**signed_now, "X-Slack-Request-Timestamp": str(now - 1)}),
    }


def test_healthz_is_open_and_everything_else_is_404_or_405(server):
    r = http("GET", server.base_url + "/healthz")
    assert r.status == 200 and r.json() == {"ok": True, "database": "ok"}
    assert http("HEAD", server.base_url + "/healthz").status == 200
    for method, path, status in (("GET", "/nowhere", 404), ("POST", "/nowhere", 404), ("GET", "/slack/events", 405),
                                 ("PUT", "/slack/events", 405), ("DELETE", "/slack/events", 405),
                                 ("POST", "/slack/events/", 404), ("POST", "/slack/actions", 404),
                                 ("POST", "/healthz", 404), ("GET", "/slack/install", 404)):
        assert http(method, server.base_url + path, b"{}" if method != "GET" else b"").status == status, (method, path)


@pytest.mark.parametrize("kind", list(KINDS))
def test_forged_and_stale_requests_get_401_and_write_nothing(server: ServerProcess, fake_slack: FakeSlack, kind: str):
    body, content_type = KINDS[kind]
    before = table_counts(server.database_url)
    for case, (sent, headers) in forgeries(body).items():
        r = http("POST", server.base_url + "/slack/events", sent, {**content_type, **headers})
        assert r.status == 401, (kind, case, r.status, r.body[:200])
        assert "forged" not in r.body.decode("utf-8", "replace").lower(), "a forged request was answered"
    assert changed_tables(before, table_counts(server.database_url)) == {}
    assert [c.method for c in fake_slack.calls() if c.method != "auth.test"] == [], "a forged request reached Slack"


def test_a_valid_request_replayed_after_the_window_gets_401(server: ServerProcess):
    """Captured on the wire and sent again more than 5 minutes after Slack signed it."""
    body = _command_body("member list", channel="CREPLAY1")
    signed_at = int(time.time()) - 5 * 60 + 1  # signed by Slack 4 min 59 s ago: still good
    headers = {**FORM, **sign(body, timestamp=signed_at)}
    first = http("POST", server.base_url + "/slack/events", body, headers)
    assert first.status == 200, first.body
    wait_until(lambda: int(time.time()) - signed_at > 5 * 60, 5, interval=0.1,  # at most two seconds
               what="the five minutes since the signature to be over")
    before = table_counts(server.database_url)
    assert http("POST", server.base_url + "/slack/events", body, headers).status == 401
    assert changed_tables(before, table_counts(server.database_url)) == {}


def test_a_body_that_is_not_utf8_gets_401_unsigned_and_400_signed(server: ServerProcess):
    raw = _command_body("board create ") + b"%FF&extra=\xff\xfe\xc3\x28"
    before = table_counts(server.database_url)
    assert http("POST", server.base_url + "/slack/events", raw, FORM).status == 401
    assert http("POST", server.base_url + "/slack/events", raw, {**FORM, **sign(raw, secret="wrong")}).status == 401
    r = http("POST", server.base_url + "/slack/events", raw, {**FORM, **sign(raw)})
    assert r.status == 400 and "UTF-8" in r.body.decode()
    assert changed_tables(before, table_counts(server.database_url)) == {}
    assert http("GET", server.base_url + "/healthz").status == 200


def test_a_signed_request_within_the_window_is_accepted(server):
    body = _command_body("help")
    r = http("POST", server.base_url + "/slack/events", body,
             {"Content-Type": "application/x-www-form-urlencoded", **sign(body, timestamp=int(time.time()) - 60)})
    assert r.status == 200 and "what you can do" in r.body.decode()
