"""The Home tab end to end: signed `app_home_opened` events and Home-tab clicks against `lspbot serve`,
the fake Slack's views.publish calls (each view parsed with slack_sdk.models by the fake), and the database.

The server's clock reads Tuesday 16 July 2019, 09:30 in London.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from tests.support.databases import db_rows
from tests.support.delivery import sent_message
from tests.support.fake_slack import FakeSlack
from tests.support.server import BoardFixture, ServerProcess, sql
from tests.support.slack_requests import HttpResult, SlackUser, blocks_text
from tests.support.slack_ui import home_buttons, next_home, posts_to, publishes, submit_view, text_input
from tests.support.waiting import wait_until


def open_home(fake: FakeSlack, user: SlackUser) -> dict[str, Any]:
    seen = len(publishes(fake, user))
    r = user.event({"type": "app_home_opened", "channel": "D" + user.user_id[1:], "tab": "home"})
    assert r.status == 200
    return next_home(fake, user, seen)


def text_of(view: dict[str, Any]) -> str:
    return blocks_text(view)


def refs_in_order(view: dict[str, Any]) -> list[int]:
    return [int(b["text"]["text"][2:b["text"]["text"].index("*", 2)]) for b in view["blocks"]
            if b["type"] == "section" and b["text"]["text"].startswith("*#")]


def click_home(user: SlackUser, action_id: str, value: str) -> HttpResult:
    """A signed `block_actions` from the Home tab: no channel, no response_url, the view as the container."""
    return user.interact({
        "type": "block_actions", "team": {"id": "T0LSP", "domain": "lsp"}, "api_app_id": "A0LSP", "token": "x",
        "user": {"id": user.user_id, "username": user.user_name or user.user_id.lower(), "team_id": "T0LSP"},
        "container": {"type": "view", "view_id": "VHOME" + user.user_id},
        "trigger_id": "12345.98765.home",
        "view": {"id": "VHOME" + user.user_id, "type": "home", "callback_id": "", "private_metadata": "",
                 "hash": "1563265800.abc", "blocks": [], "state": {"values": {}}},
        "actions": [{"type": "button", "action_id": action_id, "block_id": "b1", "value": value,
                     "action_ts": "1563265800.000100", "text": {"type": "plain_text", "text": action_id}}],
    })


def action_rows(server: ServerProcess, board: BoardFixture) -> dict[int, tuple]:
    """{ref: (status, due_date)} of the board's actions."""
    rows = db_rows(server.database_url, "SELECT a.ref, a.status, a.due_date FROM actions a JOIN boards b "
                   "ON b.id = a.board_id WHERE b.channel_id = :c", c=board.channel_id)
    return {ref: (status, str(due)[:10] if due else None) for ref, status, due in rows}


def history(server: ServerProcess, board: BoardFixture, ref: int) -> list[tuple[str, str]]:
    return db_rows(server.database_url, "SELECT u.kind, u.note FROM action_updates u JOIN actions a ON a.id = "
                   "u.action_id JOIN boards b ON b.id = a.board_id WHERE b.channel_id = :c AND a.ref = :r "
                   "ORDER BY u.id", c=board.channel_id, r=ref)


