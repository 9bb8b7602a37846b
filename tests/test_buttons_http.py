"""Buttons clicked late or twice: the message is redrawn to show where things stand, the clicker is told
politely, and nothing is written twice. Signed `block_actions` against `lspbot serve` and the fake Slack."""

from __future__ import annotations

import io
import json
from typing import Any

import docx

from tests.support.databases import db_rows
from tests.support.delivery import sent_message, sent_row
from tests.support.fake_slack import FakeSlack
from tests.support.server import BoardFixture, jobs
from tests.support.slack_requests import blocks_text
from tests.support.slack_ui import buttons, click, click_reminder, dm_containing, opened_view, submit_view, text_input
from tests.support.waiting import wait_until


def update_of(fake: FakeSlack, channel: str, ts: str, after: int = 0, timeout: float = 10) -> dict[str, Any]:
    """The first `chat.update` of one message (the outbox may still be sending an earlier test's updates)."""
    def updates() -> list[dict[str, Any]] | None:
        found = [c.params for c in fake.calls("chat.update")
                 if (c.params.get("channel"), c.params.get("ts")) == (channel, ts) and c.params.get("_ok", True)]
        return found if len(found) > after else None

    return wait_until(updates, timeout, interval=0.02, what=f"a chat.update of {channel} {ts}")[after]


def alice_chased_about_two_actions(server, board: BoardFixture, fake_slack: FakeSlack):
    """#1 due 17 July and #2 due 18 July, both Alice's; chase-actions on the 17th sends her one reminder.
    (her user id, the reminder's channel and ts, its buttons)."""
    alice = board.alice.user_id
    board.chair.command("/action", f"add Circulate the Northolt recommendations <@{alice}|alice> by 2019-07-17")
    board.chair.command("/action", f"add Book the Southall venue <@{alice}|alice> by 2019-07-18")
    fake_slack.wait_for("chat.postMessage", 2)
    jobs(server, "run", "chase-actions", "--board", board.name, "--at", "2019-07-17T09:00")
    channel, ts, payload = sent_row(server, alice, "chase:")
    return alice, channel, ts, buttons(payload)


def test_reminder_buttons_after_the_action_moved_on(server, board: BoardFixture, fake_slack: FakeSlack):
    alice, channel, ts, found = alice_chased_about_two_actions(server, board, fake_slack)

    # #1 is closed with the command; the reminder's Done, clicked afterwards, changes nothing.
    assert "Closed" in board.alice.command("/action", "done #1 Sent on Monday").text
    fake_slack.reset()
    click_reminder(board.alice, "action_done", found[(1, "Done")], channel, ts, fake_slack)
    answer = fake_slack.wait_for("respond")[0].params
    assert answer["text"] == "#1 was closed by alice a moment ago, so nothing has changed. Thank you." and not answer["replace_original"]
    redrawn = update_of(fake_slack, channel, ts)
    assert "*Done*" in blocks_text(redrawn)
    assert "chase_" + str(found[(1, "Done")]).split("|")[0] not in json.dumps(redrawn["blocks"])  # its buttons are gone
    history = db_rows(server.database_url, "SELECT u.kind, u.note FROM action_updates u JOIN actions a ON "
                      "a.id = u.action_id JOIN boards b ON b.id = a.board_id WHERE b.channel_id = :c AND a.ref = 1",
                      c=board.channel_id)
    assert history == [("done", "Sent on Monday")]

    # Snooze and Add update on it are answered the same way.
    fake_slack.reset()
    click_reminder(board.alice, "action_snooze", found[(1, "Snooze a week")], channel, ts, fake_slack)
    assert "#1 was closed by alice a moment ago" in fake_slack.wait_for("respond")[0].params["text"]
    fake_slack.reset()
    click_reminder(board.alice, "action_add_update", found[(1, "Add update")], channel, ts, fake_slack)
    assert "#1 was closed by alice a moment ago" in fake_slack.wait_for("respond")[0].params["text"]
    assert fake_slack.calls("views.open") == []

    # Not mine, twice: the secretariat hears once.
    fake_slack.reset()
    click_reminder(board.alice, "action_not_mine", found[(2, "Not mine")], channel, ts, fake_slack)
    update_of(fake_slack, channel, ts)
    click_reminder(board.alice, "action_not_mine", found[(2, "Not mine")], channel, ts, fake_slack)
    assert "already knows #2 is not yours" in fake_slack.wait_for("respond")[0].params["text"]
    assert "is not theirs" in blocks_text(dm_containing(fake_slack, board.secretary, "is not theirs"))
    assert len([c for c in fake_slack.messages() if c.params["channel"] == "D" + board.secretary.user_id[1:]]) == 1
    audit = db_rows(server.database_url, "SELECT count(*) FROM audit_log WHERE operation = 'not_mine' AND actor = :u",
                    u=alice)
    assert audit == [(1,)]


