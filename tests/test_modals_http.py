"""The forms end to end: `/action add` and `/agenda add` with no text open a modal (opened through the fake
Slack, which parses every view with slack_sdk.models); signed `view_submission`s are checked like the
commands, refusals come back on the field at fault (`response_action: errors`), and accepted ones are
in the database and confirmed by DM."""

from __future__ import annotations

import json
from typing import Any

from tests.support.databases import db_rows
from tests.support.fake_slack import FakeSlack
from tests.support.server import BoardFixture, ServerProcess, board_actions
from tests.support.slack_requests import blocks_text
from tests.support.slack_ui import block, dm_containing, errors, opened_view, submit


def options(element: dict[str, Any]) -> list[tuple[str, str]]:
    found = element.get("options") or [o for g in element.get("option_groups", []) for o in g["options"]]
    return [(o["text"]["text"], o["value"]) for o in found]


def meeting_ids(server: ServerProcess, channel: str) -> dict[str, int]:
    return {str(d)[:10]: i for i, d in db_rows(server.database_url, "SELECT m.id, m.date FROM meetings m JOIN "
                                                "boards b ON b.id = m.board_id WHERE b.channel_id = :c", c=channel)}


def test_action_add_alone_opens_the_form_and_refusals_stay_on_their_field(server, board: BoardFixture,
                                                                         fake_slack: FakeSlack):
    board.chair.command("/plan", "meeting add 2019-10-10 10:00")
    board.chair.command("/plan", "meeting add 2020-01-20 10:00")
    meetings = meeting_ids(server, board.channel_id)
    fake_slack.reset()
    r = board.alice.command("/action", "add")
    assert r.status == 200 and not r.body.strip()  # the form opened instead of a reply
    view = opened_view(fake_slack)
    assert view["callback_id"] == "action_add_modal" and f"For *{board.name}*" in blocks_text(view)
    assert block(view, "owner")["element"] == {"type": "users_select", "action_id": "owner",
                                               "initial_user": board.alice.user_id}
    assert block(view, "due")["element"]["type"] == "datepicker" and block(view, "due")["optional"] is True
    assert options(block(view, "meeting")["element"]) == [
        ("Thu 10 Oct 2019 (next)", str(meetings["2019-10-10"])), ("Mon 20 Jan 2020", str(meetings["2020-01-20"]))]

    assert errors(submit(board.alice, view, text="   ")) == {"text": "The action text is empty."}
    assert "limit is 3,000" in errors(submit(board.alice, view, text="x" * 3001))["text"]
    assert "is not a member of" in errors(submit(board.alice, view, text="Draft it",
                                                 owner=board.outsider.user_id))["owner"]
    assert "in the past" in errors(submit(board.alice, view, text="Draft it", due="2019-07-01"))["due"]
    assert "Choose one of" in errors(submit(board.alice, view, text="Draft it", meeting="999999"))["meeting"]
    assert board_actions(server, board.channel_id) == []

    r = submit(board.alice, view, text="Draft the data-sharing protocol", owner=board.bob.user_id, due="2019-07-26",
               meeting=str(meetings["2019-10-10"]))
    assert r.status == 200 and not r.body.strip()  # accepted: the form closes
    [(ref, text, owner, due, meeting, creator, permalink)] = board_actions(server, board.channel_id)
    assert (ref, text, owner, str(due)[:10], str(meeting)[:10], creator, permalink) == (
        1, "Draft the data-sharing protocol", board.bob.user_id, "2019-07-26", "2019-10-10", board.alice.user_id, None)
    assert "Recorded on" in str(dm_containing(fake_slack, board.alice, "Draft the data-sharing protocol")["blocks"])
    assert "gave you an action" in str(dm_containing(fake_slack, board.bob, "Draft the data-sharing protocol")["blocks"])
    assert fake_slack.invalid() == []

    # If Slack will not open the form (an expired trigger), the command's help comes back instead.
    fake_slack.fail_next("views.open", error="expired_trigger_id")
    r = board.alice.command("/action", "add")
    assert "/action add <text> [@owner] [by <date>]" in r.text and r.json()["response_type"] == "ephemeral"
    r = board.outsider.command("/action", "add")
    assert "not a member of" in r.text