def test_home_tab_shows_and_moves_a_members_business(server, board: BoardFixture, fake_slack: FakeSlack):
    alice, chair = board.alice, board.chair
    fake_slack.add_user(alice.user_id, tz="America/New_York")
    chair.command("/plan", 'meeting add 2019-10-10 10:00 venue:"Southall Town Hall"')
    chair.command("/action", f"add Circulate the Northolt recommendations <@{alice.user_id}|alice> by 2019-07-18")
    chair.command("/action", f"add Map support for young people <@{alice.user_id}|alice> by 2019-08-30")
    chair.command("/action", f"add Find a venue for the away day <@{alice.user_id}|alice>")
    chair.command("/action", f"add Draft the data-sharing protocol <@{board.bob.user_id}|bob> by 2019-07-19")
    sql(server, "UPDATE actions SET due_date = :d WHERE ref = 2 AND board_id = (SELECT id FROM boards WHERE "
        "channel_id = :c)", d="2019-07-01", c=board.channel_id)

    view = open_home(fake_slack, alice)
    t = text_of(view)
    assert view["type"] == "home" and len(view["blocks"]) <= 100
    assert "*Your open actions* — 3, :warning: 1 overdue" in t
    assert refs_in_order(view) == [2, 1, 3]  # overdue first, then soonest due, undated last
    assert "overdue by 15 days" in t and "Draft the data-sharing protocol" not in t
    buttons = home_buttons(view)
    assert {label for ref, label in buttons if ref == 1} == {"Done", "Add update", "Snooze a week"}
    assert {label for ref, label in buttons if ref == 3} == {"Done", "Add update"}  # no due date: nothing to snooze
    # Her own clock (New York, from users.info, now cached) first, the venue's beside it.
    assert "*Thursday 10 October 2019* · 05:00 your time (10:00 in London) · Southall Town Hall" in t
    assert "Agenda not published yet" in t and "Times are in your time zone (New York)" in t
    assert db_rows(server.database_url, "SELECT timezone FROM members WHERE slack_user_id = :u",
                   u=alice.user_id) == [("America/New_York",)]
    assert "Ealing PCT*'s partner update" in t and "Boards you run" not in t
    owed = [b["accessory"] for b in view["blocks"] if b.get("accessory")]
    assert [(o["action_id"], o["text"]["text"]) for o in owed] == [("partner_update_open", "Send update")]

    # Done from Home closes #1 through the reminders' own handler, and Home is published again without it.
    seen = len(publishes(fake_slack, alice))
    assert click_home(alice, "action_done", buttons[(1, "Done")]).status == 200
    view = next_home(fake_slack, alice, seen)
    assert refs_in_order(view) == [2, 3] and action_rows(server, board)[1][0] == "done"
    assert history(server, board, 1)[-1] == ("done", "")
    assert fake_slack.calls("chat.update") == []  # Home is refreshed with views.publish, not chat.update

    # The same button again: a polite note on Home, nothing written.
    seen += 1
    click_home(alice, "action_done", buttons[(1, "Done")])
    assert "#1 was closed by alice a moment ago, so nothing has changed" in text_of(next_home(fake_slack, alice, seen))
    assert len(history(server, board, 1)) == 1

    # Bob may not close Alice's action, even with her button's value: refused on his own Home.
    seen_bob = len(publishes(fake_slack, board.bob))
    click_home(board.bob, "action_done", buttons[(2, "Done")])
    assert "Only alice (the owner)" in text_of(next_home(fake_slack, board.bob, seen_bob))
    assert action_rows(server, board)[2] == ("open", "2019-07-01")

    # Snooze holds the reminders back; the due date stays.
    seen = len(publishes(fake_slack, alice))
    click_home(alice, "action_snooze", buttons[(2, "Snooze a week")])
    next_home(fake_slack, alice, seen)
    snoozed = db_rows(server.database_url, "SELECT c.snoozed_until, c.response FROM action_chases c JOIN actions a "
                      "ON a.id = c.action_id JOIN boards b ON b.id = a.board_id WHERE b.channel_id = :c AND "
                      "a.ref = 2", c=board.channel_id)
    assert str(snoozed[0][0])[:10] > "2019-07-16" and snoozed[0][1] == "snooze"
    assert action_rows(server, board)[2] == ("open", "2019-07-01")

    # Add update opens the reminders' form; its submission notes progress and refreshes Home.
    fake_slack.reset()
    click_home(alice, "action_add_update", buttons[(2, "Add update")])
    opened = fake_slack.wait_for("views.open")[0].params["view"]
    form = json.loads(opened) if isinstance(opened, str) else opened
    assert form["callback_id"] == "chase_update_modal" and form["private_metadata"].startswith("home:")
    r = alice.interact({
        "type": "view_submission", "team": {"id": "T0LSP"}, "api_app_id": "A0LSP", "token": "x",
        "user": {"id": alice.user_id, "username": "alice"}, "trigger_id": "1.2.3",
        "view": {"id": "V1", "type": "modal", "callback_id": form["callback_id"],
                 "private_metadata": form["private_metadata"],
                 "state": {"values": {"note_block": {"note": {"type": "plain_text_input",
                                                              "value": "Youth service met; mapping half done"}}}}}})
    assert r.status == 200 and not r.body.strip()
    assert history(server, board, 2)[-1] == ("progress", "Youth service met; mapping half done")
    next_home(fake_slack, alice, 0)

    # The partner update she owes: the button opens the form, and once sent it is no longer owed.
    fake_slack.reset()
    click_home(alice, "partner_update_open", owed[0]["value"])
    opened = fake_slack.wait_for("views.open")[0].params["view"]
    form = json.loads(opened) if isinstance(opened, str) else opened
    assert form["callback_id"] == "partner_update_modal"
    r = submit_view(alice, form, text_input("update_text", "Flu programme starts in October"))
    assert r.status == 200 and not r.body.strip()
    view = next_home(fake_slack, alice, 0)
    assert "partner update" not in text_of(view) and "Waiting for you" not in text_of(view)
    assert fake_slack.invalid() == []


