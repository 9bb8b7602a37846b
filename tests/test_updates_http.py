"""/update end to end: partner updates, the form, the list, lateness on the agenda, quarterly returns.

Signed HTTP requests to `lspbot serve`, the fake Slack, and the database. The server's clock
starts on Tuesday 16 July 2019 (in quarter 2019-Q2 of the April-to-March year, so returns report on 2019-Q1,
April-June, the quarter just ended).
"""

from __future__ import annotations

import json
from typing import Any

from tests.support.databases import db_rows
from tests.support.fake_slack import FakeSlack
from tests.support.server import BoardFixture, ServerProcess
from tests.support.slack_ui import click, dm_containing, opened_view, submit_view, text_input


def updates_rows(server: ServerProcess, board: BoardFixture) -> list[tuple]:
    """(organisation, author, text, current, late) of every partner update of the board, oldest first."""
    return db_rows(server.database_url,
                   "SELECT o.name, m.slack_user_id, u.text, u.replaced_at IS NULL, u.late FROM partner_updates u "
                   "JOIN boards b ON b.id = u.board_id JOIN organisations o ON o.id = u.organisation_id "
                   "JOIN members m ON m.id = u.author_id WHERE b.channel_id = :c ORDER BY u.id", c=board.channel_id)


def returns_rows(server: ServerProcess, board: BoardFixture) -> list[tuple]:
    """(item, quarter, rag, commentary, current) of every quarterly return of the board, oldest first."""
    return db_rows(server.database_url,
                   "SELECT i.name, r.quarter, r.rag, r.commentary, r.replaced_at IS NULL FROM quarterly_returns r "
                   "JOIN performance_items i ON i.id = r.item_id JOIN boards b ON b.id = i.board_id "
                   "WHERE b.channel_id = :c ORDER BY r.id", c=board.channel_id)


def test_update_goes_to_the_next_meeting_and_a_resubmission_keeps_the_first(server, board, fake_slack: FakeSlack):
    board.chair.command("/plan", "meeting add 2019-10-10 10:00")
    r = board.alice.command("/update", "The PCT's winter flu programme starts in October.")
    assert r.status == 200 and r.json()["response_type"] == "ephemeral"
    assert "Ealing PCT's update for the " in r.text and "Thursday 10 October 2019" in r.text
    r = board.bob.command("/update", "Knife crime down 8% on last year; <!channel> briefing to follow")
    assert "Metropolitan Police's update" in r.text and "<!channel>" not in r.body.decode()
    r = board.alice.command("/update", "Revised: the flu programme starts on 1 October.")
    assert "replaces the one" in r.text and f"<@{board.alice.user_id}>" in r.text
    assert updates_rows(server, board) == [
        ("Ealing PCT", board.alice.user_id, "The PCT's winter flu programme starts in October.", False, False),
        ("Metropolitan Police", board.bob.user_id, "Knife crime down 8% on last year; <!channel> briefing to follow",
         True, False),
        ("Ealing PCT", board.alice.user_id, "Revised: the flu programme starts on 1 October.", True, False),
    ]
    r = board.chair.command("/update", "list")
    t = r.text
    # Submission order: the PCT sent first, so it stays first after revising.
    assert t.index("1. Ealing PCT") < t.index("2. Metropolitan Police")
    assert "Revised: the flu programme starts on 1 October." in t and "revised (1 earlier version)" in t
    assert "No update yet:* LB Ealing" in t
    r = board.chair.command("/update", "list 2019-10-10")
    assert "1. Ealing PCT" in r.text
    assert ("partner_update", "resubmit") in db_rows(server.database_url,
                                                     "SELECT entity, operation FROM audit_log ORDER BY id")


