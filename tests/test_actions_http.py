"""/action end to end: signed HTTP requests to `lspbot serve`, the fake Slack, and the database."""

from __future__ import annotations

from tests.support.databases import db_rows
from tests.support.fake_slack import FakeSlack
from tests.support.server import BoardFixture, ServerProcess
from tests.support.waiting import wait_until


def count_actions(server: ServerProcess, board: BoardFixture) -> int:
    return db_rows(server.database_url,
                   "SELECT count(*) FROM actions a JOIN boards b ON b.id = a.board_id WHERE b.channel_id = :c",
                   c=board.channel_id)[0][0]


def action_row(server: ServerProcess, board: BoardFixture, ref: int) -> tuple:
    rows = db_rows(server.database_url,
                   "SELECT a.text, m.slack_user_id, a.due_date, a.status FROM actions a "
                   "JOIN boards b ON b.id = a.board_id JOIN members m ON m.id = a.owner_id "
                   "WHERE b.channel_id = :c AND a.ref = :r", c=board.channel_id, r=ref)
    assert rows, f"no action #{ref}"
    return rows[0]


def test_add_for_someone_else_stores_it_and_dms_the_owner(server, board, fake_slack: FakeSlack):
    bob_id = board.bob.user_id
    r = board.chair.command("/action", f"add Circulate the Northolt recommendations <@{bob_id}|bob> by Friday")
    assert r.status == 200
    reply = r.json()
    assert reply["response_type"] == "ephemeral"
    assert "*#1*" in r.text and "Friday 19 July 2019" in r.text and f"<@{bob_id}>" in r.text
    text, owner, due, status = action_row(server, board, 1)
    assert (text, owner, str(due)[:10], status) == ("Circulate the Northolt recommendations", bob_id, "2019-07-19", "open")
    dm = fake_slack.wait_for("chat.postMessage")[0]
    assert dm.params["channel"] == "D" + bob_id[1:]
    assert "Circulate the Northolt recommendations" in str(dm.params["blocks"])


def test_owner_defaults_to_sender_and_no_dm_to_self(server, board, fake_slack):
    r = board.alice.command("/action", "add Share the PCT's data-sharing protocol in 2 weeks")
    assert r.status == 200 and "Tuesday 30 July 2019" in r.text
    assert action_row(server, board, 1)[1] == board.alice.user_id
    assert fake_slack.calls("chat.postMessage") == []


def test_text_that_starts_with_by_is_text_unless_it_is_only_a_date(server, board):
    before = count_actions(server, board)
    for text in ("By Friday confirm the venue", "by email, ask partners for their returns"):
        r = board.alice.command("/action", f"add {text}")
        assert "Recorded" in r.text and "empty" not in r.text, (text, r.text)
    assert [action_row(server, board, ref)[0] for ref in (1, 2)] == [
        "By Friday confirm the venue", "by email, ask partners for their returns"]
    r = board.alice.command("/action", "add by Friday")
    assert "empty" in r.text and count_actions(server, board) == before + 2


def test_every_date_form_is_confirmed_as_a_full_date(server, board):
    # The server's clock starts on Tuesday 16 July 2019 (LSPBOT_NOW); 15 July was the meeting before.
    board.chair.command("/action", "add nothing")  # ensure a board exists for refs
    cases = {
        "by Friday": "Friday 19 July 2019",
        "by next Friday": "Friday 26 July 2019",
        "by 15 August": "Thursday 15 August 2019",
        "by 2019-08-15": "Thursday 15 August 2019",
        "in 2 weeks": "Tuesday 30 July 2019",
        "in two weeks' time": "Tuesday 30 July 2019",
        "by end of month": "Wednesday 31 July 2019",
    }
    for phrase, expected in cases.items():
        r = board.alice.command("/action", f"add Check the date form {phrase}")
        assert expected in r.text, (phrase, r.text)


