"""Random Block Kit interaction payloads, signed, through the app's HTTP gate (bot/slack/web.py), the Bolt app and
every listener in-process: button clicks (`block_actions`) with any action_id and value, form submissions
(`view_submission`) with any callback_id, private_metadata and state, shortcuts and closed views, from any of the
board's people; then the same bodies (and Events API events and slash commands) broken: any part replaced by
null, a list, an object, a number or a string, or taken out, the whole payload replaced, the JSON cut short, a
form sent as JSON.

Never a 500, never an unexpected exception (no ERROR logged, no "Something went wrong" shown), no
Block Kit that Slack would refuse sent back (the fake checks every view and reply), and the state
stays whole after each one; a body refused as malformed (400) writes nothing, not even to the seen-set. The
after-ack (lazy) listeners run inline so each example is complete.
"""

from __future__ import annotations

import json
import logging
import urllib.parse
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.runtime import Runtime
from bot.slack.api import make_client
from bot.slack.app import create_app
from bot.slack.web import make_wsgi
from handlers.ids import ActionId, CallbackId
from tests.support.bolt import Inline, call_wsgi
from tests.support.fake_slack import FakeSlack
from tests.support.fuzz_board import CHAIR, CHANNEL, MEMBER, ensure_board
from tests.support.integrity import changed_tables, consistency_problems, table_counts
from tests.support.settings import ADMIN, BOT_TOKEN
from tests.support.slack_requests import HttpResult, sign, trigger_id

PEOPLE = [CHAIR, MEMBER, ADMIN, "UOUTSIDER"]
FIELDS = ["note", "note_block", "reason", "update_text", "return_item", "return_rag", "return_commentary", "text",
          "owner", "due", "meeting", "board", "title", "lead", "quarter"]


