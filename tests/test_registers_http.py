"""The register of interests and the decisions register end to end: commands through signed requests to
`lspbot serve`, the yearly ask run by `lspbot jobs run` and delivered to the fake Slack, and its "Confirm, no
change" button clicked, on SQLite and PostgreSQL."""

from __future__ import annotations

from tests.support.databases import db_rows
from tests.support.fake_slack import FakeSlack
from tests.support.server import BoardFixture, ServerProcess, jobs
from tests.support.slack_ui import click, dm_containing


def test_declare_the_yearly_ask_and_its_confirm_button(server: ServerProcess, board: BoardFixture,
                                                       fake_slack: FakeSlack):
    r = board.alice.command("/lsp", 'interests declare "Trustee of Southall Community Alliance" kind:non-pecuniary')
    assert r.status == 200 and "*I1* Trustee of Southall Community Alliance" in r.text, r.text
    r = board.bob.command("/lsp", "interests all")
    assert "Trustee of Southall Community Alliance" in r.text and "nothing declared" in r.text
    r = board.outsider.command("/lsp", "interests all")
    assert "not a member" in r.text
    r = board.bob.command("/lsp", "decisions 2019")
    assert r.status == 200 and "No decisions in 2019" in r.text

    out = jobs(server, "run", "ask-interests", "--board", board.name, "--at", "2020-04-01T09:00")
    assert "asked 4 members" in out, out
    dm = dm_containing(fake_slack, board.alice, "Confirm, no change")
    assert "Trustee of Southall Community Alliance" in str(dm["blocks"])
    board_id = db_rows(server.database_url, "SELECT id FROM boards WHERE channel_id = :c", c=board.channel_id)[0][0]
    button = [e for b in dm["blocks"] if b["type"] == "actions" for e in b["elements"]][0]
    assert (button["action_id"], button["value"]) == ("interests_confirm", str(board_id))

    r = click(board.outsider, "interests_confirm", button["value"], channel="D" + board.outsider.user_id[1:],
              ts="1563265800.000200", response_url=fake_slack.url + "response/outsider")
    assert r.status == 200
    assert "Not allowed" in str(fake_slack.wait_for("response/outsider")[0].params)
    r = click(board.alice, "interests_confirm", button["value"], channel="D" + board.alice.user_id[1:],
              ts="1563265800.000100", response_url=fake_slack.url + "response/confirm")
    assert r.status == 200
    assert "your 1 entry" in str(fake_slack.wait_for("response/confirm")[0].params)
    confirmed = db_rows(server.database_url, "SELECT confirmed_at FROM interests WHERE board_id = :b", b=board_id)
    assert [c is not None for (c,) in confirmed] == [True]
