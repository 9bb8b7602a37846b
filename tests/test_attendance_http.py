"""Who is coming, end to end: the published agenda's Attending / Apologies / Sending a substitute buttons, the
substitute's form and `/meeting attendance`, through signed requests to `lspbot serve` and the fake Slack."""

from __future__ import annotations

import json

from tests.support.databases import db_rows
from tests.support.fake_slack import FakeSlack
from tests.support.server import BoardFixture, ServerProcess
from tests.support.slack_requests import blocks_text
from tests.support.slack_ui import click, posts_to, submit_view


def replies(server: ServerProcess, board: BoardFixture) -> dict[str, tuple]:
    rows = db_rows(server.database_url,
                   "SELECT m.slack_user_id, a.reply, a.substitute_name, a.substitute_email FROM meeting_attendance a "
                   "JOIN members m ON m.id = a.member_id JOIN meetings t ON t.id = a.meeting_id "
                   "JOIN boards b ON b.id = t.board_id WHERE b.channel_id = :c", c=board.channel_id)
    return {r[0]: r[1:] for r in rows}


def test_members_reply_from_the_published_agenda_and_name_a_substitute(server, board, fake_slack: FakeSlack):
    board.chair.command("/plan", "meeting add 2019-10-10 10:00")
    r = board.secretary.command("/agenda", "publish")
    assert "Published version 1" in r.text
    posted = posts_to(fake_slack, board.channel_id)[0]
    blocks = posted.params["blocks"]
    blocks = json.loads(blocks) if isinstance(blocks, str) else blocks
    buttons = {e["action_id"]: e["value"] for b in blocks if b["type"] == "actions" for e in b["elements"]}
    assert set(buttons) == {"meeting_attending", "meeting_apologies", "meeting_substitute"}
    meeting = buttons["meeting_attending"]
    assert len(set(buttons.values())) == 1
    fake_slack.reset()

    def press(user, action_id: str, name: str) -> str:
        r = click(user, action_id, meeting, channel=board.channel_id, ts=posted.params.get("ts") or "1.000001",
                  response_url=fake_slack.url + f"response/{name}")
        assert r.status == 200
        answer = fake_slack.wait_for(f"response/{name}")[0].params
        assert answer.get("response_type") == "ephemeral"  # told to the clicker alone
        return answer["text"]

    assert "You are coming to the" in press(board.alice, "meeting_attending", "alice")
    assert "Your apologies for the" in press(board.bob, "meeting_apologies", "bob")
    assert "Not allowed" in press(board.outsider, "meeting_attending", "outsider")
    assert replies(server, board) == {board.alice.user_id: ("attending", None, None),
                                      board.bob.user_id: ("apologies", None, None)}

    # Bob sends someone in his place: the form, a bad address refused on its field, then saved.
    r = click(board.bob, "meeting_substitute", meeting, channel=board.channel_id, ts="1.000001",
              response_url=fake_slack.url + "response/sub")
    assert r.status == 200
    opened = fake_slack.wait_for("views.open")[0]
    view = opened.params["view"]
    view = json.loads(view) if isinstance(view, str) else view
    assert view["callback_id"] == "meeting_substitute_modal"

    def fill(name: str, email: str) -> dict:
        return {"substitute_name": {"substitute_name": {"type": "plain_text_input", "value": name}},
                "substitute_email": {"substitute_email": {"type": "email_text_input", "value": email}}}

    r = submit_view(board.bob, view, fill("Priya Shah", "priya.shah@met"))
    assert r.status == 200 and r.json()["response_action"] == "errors"
    assert "is not an email address" in r.json()["errors"]["substitute_email"]
    assert replies(server, board)[board.bob.user_id] == ("apologies", None, None)
    r = submit_view(board.bob, view, fill("Priya Shah", "priya.shah@met.police.uk"))
    assert r.status == 200 and not r.body.strip()  # the form closes
    assert replies(server, board)[board.bob.user_id] == ("substitute", "Priya Shah", "priya.shah@met.police.uk")
    dm = posts_to(fake_slack, "D" + board.bob.user_id[1:])[0]
    assert "Priya Shah (priya.shah@met.police.uk)* is coming" in blocks_text(dm.params)

    # Everyone on the board sees who is coming, and whether the meeting is expected to be quorate.
    r = board.chair.command("/lsp", "board set quorum members:1/2 orgs:3 chair:yes")
    assert "members:1/2 orgs:3 chair:yes" in r.text
    r = board.bob.command("/meeting", "attendance")
    text = r.text
    assert "Who is coming" in text and "1 attending, 0 apologies, 1 substitute, 2 no reply yet" in text
    assert "*Priya Shah (priya.shah@met.police.uk)* comes for bob" in text
    assert "Not expected to be quorate" in text and "neither the chair nor a vice-chair" in text
    r = board.outsider.command("/meeting", "attendance")
    assert "Not allowed" in r.text
    assert not fake_slack.invalid()