class Errors(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def scalars() -> st.SearchStrategy[str]:
    ids = st.integers(1, 8)  # the board's rows are numbered from 1 on a fresh database: these name real ones
    return st.one_of(
        ids.map(str), ids.map(lambda i: f"{i}|"), ids.map(lambda i: f"{i}|chase:1:1:2019-07-16T08:00Z|C1|1.1"),
        st.sampled_from(["", "0", "-1", "99999999999999999999", "²", "1e9", "null", "[]", "{}", '{"board_id": "x"}',
                         "red", "amber", "green", "2019-07-19", "2019-02-30", "U0NOBODY", "home:", "green|1"]),
        st.text(max_size=40),
        st.dictionaries(st.sampled_from(["board_id", "meeting_id", "proposal", "channel", "ts", "quarter", "item",
                                         "message", "from_home"]),
                        st.one_of(ids, st.text(max_size=10), st.integers(), st.none()), max_size=4).map(json.dumps),
    )


def element(values: st.SearchStrategy[str]) -> st.SearchStrategy[dict[str, Any]]:
    option = values.map(lambda v: {"text": {"type": "plain_text", "text": "x"}, "value": v})
    return st.one_of(
        values.map(lambda v: {"type": "plain_text_input", "value": v}),
        values.map(lambda v: {"type": "datepicker", "selected_date": v}),
        st.sampled_from(PEOPLE + ["", "W0NOBODY"]).map(lambda u: {"type": "users_select", "selected_user": u}),
        option.map(lambda o: {"type": "static_select", "selected_option": o}),
        st.just({"type": "static_select", "selected_option": None}),
        st.lists(option, max_size=3).map(lambda os: {"type": "checkboxes", "selected_options": os}),
        values.map(lambda v: {"type": "mystery_element", "value": v}),
    )


@st.composite
def payloads(draw: st.DrawFn, response_url: str) -> dict[str, Any]:
    values = scalars()
    user = {"id": draw(st.sampled_from(PEOPLE)), "username": "fuzz", "team_id": "T0LSP"}
    kind = draw(st.sampled_from(["block_actions"] * 6 + ["view_submission"] * 3 + ["message_action", "view_closed"]))
    base: dict[str, Any] = {"type": kind, "user": user, "team": {"id": "T0LSP"}, "api_app_id": "A0LSP",
                            "trigger_id": "1.2.3", "response_url": response_url}
    if kind == "block_actions":
        action_id = draw(st.one_of(st.sampled_from([a.value for a in ActionId]), st.text(max_size=12)))
        action = {"action_id": action_id, "block_id": draw(st.sampled_from(FIELDS)), "type": "button",
                  "value": draw(values), "action_ts": "1.2"}
        if draw(st.booleans()):
            action = {**action, "type": "static_select", "selected_option": {"text": {"type": "plain_text", "text": "x"},
                                                                             "value": draw(values)}}
            del action["value"]
        base["actions"] = [action]
        if draw(st.booleans()):
            base["view"] = {"id": "VHOME1", "type": "home", "private_metadata": draw(values)}
        else:
            channel = draw(st.sampled_from([CHANNEL, "DPROP01", "CELSEWHERE"]))
            base.update(channel={"id": channel}, container={"type": "message", "channel_id": channel,
                                                            "message_ts": "1.000001"},
                        message={"ts": "1.000001", "text": draw(st.text(max_size=20))})
    elif kind in ("view_submission", "view_closed"):
        state = draw(st.dictionaries(st.sampled_from(FIELDS), st.dictionaries(st.sampled_from(FIELDS), element(values),
                                                                               min_size=1, max_size=2), max_size=4))
        base["view"] = {"id": "V1", "type": "modal", "private_metadata": draw(values),
                        "callback_id": draw(st.one_of(st.sampled_from([c.value for c in CallbackId]),
                                                      st.text(max_size=12))),
                        "state": {"values": state}}
    else:
        base.update(callback_id=draw(st.sampled_from([c.value for c in CallbackId])), channel={"id": CHANNEL},
                    message={"ts": "1.000001", "text": draw(st.text(max_size=200)), "user": MEMBER})
    return base


def _gate(runtime: Runtime, fake_slack: FakeSlack) -> Any:
    """The app's WSGI callable (the gate, then Bolt), built once for all of a test's examples."""
    if "_fuzz_wsgi" not in runtime.__dict__:
        app = create_app(runtime, client=make_client(BOT_TOKEN, fake_slack.url, timeout=2), listener_executor=Inline())
        runtime.__dict__["_fuzz_wsgi"] = make_wsgi(app, runtime)
    return runtime.__dict__["_fuzz_wsgi"]


def _send(runtime: Runtime, fake_slack: FakeSlack, body: bytes, content_type: str) -> tuple[HttpResult, list[str]]:
    """Post a signed body through the gate; its answer and the ERROR lines logged meanwhile."""
    errors = Errors()
    logging.getLogger().addHandler(errors)
    fake_slack.reset()
    try:
        result = call_wsgi(_gate(runtime, fake_slack), body, {"Content-Type": content_type, **sign(body)})
    finally:
        logging.getLogger().removeHandler(errors)
    return result, [r.getMessage() for r in errors.records]


def _check_answered(runtime: Runtime, fake_slack: FakeSlack, result: HttpResult, errors: list[str], sent: Any) -> None:
    assert errors == [], errors
    shown = json.dumps([c.params for c in fake_slack.calls()], ensure_ascii=False) + str(result.body)
    assert "Something went wrong" not in shown, sent
    assert fake_slack.invalid() == [], fake_slack.invalid()
    assert consistency_problems(runtime.engine.url.render_as_string(hide_password=False)) == []


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                   HealthCheck.too_slow])
@given(data=st.data())
def test_any_interaction_payload(runtime: Runtime, fake_slack: FakeSlack, data: st.DataObject) -> None:
    ensure_board(runtime)
    payload = data.draw(payloads(fake_slack.url + "respond"))
    payload["trigger_id"] = trigger_id()  # Slack's are all different (a repeated body is acknowledged, not run)
    result, errors = _send(runtime, fake_slack, urllib.parse.urlencode({"payload": json.dumps(payload)}).encode(),
                           "application/x-www-form-urlencoded")
    assert result.status in (200, 404), (result.status, result.body, payload)
    _check_answered(runtime, fake_slack, result, errors, payload)


# --------------------------------------------------------------------------- malformed shapes

def events() -> st.SearchStrategy[dict[str, Any]]:
    """Events API deliveries: the Home tab opened (or another event), as Slack posts them."""
    return st.builds(lambda user, kind, tab: {
        "token": "x", "team_id": "T0LSP", "api_app_id": "A0LSP", "type": "event_callback", "event_id": trigger_id(),
        "event_time": 1563265800, "authorizations": [{"team_id": "T0LSP", "user_id": "UBOT", "is_bot": True}],
        "event": {"type": kind, "user": user, "tab": tab, "channel": "D" + user[1:], "event_ts": "1563265800.1"}},
        st.sampled_from(PEOPLE), st.sampled_from(["app_home_opened", "app_home_opened", "message", "app_mention"]),
        st.sampled_from(["home", "messages"]))