def test_publish_takes_the_drafts_place_so_it_is_not_clicked_twice(server, board: BoardFixture,
                                                                    fake_slack: FakeSlack):
    chair = board.chair
    chair.command("/plan", "meeting add 2019-10-10 10:00")
    draft = chair.command("/agenda", "draft")
    value = next(e["value"] for b in draft.json()["blocks"] if b["type"] == "actions" for e in b["elements"]
                 if e["action_id"] == "agenda_publish")
    fake_slack.reset()
    url = fake_slack.url + "response/draft"
    click(chair, "agenda_publish", value, channel=board.channel_id, ts="1563265800.000200", response_url=url)
    replaced = fake_slack.wait_for("response/draft")[0].params
    assert replaced["replace_original"] is True and "Published version 1" in replaced["text"]
    assert "agenda_publish" not in json.dumps(replaced["blocks"])
    # The same draft's button again (another copy of it): refused, the draft left alone, nothing published.
    click(chair, "agenda_publish", value, channel=board.channel_id, ts="1563265800.000200", response_url=url)
    again = fake_slack.wait_for("response/draft", 2)[1].params
    assert again["replace_original"] is False and "and nothing has changed since" in again["text"]
    assert db_rows(server.database_url, "SELECT count(*) FROM agenda_publications p JOIN boards b ON b.id = "
                   "p.board_id WHERE b.channel_id = :c", c=board.channel_id) == [(1,)]

    # Regenerate: the fresh draft takes the old one's place at once; its Word and Markdown files are made
    # after the ack and arrive in the chair's DM.
    fake_slack.reset()
    click(chair, "agenda_regenerate", value, channel=board.channel_id, ts="1563265800.000200",
                   response_url=url)
    fresh = fake_slack.wait_for("response/draft")[0].params
    assert fresh["replace_original"] is True and "Nothing has changed since version 1" in blocks_text(fresh)
    fake_slack.wait_for("files.completeUploadExternal", 2)
    files = {}
    for (payload,) in db_rows(server.database_url, "SELECT payload FROM outbox WHERE target = :u AND "
                              "target_kind = 'user' ORDER BY id", u=chair.user_id):
        payload = json.loads(payload) if isinstance(payload, str) else payload
        if payload.get("_method") == "files.upload":
            files[payload["filename"].rsplit(".", 1)[1]] = bytes.fromhex(payload["content_hex"])
    assert "Draft agenda — Thursday 10 October 2019" in [p.text for p in docx.Document(io.BytesIO(files["docx"])).paragraphs]
    assert "# " + board.name in files["md"].decode()


def test_the_request_for_an_update_says_when_it_is_in(server, board: BoardFixture, fake_slack: FakeSlack):
    board.chair.command("/plan", "meeting add 2019-10-10 10:00")
    board_id = db_rows(server.database_url, "SELECT id FROM boards WHERE channel_id = :c", c=board.channel_id)[0][0]
    dm, ts = "D" + board.alice.user_id[1:], "1563265800.000900"
    fake_slack.reset()
    click(board.alice, "partner_update_open", str(board_id), channel=dm, ts=ts,
                   response_url=fake_slack.url + "response/alice")
    view = opened_view(fake_slack)
    assert json.loads(view["private_metadata"])["ts"] == ts
    r = submit_view(board.alice, view, text_input("update_text", "Flu programme on track"))
    assert r.status == 200 and not r.body.strip()
    update = update_of(fake_slack, dm, ts)
    assert "*Ealing PCT*'s partner update" in blocks_text(update) and "is in, sent by" in blocks_text(update)
    assert [e["text"]["text"] for b in update["blocks"] if b["type"] == "actions" for e in b["elements"]] == [
        "Revise the update", "Attending", "Apologies", "Sending a substitute"]
    assert fake_slack.invalid() == []




