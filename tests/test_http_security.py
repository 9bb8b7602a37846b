"""Requests Slack did not sign are refused with 401 and change nothing, whatever kind of request they
carry (slash command, button click, modal submission, shortcut, Events API); the health check answers
without a signature; anything else is 404 or 405. A body over the limit is refused before it is read; a signed
body of a shape Slack never sends gets 400 and changes nothing.

Replays and retries: a signed request that arrives again — replayed within Slack's five-minute window, or
retried — is acknowledged and not run again; an Events API retry, or an event whose `event_id` was seen, is
acknowledged and dropped. The seen-set is a table (shared by replicas: on PostgreSQL the copies go to a second
`lspbot serve`), costs one indexed insert per request, and its rows go once their signing window has closed."""

from __future__ import annotations

import contextlib

import datetime as dt
import json
import time
import urllib.parse
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import func, insert, select, text

from bench.bench_body_limit import send_oversized
from bot.clock import FixedClock
from bot.runtime import Runtime
from bot.slack.api import make_client
from bot.slack.app import create_app
from bot.slack.web import PURGE_AT_MOST, PURGE_EVERY, SeenSet, make_wsgi
from store import db
from store.models import SeenRequest
from tests.support.bolt import CountingInline, Inline, call_wsgi
from tests.support.databases import db_rows
from tests.support.driver_trace import DriverStatements
from tests.support.fake_slack import FakeSlack
from tests.support.fuzz_board import CHANNEL, MEMBER, ensure_board
from tests.support.integrity import changed_tables, table_counts
from tests.support.server import BoardFixture, ServerProcess, start_server
from tests.support.settings import ADMIN, BOT_TOKEN
from tests.support.slack_requests import HttpResult, SlackUser, http, sign, trigger_id
from tests.support.slack_ui import opened_view, publishes
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
        "timestamp in superscript digits": (body, {"X-Slack-Request-Timestamp": "²²²", "X-Slack-Signature": "v0=00"}),
        "timestamp of 5,000 digits": (body, {"X-Slack-Request-Timestamp": "1" * 5000, "X-Slack-Signature": "v0=00"}),
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
    signed_at = int(time.time()) - 5 * 60 + 5  # signed by Slack 4 min 55 s ago: still good (a busy machine's margin)
    headers = {**FORM, **sign(body, timestamp=signed_at)}
    first = http("POST", server.base_url + "/slack/events", body, headers)
    assert first.status == 200, first.body
    wait_until(lambda: int(time.time()) - signed_at > 5 * 60, 10, interval=0.1,  # at most six seconds
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


def test_a_body_over_the_limit_is_refused_before_it_is_read(server: ServerProcess):
    """A signed-looking request claiming 200 MiB: waitress answers 413 once the headers are in and closes the
    connection, instead of taking the whole body first (it took all 200 MiB before)."""
    claimed = 200 * 1024 * 1024
    sent, answer, _ = send_oversized(server.base_url, claimed)
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert sent < 16 * 1024 * 1024, f"{sent:,} bytes of the body were taken before the refusal"
    assert http("GET", server.base_url + "/healthz").status == 200


USER = {"id": ADMIN, "username": "admin", "team_id": "T0LSP"}
_CLICK = {"type": "block_actions", "user": USER, "team": {"id": "T0LSP"}, "trigger_id": "1.2.3",
          "channel": {"id": "CBAD1"}, "container": {"type": "message", "channel_id": "CBAD1", "message_ts": "1.1"},
          "response_url": "https://hooks.slack.com/x",
          "actions": [{"action_id": "action_done", "value": "1|", "type": "button", "block_id": "b"}]}
_FORM_VIEW = {"id": "V1", "type": "modal", "callback_id": "partner_update_modal", "private_metadata": "{}",
              "state": {"values": {"update_text": {"update_text": {"type": "plain_text_input", "value": "Malformed"}}}}}
_SUBMIT = {"type": "view_submission", "user": USER, "team": {"id": "T0LSP"}, "trigger_id": "1.2.3", "view": _FORM_VIEW}
_SHORTCUT = {"type": "message_action", "callback_id": "action_from_message", "user": USER, "team": {"id": "T0LSP"},
             "channel": {"id": "CBAD1"}, "trigger_id": "1.2.3", "message": {"ts": "1.1", "text": "Malformed"},
             "response_url": "https://hooks.slack.com/x"}
_EVENT = {"type": "event_callback", "team_id": "T0LSP", "api_app_id": "A0LSP", "event_id": "EvBAD", "event_time": 1,
          "event": {"type": "app_home_opened", "user": ADMIN, "tab": "home", "channel": "D1"}}


def _with(base: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """A deep copy of `base` with the value at a dotted path replaced (or removed when `value` is DROP)."""
    copy = json.loads(json.dumps(base))
    *parents, last = path.split(".")
    node = copy
    for name in parents:
        node = node[name]
    if value is DROP:
        del node[last]
    else:
        node[last] = value
    return copy


DROP = object()
_JSON = "application/json"
_FORM = "application/x-www-form-urlencoded"


def _payload(payload: Any) -> tuple[bytes, str]:
    return urllib.parse.urlencode({"payload": payload if isinstance(payload, str) else json.dumps(payload)}).encode(), _FORM


# Signed bodies of shapes Slack never sends: each one got a 500 (16 of the first 28) before the payload check.
MALFORMED: dict[str, tuple[bytes, str]] = {
    "payload not JSON": _payload("{not json"),
    "payload a JSON list": _payload("[1, 2]"),
    "payload a JSON string": _payload('"block_actions"'),
    "payload a number": _payload("7"),
    "payload an empty object": _payload("{}"),
    "actions: null": _payload(_with(_CLICK, "actions", None)),
    "actions an object": _payload(_with(_CLICK, "actions", {"0": {}})),
    "actions empty": _payload(_with(_CLICK, "actions", [])),
    "an action that is null": _payload(_with(_CLICK, "actions", [None])),
    "action_id a number": _payload(_with(_CLICK, "actions", [{"action_id": 5, "value": "1"}])),
    "button value a list": _payload(_with(_CLICK, "actions", [{"action_id": "action_done", "value": ["1"]}])),
    "channel a number": _payload(_with(_CLICK, "channel", 5)),
    "container a list": _payload(_with(_CLICK, "container", [])),
    "user a string": _payload(_with(_CLICK, "user", ADMIN)),
    "team a number": _payload(_with(_CLICK, "team", 5)),
    "authorizations a string": _payload(_with(_CLICK, "authorizations", "T0LSP")),
    "view: null": _payload(_with(_SUBMIT, "view", None)),
    "view a list": _payload(_with(_SUBMIT, "view", [_FORM_VIEW])),
    "view without callback_id": _payload(_with(_SUBMIT, "view.callback_id", DROP)),
    "state.values a list": _payload(_with(_SUBMIT, "view.state.values", [])),
    "state.values null": _payload(_with(_SUBMIT, "view.state.values", None)),
    "a block that is a list": _payload(_with(_SUBMIT, "view.state.values.update_text", [])),
    "an element that is a string": _payload(_with(_SUBMIT, "view.state.values.update_text.update_text", "x")),
    "a text input's value a number": _payload(_with(_SUBMIT, "view.state.values.update_text.update_text.value", 5)),
    "private_metadata an int": _payload(_with(_SUBMIT, "view.private_metadata", 12)),
    "shortcut without callback_id": _payload(_with(_SHORTCUT, "callback_id", DROP)),
    "shortcut message a list": _payload(_with(_SHORTCUT, "message", ["Malformed"])),
    "a form body sent as JSON": (_payload(_CLICK)[0], _JSON),
    "truncated JSON": (json.dumps(_EVENT).encode()[:-7], _JSON),
    "a JSON list": (b"[{}]", _JSON),
    "JSON nested 100,000 deep": (b"[" * 100_000 + b"]" * 100_000, _JSON),
    "a click carrying JSON nested 900 deep": _payload(_with(_CLICK, "state", json.loads("[" * 900 + "]" * 900))),
    "a workflow step without its step": _payload({"type": "workflow_step_edit", "callback_id": "x", "user": USER}),
    "event: null": (json.dumps(_with(_EVENT, "event", None)).encode(), _JSON),
    "event a list": (json.dumps(_with(_EVENT, "event", [])).encode(), _JSON),
    "event without type": (json.dumps(_with(_EVENT, "event.type", DROP)).encode(), _JSON),
    "app_home_opened user a number": (json.dumps(_with(_EVENT, "event.user", 5)).encode(), _JSON),
    "url_verification challenge a number": (json.dumps({"type": "url_verification", "challenge": 5}).encode(), _JSON),
    "an empty form": (b"&&&", _FORM),
}


def test_signed_bodies_of_the_wrong_shape_get_400_and_write_nothing(server: ServerProcess, fake_slack: FakeSlack):
    before = table_counts(server.database_url)
    for case, (body, content_type) in MALFORMED.items():
        r = http("POST", server.base_url + "/slack/events", body, {"Content-Type": content_type, **sign(body)})
        assert r.status == 400 and r.json().get("ok") is False and r.json().get("error"), (case, r.status, r.body[:300])
    assert changed_tables(before, table_counts(server.database_url)) == {}  # the seen-set included
    # (users.info: an earlier test's command looking up its sender's time zone after its ack)
    assert [c.method for c in fake_slack.calls() if c.method not in ("auth.test", "users.info")] == []
    assert http("GET", server.base_url + "/healthz").status == 200


def test_a_slash_command_whose_text_says_payload_is_run(server: ServerProcess, board: BoardFixture):
    """Bolt reads any form body containing the letters "payload" as an interactivity payload, and such a command as
    empty (it got a 404, which Slack shows as "dispatch_failed")."""
    r = board.alice.command("/action", "add Check the payload of the data-sharing protocol")
    assert r.status == 200 and "Check the payload of the data-sharing protocol" in r.text, r.body


# --------------------------------------------------------------------------- replays and retries



@pytest.fixture(scope="module")
def replica(server: ServerProcess) -> Iterator[ServerProcess]:
    """A second `lspbot serve` on the same database when it is PostgreSQL (how lspbot runs replicas); on SQLite,
    the one server."""
    if not server.database_url.startswith("postgresql"):
        yield server
        return
    second = start_server(server.database_url, server.env["SLACK_API_URL"], migrate=False, args=("--no-scheduler",))
    yield second
    second.stop()


def post(base_url: str, body: bytes, headers: dict[str, str]) -> HttpResult:
    return http("POST", base_url + "/slack/events", body, headers)


def command_body(user: SlackUser, command: str, text: str) -> bytes:
    return urllib.parse.urlencode({
        "token": "x", "team_id": "T0LSP", "channel_id": user.channel_id, "user_id": user.user_id,
        "user_name": user.user_id.lower(), "command": command, "text": text, "api_app_id": "A0LSP",
        "response_url": "https://hooks.slack.com/commands/T0LSP/1/x", "trigger_id": trigger_id()}).encode()


def seen_rows(database_url: str) -> int:
    return db_rows(database_url, "SELECT count(*) FROM seen_requests")[0][0]


def test_a_command_posted_three_times_runs_once(server: ServerProcess, replica: ServerProcess, board: BoardFixture,
                                                 fake_slack: FakeSlack):
    """The issue's case: the same signed `/action add` three times within the window, the third with
    `X-Slack-Retry-Num: 1` (on PostgreSQL the second and third to the other replica)."""
    body = command_body(board.chair, "/action", f"add Circulate the Northolt paper <@{board.bob.user_id}|bob>")
    headers = {**FORM, **sign(body)}
    outbox_before = db_rows(server.database_url, "SELECT coalesce(max(id), 0) FROM outbox")[0][0]
    first = post(server.base_url, body, headers)
    assert first.status == 200 and "#1" in first.text, first.body
    again = post(replica.base_url, body, headers)
    retried = post(replica.base_url, body, {**headers, "X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"})
    for r in (again, retried):  # Slack already shows the first answer: an empty acknowledgement adds nothing
        assert (r.status, r.body) == (200, b""), (r.status, r.body)

    rows = db_rows(server.database_url, "SELECT a.ref, a.text FROM actions a JOIN boards b ON b.id = a.board_id "
                   "WHERE b.channel_id = :c", c=board.channel_id)
    assert rows == [(1, "Circulate the Northolt paper")]
    audit = db_rows(server.database_url, "SELECT count(*) FROM audit_log WHERE entity = 'action' AND operation = "
                    "'create' AND entity_id IN (SELECT a.id FROM actions a JOIN boards b ON b.id = a.board_id "
                    "WHERE b.channel_id = :c)", c=board.channel_id)
    assert audit == [(1,)]
    bob_dm = "D" + board.bob.user_id[1:]
    queued = db_rows(server.database_url, "SELECT count(*) FROM outbox WHERE id > :before AND target IN (:t, :u)",
                     before=outbox_before, t=bob_dm, u=board.bob.user_id)
    assert queued == [(1,)], "the DM to the owner was queued more than once"
    wait_until(lambda: [c for c in fake_slack.messages() if c.params.get("channel") == bob_dm], 10, interval=0.02,
               what="the owner's DM")

    # A new command from the same person in the same second is a new request (Slack gives it its own trigger id).
    fresh = command_body(board.chair, "/action", f"add Circulate the Northolt paper <@{board.bob.user_id}|bob>")
    assert "#2" in post(replica.base_url, fresh, {**FORM, **sign(fresh)}).text


def test_a_form_submission_replayed_runs_once(server: ServerProcess, replica: ServerProcess, board: BoardFixture,
                                              fake_slack: FakeSlack):
    board.alice.command("/action", "add")
    view = opened_view(fake_slack)
    payload = {"type": "view_submission", "team": {"id": "T0LSP"}, "api_app_id": "A0LSP", "trigger_id": trigger_id(),
               "user": {"id": board.alice.user_id, "username": "alice"},
               "view": {"id": "V1", "type": "modal", "callback_id": view["callback_id"],
                        "private_metadata": view["private_metadata"],
                        "state": {"values": {"text": {"text": {"type": "plain_text_input", "value": "Book the hall"}}}}}}
    body = urllib.parse.urlencode({"payload": json.dumps(payload)}).encode()
    headers = {**FORM, **sign(body)}
    assert post(server.base_url, body, headers).status == 200
    assert (post(replica.base_url, body, headers).status, post(server.base_url, body, headers).body) == (200, b"")
    rows = db_rows(server.database_url, "SELECT a.text FROM actions a JOIN boards b ON b.id = a.board_id "
                   "WHERE b.channel_id = :c", c=board.channel_id)
    assert rows == [("Book the hall",)]


def test_an_event_retried_or_seen_before_is_dropped(server: ServerProcess, replica: ServerProcess,
                                                    board: BoardFixture, fake_slack: FakeSlack):
    def event_body(user: SlackUser, event_id: str) -> bytes:
        return json.dumps({"token": "x", "team_id": "T0LSP", "api_app_id": "A0LSP", "type": "event_callback",
                           "event_id": event_id, "event_time": int(time.time()),
                           "event": {"type": "app_home_opened", "user": user.user_id, "tab": "home",
                                     "channel": "D" + user.user_id[1:], "event_ts": f"{time.time():.6f}"}}).encode()

    json_type = {"Content-Type": "application/json"}
    body = event_body(board.alice, "EvREPLAY1" + board.channel_id)
    assert post(server.base_url, body, {**json_type, **sign(body)}).status == 200
    wait_until(lambda: publishes(fake_slack, board.alice), 10, interval=0.02, what="the Home tab")
    now = int(time.time())
    retry = event_body(board.alice, "EvRETRY1" + board.channel_id)
    dropped = [
        post(replica.base_url, body, {**json_type, **sign(body)}),  # replayed (or re-signed within the same second)
        post(replica.base_url, body, {**json_type, **sign(body, timestamp=now - 30)}),  # the same event_id, re-signed
        post(server.base_url, retry, {**json_type, **sign(retry), "X-Slack-Retry-Num": "1"}),  # a retry, whatever its id
    ]
    for r in dropped:
        assert (r.status, r.body) == (200, b"") and r.headers.get("X-Slack-No-Retry") == "1", (r.status, r.body)
    # Dropped requests never reach a listener, so nothing is pending: a new event for someone else is the last call.
    barrier = event_body(board.bob, "EvNEW1" + board.channel_id)
    assert post(replica.base_url, barrier, {**json_type, **sign(barrier)}).status == 200
    wait_until(lambda: publishes(fake_slack, board.bob), 10, interval=0.02, what="the other member's Home tab")
    assert len(publishes(fake_slack, board.alice)) == 1


# --------------------------------------------------------------------------- in-process: the window and the cost

@pytest.fixture
def gate(runtime: Runtime, fake_slack: FakeSlack) -> tuple[Any, FixedClock]:
    """The app's WSGI callable on the test's database, its signing window and seen-set on a wall clock the test sets."""
    ensure_board(runtime)
    wall = FixedClock(dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC))
    app = create_app(runtime, client=make_client(BOT_TOKEN, fake_slack.url, timeout=2), listener_executor=Inline())
    return make_wsgi(app, runtime, clock=wall), wall


def _signed_command(wall: FixedClock, text: str) -> tuple[bytes, dict[str, str]]:
    body = urllib.parse.urlencode({"command": "/action", "text": text, "user_id": MEMBER, "channel_id": CHANNEL,
                                   "team_id": "T0LSP", "trigger_id": trigger_id()}).encode()
    return body, {**FORM, **sign(body, timestamp=int(wall.now().timestamp()))}


def test_the_seen_set_keeps_a_request_for_its_signing_window_then_lets_it_go(runtime: Runtime, gate):
    wsgi, wall = gate
    body, headers = _signed_command(wall, "add Draft the protocol")
    assert "Draft the protocol" in call_wsgi(wsgi, body, headers).text
    wall.advance(dt.timedelta(minutes=4, seconds=59))
    assert call_wsgi(wsgi, body, headers).body == b"", "replayed within the window and run again"
    wall.advance(dt.timedelta(seconds=2))  # 5 min 1 s after signing: the signature check refuses it now
    assert call_wsgi(wsgi, body, headers).status == 401
    with db.read_scope(runtime.sessions) as session:
        assert session.scalar(select(func.count()).select_from(SeenRequest)) == 1  # expired, not yet purged
    wall.advance(dt.timedelta(seconds=10))  # the next request 10 s after the last purge purges what has expired
    body2, headers2 = _signed_command(wall, "list")
    assert call_wsgi(wsgi, body2, headers2).status == 200
    with db.read_scope(runtime.sessions) as session:
        left = list(session.scalars(select(SeenRequest.expires_at)))
    assert left == [wall.now() + dt.timedelta(minutes=5)], "the expired row was kept (or the new one not written)"
    with db.read_scope(runtime.sessions) as session:
        actions = session.execute(text("SELECT count(*) FROM actions WHERE text = 'Draft the protocol'")).scalar()
    assert actions == 1


def test_the_seen_sets_commit_does_not_wait_for_the_disk_and_a_changes_commit_does(runtime: Runtime):
    """On PostgreSQL the seen-set's insert has an engine of its own whose commits do not wait for the write-ahead
    log's flush (the COMMIT of the request's change, which does wait, flushes it); SQLite has one engine."""
    if runtime.engine.dialect.name == "sqlite":
        assert runtime.seen_engine is runtime.engine
        return
    assert runtime.seen_engine is not runtime.engine
    with runtime.seen_engine.connect() as conn:
        assert conn.exec_driver_sql("SHOW synchronous_commit").scalar() == "off"
    with runtime.engine.connect() as conn:
        assert conn.exec_driver_sql("SHOW synchronous_commit").scalar() == "on"


def test_a_request_costs_one_statement_on_the_seen_set(runtime: Runtime, gate):
    """One INSERT … ON CONFLICT DO NOTHING into the primary key decides "first time?"; no read before it. Counted
    as the driver sends statements (the insert goes to it on a raw connection)."""
    wsgi, wall = gate
    call_wsgi(wsgi, *_signed_command(wall, "list"))  # the first request of a process also purges: not counted
    engines = {runtime.engine, runtime.seen_engine}  # the seen-set's own on PostgreSQL
    with contextlib.ExitStack() as stack:
        traces = [stack.enter_context(DriverStatements(engine)) for engine in engines]
        body, headers = _signed_command(wall, "list")
        assert call_wsgi(wsgi, body, headers).status == 200
        assert call_wsgi(wsgi, body, headers).body == b""
    statements = [s.split()[0].upper() for trace in traces for s in trace.sent if "seen_requests" in s]
    assert statements == ["INSERT", "INSERT"], statements


def test_a_busy_process_purges_as_fast_as_it_records(runtime: Runtime):
    """A purge deletes PURGE_AT_MOST expired keys, or twice what the process recorded since its last purge if that
    is more, so a process taking more than PURGE_AT_MOST / PURGE_EVERY requests a second does not leave the table
    growing; it runs on the background executor it is given, not in the request."""
    wall = FixedClock(dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC))
    background = CountingInline()
    seen = SeenSet(runtime, wall, background=background)
    stamp = int(wall.now().timestamp())
    assert seen.first_time("first", stamp) and background.submitted == 1  # a process's first request purges
    expired = wall.now() - dt.timedelta(seconds=1)
    with db.session_scope(runtime.sessions) as session:
        session.execute(insert(SeenRequest), [{"key": f"old-{n}", "expires_at": expired} for n in range(6000)])
    recorded = 2500
    for n in range(recorded - 1):
        assert seen.first_time(f"new-{n}", stamp)
    assert background.submitted == 1, "purged again within PURGE_EVERY seconds"
    wall.advance(dt.timedelta(seconds=PURGE_EVERY))
    assert seen.first_time("the purging one", int(wall.now().timestamp()))
    assert background.submitted == 2
    with db.read_scope(runtime.sessions) as session:
        left = session.scalar(select(func.count()).select_from(SeenRequest).where(SeenRequest.key.like("old-%")))
        live = session.scalar(select(func.count()).select_from(SeenRequest).where(SeenRequest.key.notlike("old-%")))
    assert 2 * recorded > PURGE_AT_MOST
    assert left == 6000 - 2 * recorded, "the purge deleted PURGE_AT_MOST, not twice what was recorded"
    assert live == recorded + 1, "a key whose signing window is open was deleted"