def commands() -> st.SearchStrategy[dict[str, Any]]:
    return st.builds(lambda user, command, text: {
        "token": "x", "team_id": "T0LSP", "channel_id": CHANNEL, "user_id": user, "user_name": "fuzz",
        "command": command, "text": text, "api_app_id": "A0LSP", "trigger_id": trigger_id(),
        "response_url": "https://hooks.slack.com/x"},
        st.sampled_from(PEOPLE), st.sampled_from(["/lsp", "/action", "/plan", "/agenda", "/update"]),
        st.sampled_from(["help", "list", "add Fuzzed action", "agenda", ""]))


def _paths(node: Any, at: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place in a JSON value (object keys and list indexes), outermost first."""
    found = [at]
    if isinstance(node, dict):
        for key, value in node.items():
            found += _paths(value, (*at, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            found += _paths(value, (*at, i))
    return found


def _replace(node: Any, path: tuple[Any, ...], value: Any, drop: bool) -> Any:
    if not path:
        return value
    copy = json.loads(json.dumps(node))
    parent = copy
    for step in path[:-1]:
        parent = parent[step]
    if drop:
        del parent[path[-1]]
    else:
        parent[path[-1]] = value
    return copy


WRONG = st.sampled_from([None, [], [None], {}, {"id": None}, 0, -1, 1.5, True, "", "x", "[]", [[]], [{}]])


@st.composite
def broken(draw: st.DrawFn, response_url: str) -> tuple[bytes, str, Any]:
    """(body, content type, what was sent): a well-shaped request with one to three parts broken, or sent wrongly."""
    kind = draw(st.sampled_from(["payload"] * 6 + ["event"] * 2 + ["command"]))
    doc: Any = draw(payloads(response_url) if kind == "payload" else events() if kind == "event" else commands())
    if kind == "payload":
        doc["trigger_id"] = trigger_id()
    for _ in range(draw(st.integers(1, 3))):
        paths = _paths(doc)
        path = draw(st.sampled_from(paths))
        drop = bool(path) and draw(st.booleans()) and isinstance(doc, dict | list)
        wrong = draw(st.one_of(WRONG, st.just("WRAP")))
        if not drop and wrong == "WRAP":  # the part put inside a list or an object
            part: Any = doc
            for step in path:
                part = part[step]
            wrong = draw(st.sampled_from([[part], {"value": part}]))
        try:
            doc = _replace(doc, path, None if drop else wrong, drop)
        except (KeyError, IndexError, TypeError):  # an earlier change took the place away
            continue
    encoding = draw(st.sampled_from(["as sent", "as sent", "as sent", "cut short", "wrong content type"]))
    if kind == "command" and isinstance(doc, dict) and all(isinstance(v, str) for v in doc.values()):
        body, content_type = urllib.parse.urlencode(doc).encode(), "application/x-www-form-urlencoded"
    elif kind == "payload":
        body, content_type = urllib.parse.urlencode({"payload": json.dumps(doc)}).encode(), "application/x-www-form-urlencoded"
    else:
        body, content_type = json.dumps(doc).encode(), "application/json"
    if encoding == "cut short" and len(body) > 2:
        body = body[:draw(st.integers(1, len(body) - 1))]
    elif encoding == "wrong content type":
        content_type = "application/json" if content_type != "application/json" else "application/x-www-form-urlencoded"
    return body, content_type, doc


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                   HealthCheck.too_slow])
@given(data=st.data())
def test_any_malformed_body(runtime: Runtime, fake_slack: FakeSlack, data: st.DataObject) -> None:
    ensure_board(runtime)
    body, content_type, doc = data.draw(broken(fake_slack.url + "respond"))
    url = runtime.engine.url.render_as_string(hide_password=False)
    before = table_counts(url)
    result, errors = _send(runtime, fake_slack, body, content_type)
    assert result.status in (200, 400, 404), (result.status, result.body, body[:500])
    if result.status == 400:
        assert result.json().get("error"), result.body
        assert changed_tables(before, table_counts(url)) == {}, f"a refused body wrote something: {body[:300]!r}"
    _check_answered(runtime, fake_slack, result, errors, doc)