def test_a_leads_quarterly_reminder_shows_which_returns_are_in(server, board: BoardFixture, fake_slack: FakeSlack):
    bob = board.bob
    board.chair.command("/lsp", f'project add "Data sharing" lead:<@{bob.user_id}|bob>')
    board.chair.command("/lsp", f'project add "Southall joined-up approach" lead:<@{bob.user_id}|bob>')
    board_id = db_rows(server.database_url, "SELECT id FROM boards WHERE channel_id = :c", c=board.channel_id)[0][0]
    dm, ts = "D" + bob.user_id[1:], "1563265800.000950"
    fake_slack.reset()
    click(bob, "quarterly_return_open", str(board_id), channel=dm, ts=ts,
                   response_url=fake_slack.url + "response/bob")
    view = opened_view(fake_slack)
    item = next(o["value"] for o in view["blocks"][1]["element"]["options"] if o["text"]["text"] == "Data sharing")
    r = submit_view(bob, view, {
        "return_item": {"return_item": {"type": "static_select", "selected_option": {"value": item}}},
        "return_rag": {"return_rag": {"type": "radio_buttons", "selected_option": {"value": "amber"}}},
        **text_input("return_commentary", "Protocol drafted; sign-off in August")})
    assert r.status == 200 and not r.body.strip()
    shown = blocks_text(update_of(fake_slack, dm, ts))
    assert ":white_check_mark: *Data sharing* — amber" in shown and "*Southall joined-up approach* — still to send" in shown
    assert [e["text"]["text"] for b in update_of(fake_slack, dm, ts)["blocks"] if b["type"] == "actions"
            for e in b["elements"]] == ["Send a return"]

    # The board channel's notice is everyone's: a return sent from its button leaves it as it is.
    fake_slack.reset()
    click(bob, "quarterly_return_open", str(board_id), channel=board.channel_id, ts="1563265800.000960",
                   response_url=fake_slack.url + "response/bob")
    assert "channel" not in json.loads(opened_view(fake_slack)["private_metadata"])


def test_closing_or_deciding_by_command_takes_the_buttons_off_the_dms(server, board: BoardFixture,
                                                                      fake_slack: FakeSlack):
    """`/action done` and `/agenda approve` typed rather than clicked: the owner's reminder and the chair's
    proposal DM (whose channel and ts the outbox recorded on delivery) are redrawn at once, not left with
    live buttons until someone clicks one."""
    alice, channel, ts, found = alice_chased_about_two_actions(server, board, fake_slack)
    first, second = (str(found[(ref, "Done")]).split("|")[0] for ref in (1, 2))

    fake_slack.reset()
    assert "Closed" in board.alice.command("/action", "done #1 Sent on Monday").text
    redrawn = update_of(fake_slack, channel, ts)
    assert "*Done*" in blocks_text(redrawn)
    rows = {b.get("block_id") for b in redrawn["blocks"] if b["type"] == "actions"}
    assert rows == {"chase_" + second}  # #1's buttons are gone; #2 is still open and keeps its own

    board.chair.command("/plan", "meeting add 2019-10-10 10:00")
    assert "Proposed A1" in board.alice.command("/agenda", 'add "Joint apprenticeship programme"').text
    pid = db_rows(server.database_url, "SELECT p.id FROM agenda_proposals p JOIN boards b ON b.id = p.board_id "
                  "WHERE b.channel_id = :c AND p.ref = 1", c=board.channel_id)[0][0]
    ask_channel, ask_ts = sent_message(server, f"agenda-proposal:{pid}:{board.chair.user_id}")
    assert "Approved A1" in board.secretary.command("/agenda", "approve A1").text
    redrawn = update_of(fake_slack, ask_channel, ask_ts)
    assert "Approved" in redrawn["text"] + json.dumps(redrawn["blocks"])
    assert "agenda_approve" not in json.dumps(redrawn["blocks"]) and "agenda_decline" not in json.dumps(redrawn["blocks"])
    assert fake_slack.invalid() == []