def test_chairs_see_their_boards_and_the_published_agenda_is_linked(server, board: BoardFixture,
                                                                     fake_slack: FakeSlack):
    chair = board.chair
    chair.command("/plan", "meeting add 2019-10-10 10:00")
    chair.command("/action", f"add Circulate the Northolt recommendations <@{board.bob.user_id}|bob> by 2019-07-18")
    chair.command("/action", f"add Book the venue <@{board.bob.user_id}|bob> by 2019-07-19")
    sql(server, "UPDATE actions SET due_date = :d WHERE ref = 1 AND board_id = (SELECT id FROM boards WHERE "
        "channel_id = :c)", d="2019-07-10", c=board.channel_id)
    board.alice.command("/agenda", 'add "Joint apprenticeship programme"')

    t = text_of(open_home(fake_slack, chair))
    assert "*Your open actions*" in t and "Nothing open" in t
    assert "Boards you run" in t and f"*{board.name}* · <#{board.channel_id}>" in t
    assert "2 open actions (:warning: 1 overdue) · 1 proposal waiting for a decision" in t
    assert "Next meeting Thu 10 Oct 2019: agenda not published yet" in t
    assert "Times are in your time zone (London)" in t and " your time (" not in t  # same zone as the board

    r = board.secretary.command("/agenda", "publish")
    assert "Published version 1" in r.text
    meeting_id = db_rows(server.database_url, "SELECT m.id FROM meetings m JOIN boards b ON b.id = m.board_id "
                         "WHERE b.channel_id = :c", c=board.channel_id)[0][0]
    channel, ts = sent_message(server, f"agenda-publish:{meeting_id}:v1")
    t = text_of(open_home(fake_slack, chair))
    assert f"<https://lsp.slack.com/archives/{channel}/p{ts.replace('.', '')}|Agenda v1>, published" in t
    assert "agenda v1 published" in t

    # Bob's Home lists his two actions but no board summary: he does not run the board.
    t = text_of(open_home(fake_slack, board.bob))
    assert "*Your open actions* — 2, :warning: 1 overdue" in t and "Boards you run" not in t


def test_home_pages_through_many_actions_within_slacks_limits(server, board: BoardFixture, fake_slack: FakeSlack):
    alice = board.alice
    for n in range(1, 33):
        r = alice.command("/action", f"add Task number {n} by 2019-08-{(n % 28) + 1:02d}")
        assert "Recorded" in r.text
    view = open_home(fake_slack, alice)
    assert len(view["blocks"]) <= 100 and len(refs_in_order(view)) == 15
    t = text_of(view)
    assert "*Your open actions* — 32" in t and "Showing 1–15 of 32" in t
    pages = [e for b in view["blocks"] if b.get("block_id") == "home_pages" for e in b["elements"]]
    assert [(e["action_id"], e["value"]) for e in pages] == [("home_page_next", "1")]
    seen = len(publishes(fake_slack, alice))
    click_home(alice, "home_page_next", "2")
    view = next_home(fake_slack, alice, seen)
    assert "Showing 31–32 of 32" in text_of(view) and len(refs_in_order(view)) == 2
    pages = [e for b in view["blocks"] if b.get("block_id") == "home_pages" for e in b["elements"]]
    assert [(e["action_id"], e["value"]) for e in pages] == [("home_page_previous", "1")]
    assert fake_slack.invalid() == []


def test_home_for_someone_on_no_board_and_the_messages_tab(server, board: BoardFixture, fake_slack: FakeSlack):
    t = text_of(open_home(fake_slack, board.outsider))
    assert "You are not on any board yet" in t
    # The Messages tab publishes nothing: the first Home view Alice gets is the one for opening Home.
    r = board.alice.event({"type": "app_home_opened", "channel": "D" + board.alice.user_id[1:], "tab": "messages"})
    assert r.status == 200
    open_home(fake_slack, board.alice)
    assert len(publishes(fake_slack, board.alice)) == 1


