"""Meeting mode end to end, through signed requests to `lspbot serve` and the fake Slack: `/meeting start` posts
the meeting's message and its items in its thread in the agenda's order, each with its buttons; the Outcome button
opens its form, whose submission records the outcome and updates the item's message; `/meeting end` closes it.
Also the sender's part (a reply in its parent's thread)."""

from __future__ import annotations

import json
from typing import Any

from bot.runtime import Runtime
from bot.services.sender import OutboxSender
from bot.slack.api import Pacer, SlackDelivery, make_client
from store import db
from store.outbox import Outbox
from tests.support.databases import db_rows
from tests.support.delivery import sent_message
from tests.support.fake_slack import FakeSlack
from tests.support.server import BoardFixture, ServerProcess
from tests.support.slack_requests import blocks_text
from tests.support.slack_ui import click
from tests.support.settings import BOT_TOKEN
from tests.support.waiting import wait_until

NOTE = "slack/agenda_note.json.j2"


def _blocks(call: Any) -> list[dict[str, Any]]:
    blocks = call.params.get("blocks") or []
    return json.loads(blocks) if isinstance(blocks, str) else blocks


def _buttons(call: Any) -> list[tuple[str, str]]:
    return [(e["action_id"], e["value"]) for b in _blocks(call) if b["type"] == "actions" for e in b["elements"]]


def test_a_meeting_run_in_slack(server: ServerProcess, board: BoardFixture, fake_slack: FakeSlack):
    chair, secretary = board.chair, board.secretary
    for text in ("meeting add 2019-07-16 10:00", "meeting add 2019-10-10 10:00",
                 'item add 2019-07-16 "Skills strategy" lead:"LB Ealing"'):
        assert chair.command("/plan", text).status == 200
    fake_slack.reset()

    r = secretary.command("/meeting", "start")
    assert r.status == 200 and "Opened the meeting of Tuesday 16 July 2019: its 6 items" in r.text, r.text
    posts = wait_until(lambda: (found := [c for c in fake_slack.messages()
                                          if c.params.get("channel") == board.channel_id]) and len(found) >= 7
                       and found, 20, interval=0.05, what="the meeting's message and its six items")
    meeting_id = db_rows(server.database_url, "SELECT meeting_id FROM meeting_records r JOIN boards b "
                                              "ON b.id = r.board_id WHERE b.channel_id = :c", c=board.channel_id)[0][0]
    opened, items = posts[0], posts[1:]
    assert "thread_ts" not in opened.params and "Meeting in progress" in blocks_text({"blocks": _blocks(opened)})
    assert _buttons(opened) == [("meeting_presence", str(meeting_id))]
    parent_ts = sent_message(server, f"meeting:{meeting_id}")[1]
    assert [c.params.get("thread_ts") for c in items] == [parent_ts] * 6  # all in the meeting's thread
    titles = [blocks_text({"blocks": _blocks(c)}).splitlines()[1] for c in items]
    assert titles == ["*1. Welcome and apologies* — chair", "*2. Partner updates*",
                      "*3. Minutes and matters arising: review of actions*",
                      "*4. Skills strategy* — LB Ealing · _for discussion_", "*5. Any other business*",
                      "*6. Date of next meeting*"], titles
    assert [_buttons(c) for c in items][3] == [(a, f"{meeting_id}|4") for a in (
        "meeting_declaration", "meeting_outcome", "meeting_add_action", "meeting_note")]
    item_ts = {n: sent_message(server, f"meeting:{meeting_id}:item:{n}")[1] for n in range(1, 7)}

    # A member who does not run the meeting is refused the button.
    fake_slack.reset()
    r = click(board.bob, "meeting_outcome", f"{meeting_id}|4", channel=board.channel_id, ts=item_ts[4],
              response_url=fake_slack.url + "response/bob")
    assert r.status == 200
    assert "Not allowed" in str(fake_slack.wait_for("response/bob")[0].params)
    assert not fake_slack.calls("views.open")

    # The secretary's click opens the Outcome form; its submission records the outcome and updates the item.
    r = click(secretary, "meeting_outcome", f"{meeting_id}|4", channel=board.channel_id, ts=item_ts[4],
              response_url=fake_slack.url + "response/secretary")
    assert r.status == 200
    view = fake_slack.wait_for("views.open")[0].params["view"]
    view = json.loads(view) if isinstance(view, str) else view
    assert view["callback_id"] == "meeting_outcome_modal" and "Skills strategy" in json.dumps(view)
    r = secretary.interact({
        "type": "view_submission", "team": {"id": "T0LSP"}, "api_app_id": "A0LSP", "token": "x",
        "user": {"id": secretary.user_id, "username": "secretary"}, "trigger_id": "1.2.3",
        "view": {"id": "V1", "type": "modal", "callback_id": view["callback_id"],
                 "private_metadata": view["private_metadata"],
                 "state": {"values": {
                     "outcome": {"outcome": {"type": "radio_buttons", "selected_option": {"value": "agreed"}}},
                     "decision": {"decision": {"type": "plain_text_input",
                                               "value": "Partners adopt the skills strategy"}}}}},
    })
    assert r.status == 200 and not r.body.strip()  # the form closes
    assert db_rows(server.database_url, "SELECT outcome, decision, outcome_by FROM meeting_items WHERE "
                   "meeting_id = :m AND number = 4", m=meeting_id) == [
        ("agreed", "Partners adopt the skills strategy", secretary.user_id)]
    update = fake_slack.wait_for("chat.update")[0]
    assert update.params["ts"] == item_ts[4] and update.params["channel"] == board.channel_id
    assert "*Agreed*: Partners adopt the skills strategy" in blocks_text({"blocks": _blocks(update)})

    # The end: the meeting closes, its messages lose their buttons, item 4 is agreed and the rest recur.
    fake_slack.reset()
    r = secretary.command("/meeting", "end")
    assert r.status == 200 and "Closed the meeting of Tuesday 16 July 2019: 5 not reached, 1 agreed." in r.text, r.text
    assert db_rows(server.database_url, "SELECT closed_by FROM meeting_records WHERE meeting_id = :m",
                   m=meeting_id) == [(secretary.user_id,)]
    updates = fake_slack.wait_for("chat.update", 7)
    closed = next(u for u in updates if u.params["ts"] == parent_ts)
    assert "Meeting closed" in blocks_text({"blocks": _blocks(closed)}) and not _buttons(closed)
    assert all(not _buttons(u) for u in updates)
    # Where Slack put each message is kept on its row.
    assert db_rows(server.database_url, "SELECT ts FROM meeting_records WHERE meeting_id = :m",
                   m=meeting_id) == [(parent_ts,)]
    assert dict(db_rows(server.database_url, "SELECT number, ts FROM meeting_items WHERE meeting_id = :m",
                        m=meeting_id)) == item_ts