def test_update_in_a_dm_names_the_board_when_the_member_sits_on_several(server, board, fake_slack):
    board.chair.command("/plan", "meeting add 2019-10-10 10:00")
    other = board.admin.as_user(board.admin.user_id)
    other.channel_id = "C2" + board.channel_id[1:]
    r = other.command("/lsp", f'board create "Delivery {board.name}" chair:<@{board.chair.user_id}|chair>')
    assert "now runs in this channel" in r.text
    r = board.chair.command("/lsp", f'member add <@{board.alice.user_id}|alice> org:"Ealing PCT"',
                            channel_id=other.channel_id)
    assert "joined" in r.text
    dm = "D" + board.alice.user_id[1:]
    r = board.alice.command("/update", "Flu programme on track", channel_id=dm)
    assert "You sit on several boards" in r.text and updates_rows(server, board) == []
    r = board.alice.command("/update", f'Flu programme on track board:"{board.name}"', channel_id=dm)
    assert "is recorded" in r.text
    assert updates_rows(server, board) == [("Ealing PCT", board.alice.user_id, "Flu programme on track", True, False)]
    # Bob sits on one board: a DM needs no board name.
    r = board.bob.command("/update", "Police update by DM", channel_id="D" + board.bob.user_id[1:])
    assert "Metropolitan Police's update" in r.text


def test_update_alone_opens_the_form_prefilled_and_its_submission_is_checked(server, board, fake_slack):
    board.chair.command("/plan", "meeting add 2019-10-10 10:00")
    board.alice.command("/update", "First draft of our update")
    fake_slack.reset()
    r = board.alice.command("/update")
    assert r.status == 200 and not r.body.strip()  # nothing to show: the form opened instead
    view = opened_view(fake_slack)
    assert view["callback_id"] == "partner_update_modal"
    assert view["blocks"][1]["element"]["initial_value"] == "First draft of our update"
    assert "Thursday 10 October 2019" in json.dumps(view) and "Ealing PCT" in json.dumps(view)

    r = submit_view(board.alice, view, text_input("update_text", "   "))
    assert r.status == 200 and r.json()["response_action"] == "errors"
    assert "Write your organisation's update" in r.json()["errors"]["update_text"]
    r = submit_view(board.alice, view, text_input("update_text", "x" * 3001))
    assert "3,000" in r.json()["errors"]["update_text"]
    assert len(updates_rows(server, board)) == 1

    r = submit_view(board.alice, view, text_input("update_text", "Final: winter plan agreed with the CCG"))
    assert r.status == 200 and not r.body.strip()  # the form closes
    assert [row[2:4] for row in updates_rows(server, board)] == [
        ("First draft of our update", False), ("Final: winter plan agreed with the CCG", True)]
    assert "is recorded" in str(dm_containing(fake_slack, board.alice, "winter plan agreed")["blocks"])

    # The scheduler's request for updates carries a button that opens the same form.
    fake_slack.reset()
    click(board.bob, "partner_update_open", "", channel="D" + board.bob.user_id[1:], ts="1563265800.000300",
          response_url=fake_slack.url + "response/bob")
    view = opened_view(fake_slack)
    assert view["callback_id"] == "partner_update_modal" and "Metropolitan Police" in json.dumps(view)
    assert "initial_value" not in view["blocks"][1]["element"]


def test_late_updates_are_flagged_and_the_agenda_shows_every_update(server, board, fake_slack):
    board.chair.command("/plan", "meeting add 2019-10-10 10:00")
    board.bob.command("/update", "Police: neighbourhood teams fully staffed")
    r = board.secretary.command("/agenda", "publish")
    assert "Published version 1" in r.text
    r = board.alice.command("/update", "PCT: flu programme from 1 October")
    assert "marked *late*" in r.text
    assert [(row[0], row[4]) for row in updates_rows(server, board)] == [
        ("Metropolitan Police", False), ("Ealing PCT", True)]
    r = board.alice.command("/update", "list")
    assert ":warning: *late*" in r.text

    fake_slack.reset()
    r = board.chair.command("/agenda", "draft")
    t = r.text
    assert t.index("*Metropolitan Police*: Police: neighbourhood teams") < t.index("*Ealing PCT* (_late")
    assert "No partner updates received yet from: LB Ealing." in t
    fake_slack.wait_for("files.completeUploadExternal", 2)
    rows = db_rows(server.database_url, "SELECT payload FROM outbox WHERE target = :u ORDER BY id",
                   u=board.chair.user_id)
    payloads = [json.loads(p) if isinstance(p, str) else p for (p,) in rows]
    markdown = next(bytes.fromhex(p["content_hex"]).decode() for p in payloads
                    if p.get("filename", "").endswith(".md"))
    assert "- **Metropolitan Police** (bob): Police: neighbourhood teams fully staffed" in markdown
    assert "- **Ealing PCT** (alice; late, after the agenda was published): PCT: flu programme from 1 October" \
        in markdown
    assert markdown.index("Metropolitan Police") < markdown.index("**Ealing PCT**")


