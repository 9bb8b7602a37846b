"""Random Block Kit interaction payloads, signed, through the Bolt app and every listener in-process:
button clicks (`block_actions`) with any action_id and value, form submissions (`view_submission`) with
any callback_id, private_metadata and state, shortcuts and closed views, from any of the board's people.

Never a 500, never an unexpected exception (no ERROR logged, no "Something went wrong" shown), no
Block Kit that Slack would refuse sent back (the fake checks every view and reply), and the state
stays whole after each one. The after-ack (lazy) listeners run inline so each example is complete.
"""

from __future__ import annotations

import json
import logging
import urllib.parse
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from slack_bolt import BoltRequest

from bot.runtime import Runtime
from bot.slack.api import make_client
from bot.slack.app import create_app
from handlers.ids import ActionId, CallbackId
from tests.support.bolt import Inline
from tests.support.fake_slack import FakeSlack
from tests.support.fuzz_board import CHAIR, CHANNEL, MEMBER, ensure_board
from tests.support.integrity import consistency_problems
from tests.support.settings import ADMIN, BOT_TOKEN
from tests.support.slack_requests import sign

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


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                   HealthCheck.too_slow])
@given(data=st.data())
def test_any_interaction_payload(runtime: Runtime, fake_slack: FakeSlack, data: st.DataObject) -> None:
    ensure_board(runtime)
    if "_fuzz_app" not in runtime.__dict__:  # one app for all of the test's examples
        runtime.__dict__["_fuzz_app"] = create_app(runtime, client=make_client(BOT_TOKEN, fake_slack.url, timeout=2),
                                                   listener_executor=Inline())
    app = runtime.__dict__["_fuzz_app"]
    payload = data.draw(payloads(fake_slack.url + "respond"))
    body = urllib.parse.urlencode({"payload": json.dumps(payload)})
    errors = Errors()
    logging.getLogger().addHandler(errors)
    fake_slack.reset()
    try:
        response = app.dispatch(BoltRequest(body=body, headers={
            "content-type": "application/x-www-form-urlencoded",
            **{k.lower(): v for k, v in sign(body.encode()).items()}}))
    finally:
        logging.getLogger().removeHandler(errors)
    assert response.status in (200, 404), (response.status, response.body, payload)
    assert errors.records == [], [r.getMessage() for r in errors.records]
    shown = json.dumps([c.params for c in fake_slack.calls()], ensure_ascii=False) + str(response.body)
    assert "Something went wrong" not in shown, payload
    assert fake_slack.invalid() == [], fake_slack.invalid()
    assert consistency_problems(runtime.engine.url.render_as_string(hide_password=False)) == []
