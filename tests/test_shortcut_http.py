""""Create action from message" end to end: a signed `message_action`, the form opened pre-filled, the
message's permalink fetched (chat.getPermalink) and put on the open form (views.update), and the action
stored with its link back to the message."""

from __future__ import annotations

import json
from typing import Any

from tests.support.fake_slack import FakeSlack
from tests.support.server import BoardFixture, board_actions
from tests.support.slack_requests import HttpResult, SlackUser, blocks_text
from tests.support.slack_ui import block, dm_containing, errors, opened_view, submit

MESSAGE_TS = "1563265000.000100"


def shortcut(user: SlackUser, fake: FakeSlack, *, channel: str, text: str, author: str) -> HttpResult:
    """A signed `message_action` payload, as Slack sends it when the shortcut is used on a message."""
    return user.interact({
        "type": "message_action", "callback_id": "action_from_message", "token": "x", "action_ts": "1563265800.1",
        "team": {"id": "T0LSP", "domain": "lsp"}, "api_app_id": "A0LSP", "trigger_id": "12345.98765.shortcut",
        "user": {"id": user.user_id, "name": user.user_name or user.user_id.lower()},
        "channel": {"id": channel, "name": "board"}, "message_ts": MESSAGE_TS,
        "message": {"type": "message", "user": author, "ts": MESSAGE_TS, "text": text},
        "response_url": fake.url + "response/shortcut",
    })


def view_of(call: Any) -> dict[str, Any]:
    view = call.params["view"]
    return json.loads(view) if isinstance(view, str) else view


def test_an_action_made_from_a_message_keeps_a_link_to_it(server, board: BoardFixture, fake_slack: FakeSlack):
    bob = board.bob.user_id
    text = (f"<@{bob}|bob> could you send the <https://example.org/northolt|Northolt report> to partners "
            "&amp; the CCG before &lt;Friday&gt;?")
    r = shortcut(board.alice, fake_slack, channel=board.channel_id, text=text, author=bob)
    assert r.status == 200 and not r.body.strip()  # acknowledged at once; the form opens after the ack
    view = opened_view(fake_slack)
    assert view["callback_id"] == "action_add_modal"
    assert block(view, "text")["element"]["initial_value"] == (
        "@bob could you send the Northolt report (https://example.org/northolt) to partners & the CCG before <Friday>?")
    assert block(view, "owner")["element"]["initial_user"] == bob  # its author is on the board: theirs by default
    assert f"From a message by <@{bob}> in <#{board.channel_id}>" in blocks_text(view)

    asked = fake_slack.wait_for("chat.getPermalink")[0].params
    assert (asked["channel"], asked["message_ts"]) == (board.channel_id, MESSAGE_TS)
    updated = fake_slack.wait_for("views.update")[0]
    opened_id = fake_slack.calls("views.open")[0]
    assert updated.params["view_id"].startswith("V")
    form = view_of(updated)
    permalink = json.loads(form["private_metadata"])["permalink"]
    assert permalink.startswith(f"https://lsp.slack.com/archives/{board.channel_id}/p")
    assert f"<{permalink}|view it>" in blocks_text(form) and opened_id.status == 200

    r = submit(board.alice, form, text="Send the Northolt report to partners and the CCG", owner=bob,
               due="2019-07-19")
    assert r.status == 200 and not r.body.strip()
    [(ref, saved, owner, due, _, creator, link)] = board_actions(server, board.channel_id)
    assert (ref, saved, owner, str(due)[:10], creator, link) == (
        1, "Send the Northolt report to partners and the CCG", bob, "2019-07-19", board.alice.user_id, permalink)
    assert f"<{permalink}|Original message>" in board.bob.command("/action", "show #1").text
    assert f"<{permalink}|this message>" in str(dm_containing(fake_slack, board.bob, "gave you an action")["blocks"])

    # A link that is not Slack's (a forged form) is refused on the form.
    forged = dict(form, private_metadata=json.dumps({"board_id": json.loads(form["private_metadata"])["board_id"],
                                                     "permalink": "https://evil.example/x"}))
    assert "not one of Slack's" in errors(submit(board.alice, forged, text="Anything"))["text"]
    assert fake_slack.invalid() == []


def test_the_shortcut_away_from_a_board_channel(server, board: BoardFixture, fake_slack: FakeSlack):
    # Someone not on the board is told so, privately, and no form opens.
    r = shortcut(board.outsider, fake_slack, channel=board.channel_id, text="Do the thing", author=board.bob.user_id)
    assert r.status == 200
    answer = fake_slack.wait_for("response/shortcut")[0].params
    assert f"You are not a member of {board.name}" in answer["text"]
    assert fake_slack.calls("views.open") == []

    # In a channel that is no board's, a member of one board gets that board; the author, not on it, is not
    # made the owner.
    r = shortcut(board.alice, fake_slack, channel="CGENERAL1", text="Let's map youth services", author="UNOTONBOARD")
    view = opened_view(fake_slack)
    assert f"For *{board.name}*" in blocks_text(view)
    assert block(view, "owner")["element"]["initial_user"] == board.alice.user_id
    assert [b for b in view["blocks"] if b.get("block_id") == "board"] == []


def test_a_message_slack_gives_no_permalink_for_is_linked_from_the_workspace_address(
        server, board: BoardFixture, fake_slack: FakeSlack):
    """In a private channel or a DM the bot is not in, chat.getPermalink answers `channel_not_found`: the link
    is built from the workspace's address (auth.test's `url`) as Slack builds its permalinks."""
    private = "GPRIVATE1"
    fake_slack.fail_next("chat.getPermalink", error="channel_not_found")
    r = shortcut(board.alice, fake_slack, channel=private, text="Can we book Perceval House?",
                 author=board.bob.user_id)
    assert r.status == 200
    opened_view(fake_slack)
    form = view_of(fake_slack.wait_for("views.update")[0])
    assert [c.params.get("_ok", True) for c in fake_slack.calls("chat.getPermalink")] == [False]
    permalink = json.loads(form["private_metadata"])["permalink"]
    assert permalink == f"https://lsp.slack.com/archives/{private}/p{MESSAGE_TS.replace('.', '')}"
    r = submit(board.alice, form, text="Book Perceval House", owner=board.alice.user_id)
    assert r.status == 200 and not r.body.strip()
    assert [a[-1] for a in board_actions(server, board.channel_id)] == [permalink]
    assert fake_slack.invalid() == []