def test_times_are_shown_on_each_readers_clock(server, board: BoardFixture, fake_slack: FakeSlack):
    alice = board.alice
    fake_slack.add_user(alice.user_id, tz="Asia/Kolkata")
    board.chair.command("/plan", "meeting add 2019-10-10 10:00")
    # Her first command is answered in the board's zone (nothing waits on Slack inside the ack); her zone
    # is looked up after the ack and kept.
    assert "*Thursday 10 October 2019* · 10:00 ·" in alice.command("/plan").text
    wait_until(lambda: db_rows(server.database_url, "SELECT timezone FROM members WHERE slack_user_id = :u",
                               u=alice.user_id) == [("Asia/Kolkata",)], 10, interval=0.02,
               what="the time zone to be cached")
    assert "*Thursday 10 October 2019* · 14:30 your time (10:00 in London) ·" in alice.command("/plan").text
    assert "Time: 10:00 ·" in board.chair.command("/agenda", "draft").text  # the chair is in London
    # In the channel every reader's Slack shows the time on their own clock; the venue's time stays beside it.
    board.chair.command("/agenda", "publish")
    start = int(dt.datetime(2019, 10, 10, 9, 0, tzinfo=dt.UTC).timestamp())
    posted = posts_to(fake_slack, board.channel_id)
    assert f"Time: <!date^{start}^{{time}}|" in blocks_text(posted[0].params)
    assert "your time (10:00 at the venue)" in blocks_text(posted[0].params)


def test_a_stale_next_click_past_the_last_page_shows_the_last_page(server, board: BoardFixture,
                                                                   fake_slack: FakeSlack):
    """Next was on a Home tab from before most actions were closed: the page asked for no longer exists, so
    Home shows the last page there is, with the true count, not "15" over an empty list."""
    alice = board.alice
    for n in range(1, 32):
        assert "Recorded" in alice.command("/action", f"add Task number {n} by 2019-08-{(n % 28) + 1:02d}").text
    sql(server, "UPDATE actions SET status = 'done' WHERE ref <= 16 AND board_id = (SELECT id FROM boards "
        "WHERE channel_id = :c)", c=board.channel_id)
    open_home(fake_slack, alice)
    seen = len(publishes(fake_slack, alice))
    assert click_home(alice, "home_page_next", "2").status == 200
    view = next_home(fake_slack, alice, seen)
    t = text_of(view)
    assert "*Your open actions* — 15" in t and "Nothing open" not in t
    assert sorted(refs_in_order(view)) == list(range(17, 32))
    assert [b for b in view["blocks"] if b.get("block_id") == "home_pages"] == []  # one page: no pager
    # Past the end with part of a page left: page 3 of 16 open actions shows the second page, 16–16.
    sql(server, "UPDATE actions SET status = 'open' WHERE ref = 16 AND board_id = (SELECT id FROM boards "
        "WHERE channel_id = :c)", c=board.channel_id)
    seen = len(publishes(fake_slack, alice))
    click_home(alice, "home_page_next", "3")
    t = text_of(next_home(fake_slack, alice, seen))
    assert "*Your open actions* — 16" in t and "Showing 16–16 of 16" in t
    assert fake_slack.invalid() == []


def test_the_quarterly_return_owed_is_for_the_quarter_just_ended(server, board: BoardFixture, fake_slack: FakeSlack):
    """On 16 July 2019 a lead owes the return for April-June (Q1 2019/20); one for July-September, the quarter
    in progress, does not pay it."""
    bob = board.bob
    board.chair.command("/lsp", f'project add "Data sharing" lead:<@{bob.user_id}|bob>')
    assert "Q2 2019/20" in bob.command("/update", 'quarterly "Data sharing" rag:green Early word quarter:2019-Q2').text
    t = text_of(open_home(fake_slack, bob))
    assert f"Quarterly return for Q1 2019/20 (Apr–Jun 2019) on *{board.name}*" in t and "Data sharing" in t
    assert "Q2 2019/20" not in t
    r = bob.command("/update", 'quarterly "Data sharing" rag:amber Protocol drafted')
    assert "Q1 2019/20 (Apr–Jun 2019) return" in r.text
    assert "Quarterly return" not in text_of(open_home(fake_slack, bob))