def test_bad_updates_are_refused_and_nothing_is_written(server, board):
    r = board.alice.command("/update", "No meeting to send this to")
    assert "has no meeting coming up" in r.text
    board.chair.command("/plan", "meeting add 2019-10-10 10:00")
    cases = [
        (board.outsider, "An update from nowhere", "not a member of any board"),
        (board.alice, "list 32 July", "couldn't read"),
        (board.alice, "list 2019-08-01", "has no meeting on Thursday 1 August 2019"),
        (board.alice, 'Wrong board board:"No Such Board"', "There is no board called"),
        (board.alice, "x" * 3001, "limit is 3,000"),
    ]
    for user, text, expected in cases:
        r = user.command("/update", text, channel_id="D" + user.user_id[1:] if user is board.outsider else None)
        assert r.status == 200 and r.json()["response_type"] == "ephemeral"
        assert expected in r.text, (text, r.text)
    assert updates_rows(server, board) == []
    r = board.alice.command("/update", '"List of events is attached"')
    assert "is recorded" in r.text and updates_rows(server, board)[0][2] == "List of events is attached"


def test_outcomes_projects_and_quarterly_returns(server, board, fake_slack):
    chair = board.chair
    r = board.alice.command("/lsp", 'outcome add "Healthy lives" lead:"Ealing PCT"')
    assert "Not allowed" in r.text
    r = chair.command("/lsp", 'outcome add "Healthy lives" lead:"Ealing PCT"')
    assert "now tracks the outcome *Healthy lives*, led by Ealing PCT" in r.text
    r = chair.command("/lsp", f'project add "Southall joined-up approach" lead:<@{board.bob.user_id}|bob> '
                              '"Partners mapped by 2019-09-30" "Joint plan agreed"')
    assert f"led by <@{board.bob.user_id}> (Metropolitan Police)" in r.text
    assert "Partners mapped — by 2019-09-30" in r.text and "Joint plan agreed" in r.text
    r = chair.command("/lsp", 'outcome add "Healthy lives" lead:"LB Ealing"')
    assert "already tracks" in r.text
    r = board.alice.command("/lsp", "project list")
    assert "Southall joined-up approach" in r.text and "Partners mapped" in r.text

    # In July the return is for April-June, the quarter just ended; a named quarter is kept as named.
    r = board.alice.command("/update", 'quarterly "Healthy lives" rag:amber Flu uptake 3 points behind target')
    assert "Q1 2019/20 (Apr–Jun 2019) return for “Healthy lives” recorded: Amber" in r.text
    r = board.alice.command("/update", 'quarterly healthy rag:GREEN Caught up by the end of June')
    assert "recorded: Green" in r.text and "replaces the earlier return (Amber" in r.text
    r = board.bob.command("/update", "quarterly Southall rag:green Venue agreed quarter:2018-Q4")
    assert "Q4 2018/19 (Jan–Mar 2019)" in r.text
    r = board.bob.command("/update", 'quarterly Southall rag:amber Partners meeting in August quarter:"2019-Q2"')
    assert "Q2 2019/20 (Jul–Sep 2019)" in r.text
    r = board.alice.command("/update", "quarterly Southall rag:red Not mine to report")
    assert "Only the lead of “Southall joined-up approach”" in r.text
    assert returns_rows(server, board) == [
        ("Healthy lives", "2019-Q1", "amber", "Flu uptake 3 points behind target", False),
        ("Healthy lives", "2019-Q1", "green", "Caught up by the end of June", True),
        ("Southall joined-up approach", "2018-Q4", "green", "Venue agreed", True),
        ("Southall joined-up approach", "2019-Q2", "amber", "Partners meeting in August", True),
    ]
    r = board.alice.command("/lsp", "outcome list")
    assert ":large_green_circle: *Healthy lives*" in r.text