def test_a_reply_goes_into_its_parents_thread_and_fails_with_it(runtime: Runtime, fake_slack: FakeSlack):
    """The sender fills in a reply's `thread_ts` (and an update's `ts`) from the post its key names, once that post
    has gone; a post that failed for good fails the messages that name it."""
    def queue(*messages: tuple[str, str, dict[str, str]]) -> None:
        with db.session_scope(runtime.sessions) as session:
            outbox = Outbox(session, runtime.renderer, runtime.clock.now)
            for channel, key, extra in messages:
                if "of" in extra:
                    outbox.update_message(channel, "", NOTE, {"text": key}, key=key, of=extra["of"])
                else:
                    outbox.to_channel(channel, NOTE, {"text": key}, key=key, thread_of=extra.get("thread_of"))

    sender = OutboxSender(runtime.sessions, SlackDelivery(make_client(BOT_TOKEN, fake_slack.url, retries=False),
                                                          Pacer(0.0)), runtime.clock)
    queue(("CTHREAD", "parent", {}), ("CTHREAD", "reply", {"thread_of": "parent"}),
          ("CTHREAD", "edit", {"of": "parent"}))
    sender.drain()
    parent_ts = db_rows(runtime.settings.database_url, "SELECT slack_ts FROM outbox WHERE key = 'parent'")[0][0]
    posts = fake_slack.calls("chat.postMessage")
    assert [(c.params["text"], c.params.get("thread_ts")) for c in posts] == [("parent", None), ("reply", parent_ts)]
    assert [c.params["ts"] for c in fake_slack.calls("chat.update")] == [parent_ts]

    fake_slack.fail_next("chat.postMessage", error="channel_not_found")
    queue(("CGONE", "lost", {}), ("CGONE", "orphan", {"thread_of": "lost"}), ("CGONE", "lost-edit", {"of": "lost"}))
    sender.drain()
    states = db_rows(runtime.settings.database_url, "SELECT key, status, last_error FROM outbox WHERE key IN "
                     "('lost', 'orphan', 'lost-edit') ORDER BY id")
    assert states == [("lost", "failed", "channel_not_found"),
                      ("orphan", "failed", "the post it replies to was not sent"),
                      ("lost-edit", "failed", "the post it updates was not sent")]