def test_list_show_update_done_cycle(server, board, fake_slack):
    alice = board.alice
    alice.command("/action", "add First thing by 2019-07-20")
    alice.command("/action", "add Second thing by 2019-07-18")
    board.bob.command("/action", "add Bob's thing")
    r = alice.command("/action", "list")
    text = r.text
    assert "Second thing" in text and "First thing" in text and "Bob's thing" not in text
    assert text.index("Second thing") < text.index("First thing"), "sorted by due date"
    r = alice.command("/action", "list all")
    assert "Bob's thing" in r.text
    r = alice.command("/action", f"list <@{board.bob.user_id}|bob>")
    assert "Bob's thing" in r.text and "First thing" not in r.text

    r = alice.command("/action", "update #1 Drafted, with legal now")
    assert r.status == 200 and "Progress noted" in r.text
    r = alice.command("/action", "show #1")
    assert "Drafted, with legal now" in r.text and "First thing" in r.text
    r = alice.command("/action", "done #1 Signed off")
    assert "Closed" in r.text
    assert action_row(server, board, 1)[3] == "done"
    r = alice.command("/action", "list done")
    assert "First thing" in r.text
    r = alice.command("/action", "done #1")
    assert "#1 was closed by alice a moment ago" in r.text
    history = db_rows(server.database_url,
                      "SELECT u.kind, u.note FROM action_updates u JOIN actions a ON a.id = u.action_id "
                      "JOIN boards b ON b.id = a.board_id WHERE b.channel_id = :c AND a.ref = 1 ORDER BY u.id",
                      c=board.channel_id)
    assert history == [("progress", "Drafted, with legal now"), ("done", "Signed off")]
    audits = db_rows(server.database_url, "SELECT operation FROM audit_log WHERE entity = 'action' ORDER BY id")
    assert ("progress",) in audits and ("done",) in audits


def test_reassign_due_and_drop_by_the_chair(server, board, fake_slack):
    board.alice.command("/action", "add Book the Southall venue by 2019-08-01")
    fake_slack.reset()
    r = board.chair.command("/action", f"reassign #1 <@{board.bob.user_id}|bob>")
    assert "Reassigned" in r.text
    assert action_row(server, board, 1)[1] == board.bob.user_id
    posted = fake_slack.wait_for("chat.postMessage", 2)
    targets = {c.params["channel"] for c in posted}
    assert targets == {"D" + board.bob.user_id[1:], "D" + board.alice.user_id[1:]}
    r = board.chair.command("/action", "due #1 by 2019-08-09")
    assert "Friday 9 August 2019" in r.text
    assert str(action_row(server, board, 1)[2])[:10] == "2019-08-09"
    r = board.chair.command("/action", "drop #1")
    assert "Say why" in r.text
    r = board.chair.command("/action", "drop #1 The venue offer was withdrawn")
    assert "Dropped" in r.text and action_row(server, board, 1)[3] == "dropped"


def test_overdue_list_marks_overdue(server, board):
    # Actions can't be created in the past, so make one and move its date back in the database.
    board.alice.command("/action", "add Late return by 2019-07-17")
    from sqlalchemy import create_engine, text

    engine = create_engine(server.database_url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE actions SET due_date = :d WHERE board_id = (SELECT id FROM boards WHERE channel_id = :c)"),
                     {"d": "2019-07-01", "c": board.channel_id})
    engine.dispose()
    r = board.alice.command("/action", "list overdue")
    assert "Late return" in r.text and "overdue by 15 days" in r.text


def test_permissions_are_enforced(server, board):
    board.alice.command("/action", "add Alice's own action")
    for verb in ("done #1", "update #1 note", f"reassign #1 <@{board.bob.user_id}|bob>", "due #1 Friday",
                 "drop #1 reason"):
        r = board.bob.command("/action", verb)
        assert "Not allowed" in r.text, (verb, r.text)
    assert action_row(server, board, 1)[3] == "open"
    r = board.outsider.command("/action", "add Sneaky")
    assert "not a member" in r.text
    r = board.outsider.command("/action", "list all")
    assert "not a member" in r.text
    r = board.secretary.command("/action", "done #1 closed by the secretariat")
    assert "Closed" in r.text
    r = board.alice.command("/lsp", f'member add <@{board.outsider.user_id}|x> org:"X"')
    assert "Not allowed" in r.text
    r = board.chair.command("/lsp", 'board create "Another" chair:<@UX|x>')
    assert "Not allowed" in r.text