def test_a_member_of_two_boards_picks_the_board_on_the_form(server, board: BoardFixture, fake_slack: FakeSlack):
    other_channel = "C2" + board.channel_id[1:]
    r = board.admin.command("/lsp", f'board create "Delivery {board.name}" chair:<@{board.chair.user_id}|chair>',
                            channel_id=other_channel)
    assert "now runs in this channel" in r.text
    board.chair.command("/lsp", f'member add <@{board.alice.user_id}|alice> org:"Ealing PCT"', channel_id=other_channel)
    board.chair.command("/plan", "meeting add 2019-10-10 10:00")
    board.chair.command("/plan", "meeting add 2019-11-05 14:00", channel_id=other_channel)
    first, second = meeting_ids(server, board.channel_id), meeting_ids(server, other_channel)
    fake_slack.reset()

    board.alice.command("/action", "add", channel_id="D" + board.alice.user_id[1:])
    view = opened_view(fake_slack)
    assert [name for name, _ in options(block(view, "board")["element"])] == [board.name, f"Delivery {board.name}"]
    groups = block(view, "meeting")["element"]["option_groups"]
    assert [g["label"]["text"] for g in groups] == [board.name, f"Delivery {board.name}"]
    board_ids = dict(options(block(view, "board")["element"]))

    assert errors(submit(board.alice, view, text="Book the venue")) == {"board": "Choose the board."}
    assert "Choose one of" in errors(submit(board.alice, view, text="Book the venue",
                                            board=board_ids[f"Delivery {board.name}"],
                                            meeting=str(first["2019-10-10"])))["meeting"]
    r = submit(board.alice, view, text="Book the venue", board=board_ids[f"Delivery {board.name}"],
               meeting=str(second["2019-11-05"]))
    assert r.status == 200 and not r.body.strip()
    assert [row[:3] for row in board_actions(server, other_channel)] == [(1, "Book the venue", board.alice.user_id)]
    assert board_actions(server, board.channel_id) == []


def test_agenda_add_alone_opens_the_proposal_form(server, board: BoardFixture, fake_slack: FakeSlack):
    r = board.alice.command("/agenda", "add")
    assert "no meeting planned" in r.text
    board.chair.command("/plan", "meeting add 2019-10-10 10:00")
    meeting = meeting_ids(server, board.channel_id)["2019-10-10"]
    fake_slack.reset()
    r = board.alice.command("/agenda", "add")
    assert r.status == 200 and not r.body.strip()
    view = opened_view(fake_slack)
    assert view["callback_id"] == "agenda_add_modal"
    select = block(view, "meeting")["element"]
    assert select["initial_option"]["value"] == str(meeting) and options(select) == [
        ("Thu 10 Oct 2019 (next)", str(meeting))]

    assert errors(submit(board.alice, view, title=" ", meeting=str(meeting))) == {"title": "The title is empty."}
    assert errors(submit(board.alice, view, title="Item", meeting="")) == {"meeting": "Choose the meeting."}
    r = submit(board.alice, view, title="Joint apprenticeship programme", lead="Ealing PCT/DWP", meeting=str(meeting))
    assert r.status == 200 and not r.body.strip()
    rows = db_rows(server.database_url, "SELECT p.ref, p.title, p.lead, p.status, m.slack_user_id FROM agenda_proposals p "
                   "JOIN boards b ON b.id = p.board_id JOIN members m ON m.id = p.proposer_id WHERE b.channel_id = :c",
                   c=board.channel_id)
    assert rows == [(1, "Joint apprenticeship programme", "Ealing PCT/DWP", "pending", board.alice.user_id)]
    assert "Proposed A1" in str(dm_containing(fake_slack, board.alice, "Proposed A1")["blocks"])
    chair_dm = dm_containing(fake_slack, board.chair, "Joint apprenticeship programme")
    assert "agenda_approve" in json.dumps(chair_dm["blocks"])
    assert "already proposed" in errors(submit(board.alice, view, title="Joint apprenticeship programme",
                                               meeting=str(meeting)))["title"]
    r = board.outsider.command("/agenda", "add")
    assert "not a member" in r.text
    assert fake_slack.invalid() == []