def test_bad_quarterly_returns_are_refused_and_nothing_is_written(server, board):
    board.chair.command("/lsp", 'outcome add "Healthy lives" lead:"Ealing PCT"')
    board.chair.command("/lsp", 'outcome add "Healthy places" lead:"Ealing PCT"')
    audited = db_rows(server.database_url, "SELECT count(*) FROM audit_log")[0][0]
    cases = {
        'quarterly "Safer streets" rag:red Nothing': "tracks no outcome or project called “Safer streets”",
        'quarterly "Healthy lives" rag:purple Hmm': "must be red, amber or green; “purple” is none of them",
        'quarterly "Healthy lives" Forgot the status': "Give a RAG status",
        'quarterly "Healthy lives" rag:green Fine quarter:2019-Q5': "couldn't read “2019-Q5” as a quarter",
        'quarterly "Healthy lives" rag:green Fine quarter:last-spring': "couldn't read “last-spring” as a quarter",
        'quarterly "Healthy lives" rag:green Early quarter:2019-Q4': "has not started yet",
        'quarterly healthy rag:green Which one?': "could be any of",
        'quarterly "Healthy lives" rag:green': "Add a line of commentary",
    }
    for text, expected in cases.items():
        r = board.alice.command("/update", text)
        assert r.status == 200 and expected in r.text, (text, r.text)
    r = board.outsider.command("/update", 'quarterly "Healthy lives" rag:green Sneaky')
    assert "not a member" in r.text
    assert returns_rows(server, board) == []
    assert db_rows(server.database_url, "SELECT count(*) FROM audit_log")[0][0] == audited


def test_quarterly_return_form_with_a_rag_picker(server, board, fake_slack):
    board.chair.command("/lsp", 'outcome add "Healthy lives" lead:"Ealing PCT"')
    board.chair.command("/lsp", f'project add "Data sharing" lead:<@{board.bob.user_id}|bob>')
    fake_slack.reset()
    r = board.alice.command("/update", "quarterly")
    assert r.status == 200 and not r.body.strip()
    view = opened_view(fake_slack)
    assert view["callback_id"] == "quarterly_return_modal"
    assert "Q1 2019/20 (Apr–Jun 2019)" in json.dumps(view["blocks"], ensure_ascii=False)  # the quarter just ended
    select = view["blocks"][1]["element"]
    assert [o["text"]["text"] for o in select["options"]] == ["Healthy lives"]  # only what alice answers for
    assert [o["value"] for o in view["blocks"][2]["element"]["options"]] == ["green", "amber", "red"]
    item_id = select["options"][0]["value"]

    def values(rag: str | None, commentary: str) -> dict[str, Any]:
        return {
            "return_item": {"return_item": {"type": "static_select",
                                            "selected_option": {"value": item_id, "text": {"text": "Healthy lives"}}}},
            "return_rag": {"return_rag": {"type": "radio_buttons",
                                          "selected_option": {"value": rag} if rag else None}},
            **text_input("return_commentary", commentary),
        }

    r = submit_view(board.alice, view, values(None, "No status picked"))
    assert r.json()["response_action"] == "errors" and "return_rag" in r.json()["errors"]
    r = submit_view(board.alice, view, values("amber", " "))
    assert "return_commentary" in r.json()["errors"]
    assert returns_rows(server, board) == []
    r = submit_view(board.alice, view, values("red", "GP access worse over the summer"))
    assert r.status == 200 and not r.body.strip()
    assert returns_rows(server, board) == [("Healthy lives", "2019-Q1", "red", "GP access worse over the summer", True)]
    assert "recorded: Red" in str(dm_containing(fake_slack, board.alice, "GP access worse")["blocks"])

    # The quarterly reminder's button opens the form too; the chair may return for every item.
    fake_slack.reset()
    click(board.chair, "quarterly_return_open", "", channel=board.channel_id, ts="1563265800.000400",
          response_url=fake_slack.url + "response/chair")
    view = opened_view(fake_slack)
    assert [o["text"]["text"] for o in view["blocks"][1]["element"]["options"]] == ["Healthy lives", "Data sharing"]
    fake_slack.reset()
    r = board.secretary.command("/update", "quarterly")
    assert "You lead no outcome" not in r.text  # the secretariat may return for any item
    r = board.outsider.command("/update", "quarterly", channel_id="D" + board.outsider.user_id[1:])
    assert "not a member of any board" in r.text