def test_bad_input_is_refused_and_writes_nothing(server, board):
    before = count_actions(server, board)
    cases = {
        "add Something by someday soon": "couldn't read",
        "add Something by 1 June 2019": "in the past",
        "add Something <@UNOTHERE|ghost>": "not a member",
        'add ""': "empty",
        "add by Friday": "empty",
        "add Something by 15 July": "in the past",  # said on Tuesday 16 July 2019
        "add " + "x" * 3001: "limit is 3,000",
        "frobnicate": "not a command I know",
        "show #99": "no action #99",
        "done #abc": "not an action reference",
        "list sideways": "not a list I know",
    }
    for text, expected in cases.items():
        r = board.alice.command("/action", text)
        assert r.status == 200
        assert r.json()["response_type"] == "ephemeral"
        assert expected in r.text, (text, r.text)
    assert count_actions(server, board) == before
    r = board.alice.command("/action", "add Something by someday soon")
    assert "someday soon" in r.text and "For example" in r.text


def test_pings_in_text_are_stored_as_typed_and_never_ping(server, board, fake_slack):
    raw = "Tell <!channel> and <!here|here> and <!everyone> and <@U999FAKE|ceo> about it"
    r = board.chair.command("/action", f"add {raw} <@{board.bob.user_id}|bob>")
    assert r.status == 200
    # Broadcasts are stored as typed (and shown inert); a person's mention is kept as their name, never as a mention.
    assert action_row(server, board, 1)[0] == raw.replace("<@U999FAKE|ceo>", "ceo")
    blob = r.body.decode()
    for ping in ("<!channel>", "<!here", "<!everyone>", "<@U999FAKE"):
        assert ping not in blob
    dm = fake_slack.wait_for("chat.postMessage")[0]
    assert "<!channel>" not in str(dm.params) and "<@U999FAKE" not in str(dm.params)


def test_text_slack_escaped_is_stored_as_typed(server, board):
    """Slack sends a typed &, < and > as &amp;, &lt; and &gt;: stored as typed, shown escaped once."""
    r = board.chair.command("/action", "add Agree the R&amp;D budget &lt;draft&gt; by 2019-08-01")
    assert r.status == 200
    assert action_row(server, board, 1)[0] == "Agree the R&D budget <draft>"
    assert "R&amp;D budget &lt;draft&gt;" in r.text and "&amp;amp;" not in r.body.decode()
    r = board.chair.command("/action", "list all")
    assert "R&amp;D budget &lt;draft&gt;" in r.text and "&amp;amp;" not in r.body.decode()


def test_the_time_zone_of_someone_on_no_board_is_not_asked_for_at_every_command(server, board, fake_slack):
    """A member's zone is kept on their record; for someone with none, Slack is asked once, not every time."""
    fake_slack.reset()
    for _ in range(3):
        assert "Not allowed" in board.outsider.command("/action", "list").text
    wait_until(lambda: [c for c in fake_slack.calls("users.info") if c.params.get("user") == board.outsider.user_id],
               what="the outsider's users.info")
    board.outsider.command("/action", "list")
    board.alice.command("/action", "list")
    wait_until(lambda: [c for c in fake_slack.calls("users.info") if c.params.get("user") == board.alice.user_id],
               what="alice's users.info")  # later than the outsider's: theirs have all been asked by now
    asked = [c.params.get("user") for c in fake_slack.calls("users.info")]
    assert asked.count(board.outsider.user_id) == 1, asked


def test_member_list_and_help(server, board):
    r = board.alice.command("/lsp", "member list")
    assert "Ealing PCT" in r.text and "_chair_" in r.text
    r = board.alice.command("/lsp", "help")
    for usage in ("/action add", "/plan item add", "/agenda draft", "/update quarterly", "/lsp report quarter",
                  "/lsp board set"):
        assert usage in r.text, usage
    r = board.alice.command("/lsp", "help /plan")
    assert "/plan item add" in r.text and "/action add" not in r.text
    r = board.alice.command("/lsp", "help agenda")
    assert "/agenda propose" not in r.text and "/agenda draft" in r.text and "/plan item add" not in r.text
    r = board.alice.command("/lsp", "help <!channel>")
    assert "There is no help topic called `&lt;!channel&gt;`" in r.text and "/action add" in r.text
    r = board.alice.command("/lsp", "nonsense here")
    assert "not a command I know" in r.text