def test_the_start_of_the_reporting_year_stays_while_returns_are_filed(server, board, fake_slack):
    """Returns are filed under labels like 2019-Q1 read with the board's start month: moving April to January
    would turn April-June returns into January-March ones, so the change is refused while any exist."""
    board_settings = "SELECT settings FROM boards WHERE channel_id = :c"
    r = board.chair.command("/lsp", "board set year_start_month 1")  # no returns yet: allowed
    assert "year_start_month" in r.text and "That needs fixing" not in r.text
    stored = db_rows(server.database_url, board_settings, c=board.channel_id)[0][0]
    assert (json.loads(stored) if isinstance(stored, str) else stored) == {"year_start_month": 1}
    assert "That needs fixing" not in board.chair.command("/lsp", "board set year_start_month 4").text
    board.chair.command("/lsp", 'outcome add "Healthy lives" lead:"Ealing PCT"')
    board.chair.command("/lsp", f'project add "Data sharing" lead:<@{board.bob.user_id}|bob>')
    board.alice.command("/update", 'quarterly "Healthy lives" rag:amber Flu uptake behind')
    board.alice.command("/update", 'quarterly "Healthy lives" rag:green Caught up')  # replaces: still one return
    board.bob.command("/update", 'quarterly "Data sharing" rag:red Protocol stalled quarter:2018-Q4')
    rows, settings = returns_rows(server, board), db_rows(server.database_url, board_settings, c=board.channel_id)
    audited = db_rows(server.database_url, "SELECT count(*) FROM audit_log")[0][0]
    for value in ("1", "7", "January"):
        r = board.chair.command("/lsp", f"board set year_start_month {value}")
        assert r.status == 200, r.text
        if value == "January":
            assert "is not a whole number" in r.text
            continue
        month = {"1": "January", "7": "July"}[value]
        assert (f"{board.name} already holds 2 quarterly returns, each filed under a quarter of a year that starts "
                f"in April. With the year starting in {month}, every one of them would count for a different three "
                "months") in r.text
    assert returns_rows(server, board) == rows
    assert db_rows(server.database_url, board_settings, c=board.channel_id) == settings
    assert db_rows(server.database_url, "SELECT count(*) FROM audit_log")[0][0] == audited
    # Setting the start month it already has changes nothing and is not refused; other settings still change.
    assert "already holds" not in board.chair.command("/lsp", "board set year_start_month 4").text
    assert "already holds" not in board.chair.command("/lsp", "board set year_start_month default").text
    assert "That needs fixing" not in board.chair.command("/lsp", "board set quarterly_deadline_working_days 10").text
    r = board.alice.command("/update", 'quarterly "Healthy lives" rag:green Still fine')
    assert "Q1 2019/20 (Apr–Jun 2019) return" in r.text
