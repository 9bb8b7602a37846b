"""/plan end to end: signed slash commands to `lspbot serve`, the fake Slack, the database, and the plan CLI."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar

from tests.support.databases import db_rows
from tests.support.fake_slack import FakeSlack
from tests.support.server import BoardFixture, ServerProcess, run_lspbot
from tests.support.slack_requests import blocks_text
from tests.support.slack_ui import click

LONDON = ZoneInfo("Europe/London")


def plan_counts(server: ServerProcess, board: BoardFixture) -> tuple[int, int, int]:
    """(meetings, plan items, audit records) of the board."""
    meetings = db_rows(server.database_url, "SELECT count(*) FROM meetings m JOIN boards b ON b.id = m.board_id "
                       "WHERE b.channel_id = :c", c=board.channel_id)[0][0]
    items = db_rows(server.database_url, "SELECT count(*) FROM plan_items p JOIN boards b ON b.id = p.board_id "
                    "WHERE b.channel_id = :c", c=board.channel_id)[0][0]
    audits = db_rows(server.database_url, "SELECT count(*) FROM audit_log")[0][0]
    return meetings, items, audits


def board_meetings(server: ServerProcess, board: BoardFixture) -> list[tuple]:
    return db_rows(server.database_url, "SELECT m.date, m.venue FROM meetings m JOIN boards b ON b.id = m.board_id "
                   "WHERE b.channel_id = :c ORDER BY m.date", c=board.channel_id)


def test_cadence_generate_meeting_items_and_the_view(server, board):
    chair = board.chair
    r = chair.command("/plan", 'cadence quarterly time:10:00 venue:"Perceval House"')
    assert "FREQ=MONTHLY;BYMONTH=1,4,7,10;BYDAY=+2TH" in r.text, r.text
    r = chair.command("/plan", "generate 2020")
    assert "4 meetings added for 2020" in r.text
    assert [str(d)[:10] for d, _ in board_meetings(server, board)] == ["2020-01-09", "2020-04-09", "2020-07-09",
                                                                      "2020-10-08"]
    r = chair.command("/plan", "generate 2020")
    assert "Nothing to add" in r.text and "4 already planned" in r.text

    r = chair.command("/plan", 'meeting add 10 October 2019 2pm host:"Metropolitan Police" theme:"Community safety"')
    assert "Meeting added" in r.text and "Thursday 10 October 2019" in r.text and "14:00" in r.text
    assert "host: Metropolitan Police" in r.text and "Perceval House" in r.text  # the cadence's venue
    r = board.secretary.command("/plan", 'item add 10 October 2019 "LSP Annual Report for Scrutiny" '
                                         'lead:"LB Ealing/Metropolitan Police" kind:decision')
    assert "Item added" in r.text and "`P1`" in r.text and "for decision" in r.text
    r = chair.command("/plan", 'item add next meeting "Future policy \'theme\' setting" lead:"Board Unknown Partner"')
    assert "`P2`" in r.text and "Thursday 10 October 2019" in r.text
    r = chair.command("/plan", 'standing add "Borough Plan Performance Update" lead:"LB Ealing" every:2')
    assert "Standing item added" in r.text and "every 2nd meeting" in r.text

    links = db_rows(server.database_url, "SELECT p.ref, p.lead, p.lead_links FROM plan_items p JOIN boards b "
                    "ON b.id = p.board_id WHERE b.channel_id = :c ORDER BY p.ref", c=board.channel_id)
    first = json.loads(links[0][2]) if isinstance(links[0][2], str) else links[0][2]
    assert links[0][1] == "LB Ealing/Metropolitan Police"
    assert [(link["kind"], link["name"]) for link in first] == [("organisation", "LB Ealing"),
                                                                 ("organisation", "Metropolitan Police")]
    second = json.loads(links[1][2]) if isinstance(links[1][2], str) else links[1][2]
    assert links[1][1] == "Board Unknown Partner" and second == []  # kept as written, not refused

    # Everyone on the board reads the plan: date, items with leads and kinds, location, like the slide.
    r = board.alice.command("/plan", "")
    text = r.text
    assert r.status == 200 and "Forward plan" in text
    october = text.index("Thursday 10 October 2019")
    assert october < text.index("LSP Annual Report for Scrutiny") < text.index("Future policy") \
        < text.index("Borough Plan Performance Update") < text.index("Thursday 9 January 2020")
    assert "LB Ealing/Metropolitan Police" in text and "Location: Perceval House (host: Metropolitan Police)" in text
    assert "Theme: _Community safety_" in text and "`S` items are standing items" in text
    # Every 2nd meeting from today: 10 Oct 2019 (1st), 9 Apr 2020 (3rd), 8 Oct 2020 (5th).
    blocks = [b["text"]["text"] for b in r.json()["blocks"] if b["type"] == "section"]
    with_standing = [b.split("*")[1] for b in blocks if "Borough Plan Performance Update" in b]
    assert with_standing == ["Thursday 10 October 2019", "Thursday 9 April 2020", "Thursday 8 October 2020"]


def test_item_move_and_drop(server, board):
    chair = board.chair
    chair.command("/plan", "meeting add 2019-10-10 10:00")
    chair.command("/plan", "meeting add 2020-01-20 10:00")
    chair.command("/plan", 'item add 2019-10-10 "New Vice Chair" lead:"' + board.name + ' Chair"')
    r = board.alice.command("/plan", "")
    assert "New Vice Chair" in r.text and "standing items" not in r.text  # the board has none to explain
    r = chair.command("/plan", "item move P1 2020-01-20")
    assert "Item moved" in r.text and "Monday 20 January 2020" in r.text
    rows = db_rows(server.database_url, "SELECT m.date, p.lead_links FROM plan_items p JOIN meetings m "
                   "ON m.id = p.meeting_id JOIN boards b ON b.id = p.board_id WHERE b.channel_id = :c",
                   c=board.channel_id)
    assert str(rows[0][0])[:10] == "2020-01-20"
    links = json.loads(rows[0][1]) if isinstance(rows[0][1], str) else rows[0][1]
    assert links[0]["kind"] == "member" and links[0]["slack_user_id"] == chair.user_id  # "<board> Chair"
    r = chair.command("/plan", "item move P1 2020-01-20")
    assert "already planned" in r.text
    r = chair.command("/plan", "item drop P1")
    assert "Item dropped" in r.text and "New Vice Chair" in r.text
    assert plan_counts(server, board)[1] == 0
    r = chair.command("/plan", "item drop P1")
    assert "no item P1" in r.text


def test_only_managers_edit_and_only_the_board_reads(server, board):
    board.chair.command("/plan", "meeting add 2019-10-10")
    before = plan_counts(server, board)
    for text in ('item add 2019-10-10 "Sneaky item" lead:"Me"', "meeting add 2019-11-11", "generate 2020",
                 "cadence monthly", 'standing add "Every time"'):
        r = board.alice.command("/plan", text)
        assert "Not allowed" in r.text and "chair, vice-chair or secretariat" in r.text, (text, r.text)
    r = board.outsider.command("/plan", "")
    assert "not a member" in r.text
    r = board.outsider.command("/plan", "ics")
    assert "not a member" in r.text
    assert plan_counts(server, board) == before


def test_bad_input_is_refused_clearly_and_writes_nothing(server, board):
    chair = board.chair
    chair.command("/plan", "meeting add 2019-10-10 10:00")
    before = plan_counts(server, board)
    cases = {
        'item add someday "Title" lead:"LB Ealing"': "couldn't read “someday” as a date",
        'item add 2019-12-25 "Title" lead:"LB Ealing"': "no meeting on Wednesday 25 December 2019",
        'item add 2019-10-10 "Title" kind:vote': "“vote” is not a kind of item",
        "meeting add 2019-10-10": "already has a meeting on Thursday 10 October 2019",
        "meeting add 2019-07-01": "in the past",
        "meeting add 2019-11-11 25:00": "is not a time",
        'meeting add 2019-11-11 host:"Ealing P.C.T"': "Did you mean “Ealing PCT”?",
        "item move P9 2019-10-10": "no item P9",
        "item move X1 2019-10-10": "not a plan item reference",
        "cadence FREQ=SOMETIMES": "not a cadence I know",
        "generate 2020": "no meeting cadence yet",
        "generate twenty": "Which year?",
        "frobnicate": "not a command I know",
    }
    for text, expected in cases.items():
        r = chair.command("/plan", text)
        assert r.status == 200 and r.json()["response_type"] == "ephemeral"
        assert expected in r.text, (text, r.text)
    assert plan_counts(server, board) == before


def test_csv_import_is_all_or_nothing_with_errors_by_row_and_column(server, board, tmp_path: Path):
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "date,time,item,lead,kind,venue\n"
        "2019-10-10,10:00,LSP Annual Report for Scrutiny,LB Ealing,for decision,TBC\n"
        "2019-13-45,10:00,Bad date,LB Ealing,,\n"
        "2019-10-10,11:00,Clashing time,LB Ealing,,\n"
        "2020-01-20,10:00,Odd kind,LB Ealing,for fun,TBC\n"
        ",,,,,\n"
        "2020-01-20,10:00,,LB Ealing,,\n"
    )
    before = plan_counts(server, board)
    done = run_lspbot(["plan", "import", str(bad), "--board", board.name], server.env)
    assert done.returncode == 1
    err = done.stderr
    assert "Nothing was imported: 4 problems" in err
    assert "row 3, column date: “2019-13-45” is not a date" in err
    assert "row 4, column time: 11:00 differs from 10:00 given for 2019-10-10 in row 2" in err
    assert "row 5, column kind: “for fun” is not one of" in err
    assert "row 7, column item: a lead or kind is given but no item" in err
    assert plan_counts(server, board) == before

    clocks = tmp_path / "clocks.csv"  # the spring and autumn changes of 2020 on the board's clock (London)
    clocks.write_text("date,time,item,lead,kind,venue\n"
                      "2020-03-29,01:30,Night shift one,LB Ealing,,TBC\n"
                      "2020-10-25,01:30,Night shift two,LB Ealing,,TBC\n")
    done = run_lspbot(["plan", "import", str(clocks), "--board", board.name], server.env)
    assert done.returncode == 1
    assert "row 2, column time: 01:30 on Sunday 29 March 2020 does not exist on the board's clock" in done.stderr
    assert "row 3, column time: 01:30 on Sunday 25 October 2020 happens twice on the board's clock" in done.stderr
    assert plan_counts(server, board) == before

    wrong_header = tmp_path / "header.csv"
    wrong_header.write_text("date,title,lead\n2019-10-10,Thing,LB Ealing\n")
    done = run_lspbot(["plan", "import", str(wrong_header), "--board", board.name], server.env)
    assert done.returncode == 1
    assert "row 1, column title: unknown column" in done.stderr and "row 1, column item: missing column" in done.stderr
    assert plan_counts(server, board) == before


def test_csv_import_then_export_round_trips_and_view_shows_it(server, board, tmp_path: Path):
    good = tmp_path / "plan.csv"
    good.write_text(
        "date,time,item,lead,kind,venue\n"
        "15 July 2019,10:00,Northolt final recommendations,LB Ealing/DWP,for decision,TBC\n"
        "2019-10-10,10:00,LSP Annual Report for Scrutiny,LB Ealing,for decision,TBC\n"
        "2019-10-10,,Future policy 'theme' setting,LSP Executive,for discussion,\n"
        "20/01/2020,10:00,Borough Plan Performance Update,LB Ealing,standing item,Southall Town Hall\n"
    )
    args = ["plan", "import", str(good), "--board", board.name]
    # 15 July 2019 is yesterday on the server's clock: a past meeting is refused, the whole file with it ...
    before = plan_counts(server, board)
    done = run_lspbot(args, server.env)
    assert done.returncode == 1
    assert done.stderr.strip().endswith("row 2, column date: 15 July 2019 has already taken place; nothing is "
                                        "planned for a past meeting (to load a board's history, import with "
                                        "--include-past)"), done.stderr
    assert "3 meetings added" not in done.stdout and plan_counts(server, board) == before
    # ... unless the secretariat says the file is the board's history too.
    args.append("--include-past")
    done = run_lspbot(args, server.env)
    assert done.returncode == 0, done.stderr
    assert "3 meetings added, 0 changed; 4 items added" in done.stdout
    done = run_lspbot(args, server.env)
    assert "0 meetings added, 0 changed; 0 items added, 0 changed, 4 already there" in done.stdout
    exported = run_lspbot(["plan", "export", "--format", "csv", "--board", board.name], server.env)
    assert exported.returncode == 0, exported.stderr
    assert exported.stdout.splitlines() == [
        "ref,date,time,item,lead,kind,venue,host,theme",
        "P1,2019-07-15,10:00,Northolt final recommendations,LB Ealing/DWP,for decision,TBC,,",
        "P2,2019-10-10,10:00,LSP Annual Report for Scrutiny,LB Ealing,for decision,TBC,,",
        "P3,2019-10-10,10:00,Future policy 'theme' setting,LSP Executive,for discussion,TBC,,",
        "P4,2020-01-20,10:00,Borough Plan Performance Update,LB Ealing,standing item,Southall Town Hall,,",
    ]
    # The exported file goes back in without --include-past: its past meeting is there already, unchanged ...
    again = tmp_path / "exported.csv"
    again.write_text(exported.stdout)
    done = run_lspbot(["plan", "import", str(again), "--board", board.name], server.env)
    assert done.returncode == 0 and "0 meetings added, 0 changed; 0 items added, 0 changed, 4 already there" \
        in done.stdout, done.stdout + done.stderr
    # ... but a change to that past meeting is refused.
    again.write_text(exported.stdout.replace("Northolt final recommendations,LB Ealing/DWP",
                                             "Northolt final recommendations,LB Ealing"))
    done = run_lspbot(["plan", "import", str(again), "--board", board.name], server.env)
    assert done.returncode == 1 and "row 2, column date: 15 July 2019 has already taken place" in done.stderr
    r = board.bob.command("/plan", "")
    assert "LSP Annual Report for Scrutiny" in r.text and "Location: Southall Town Hall" in r.text
    assert "Northolt" not in r.text  # the view starts today
    # Slash commands leave a past meeting's plan alone.
    before = plan_counts(server, board)
    r = board.chair.command("/plan", 'item add 2019-07-15 "Too late" lead:"LB Ealing"')
    assert "already taken place" in r.text
    r = board.chair.command("/plan", "item drop P1")
    assert "stays on record" in r.text
    assert plan_counts(server, board) == before


def test_ics_export_keeps_uids_and_london_times_across_summer_time(server, board, fake_slack: FakeSlack):
    chair = board.chair
    # GMT before 31 March 2019 / after 27 October 2019; BST between. 2020: BST from 29 March to 25 October.
    for day in ("2019-10-10", "2019-11-14", "2020-01-20", "2020-03-30", "2020-07-13", "2020-11-16"):
        r = chair.command("/plan", f"meeting add {day} 10:00")
        assert "Meeting added" in r.text, r.text
    chair.command("/plan", 'item add 2020-03-30 "New Vice Chair" lead:"LSP Executive Chair" kind:decision')

    def export() -> icalendar.Calendar:
        done = run_lspbot(["plan", "export", "--format", "ics", "--board", board.name], server.env)
        assert done.returncode == 0, done.stderr
        return icalendar.Calendar.from_ical(done.stdout)

    cal = export()
    events = sorted(cal.walk("VEVENT"), key=lambda e: e.decoded("dtstart"))
    assert len(events) == 6
    assert [tz["TZID"] for tz in cal.walk("VTIMEZONE")] == ["Europe/London"]
    starts = [e.decoded("dtstart") for e in events]
    assert all(s.tzinfo is not None and str(s.tzinfo) == "Europe/London" for s in starts)
    assert [s.astimezone(LONDON).strftime("%Y-%m-%d %H:%M") for s in starts] == [
        "2019-10-10 10:00", "2019-11-14 10:00", "2020-01-20 10:00", "2020-03-30 10:00", "2020-07-13 10:00",
        "2020-11-16 10:00"]
    utc_hours = [s.astimezone(dt.UTC).hour for s in starts]
    assert utc_hours == [9, 10, 10, 9, 9, 10]  # BST, GMT, GMT, BST, BST, GMT
    assert [e.decoded("dtend") - e.decoded("dtstart") for e in events] == [dt.timedelta(hours=2)] * 6
    march = events[3]
    assert "New Vice Chair" in str(march.get("description")) and str(march.get("location")) == "TBC"
    uids = [str(e["uid"]) for e in events]
    assert len(set(uids)) == 6

    # Moving the venue keeps the same UID, so calendars update the event instead of duplicating it.
    chair.command("/plan", 'meeting add 2020-03-30 venue:"Southall Town Hall"')
    again = sorted(export().walk("VEVENT"), key=lambda e: e.decoded("dtstart"))
    assert [str(e["uid"]) for e in again] == uids
    assert str(again[3].get("location")) == "Southall Town Hall"

    # In Slack, /plan ics sends the file into the requester's DM after the ack.
    r = board.alice.command("/plan", "ics")
    assert "6 meetings" in r.text and ".ics" in r.text
    fake_slack.wait_for("files.completeUploadExternal")
    rows = db_rows(server.database_url, "SELECT target, payload FROM outbox WHERE target = :u ORDER BY id DESC",
                   u=board.alice.user_id)
    payload = json.loads(rows[0][1]) if isinstance(rows[0][1], str) else rows[0][1]
    assert payload["_method"] == "files.upload" and payload["filename"].endswith("-meetings.ics")
    sent = icalendar.Calendar.from_ical(bytes.fromhex(payload["content_hex"]))
    assert sorted(str(e["uid"]) for e in sent.walk("VEVENT")) == sorted(uids)


def test_ics_sequence_grows_when_a_meeting_moves_and_the_uid_names_the_board_channel(server, board, tmp_path: Path):
    chair = board.chair
    chair.command("/plan", "meeting add 2019-10-10 10:00")
    chair.command("/plan", "meeting add 2020-01-20 10:00")

    def export() -> dict[str, icalendar.Event]:
        done = run_lspbot(["plan", "export", "--format", "ics", "--board", board.name], server.env)
        assert done.returncode == 0, done.stderr
        events = icalendar.Calendar.from_ical(done.stdout).walk("VEVENT")
        return {e.decoded("dtstart").astimezone(LONDON).date().isoformat(): e for e in events}

    first = export()
    october, january = first["2019-10-10"], first["2020-01-20"]
    uid = str(october["uid"])
    assert uid.startswith("meeting-") and uid.endswith(f".{board.channel_id}@lspbot")  # unique per installation
    assert october.decoded("sequence") == 0 and january.decoded("sequence") == 0
    assert october.decoded("last-modified") == october.decoded("dtstamp")
    assert export()["2019-10-10"].to_ical() == october.to_ical()  # exporting again changes nothing

    # A new time, then a new venue: each is a change the invitation must carry; a theme alone is not.
    assert "Meeting changed" in chair.command("/plan", "meeting add 2019-10-10 14:00").text
    moved = export()["2019-10-10"]
    assert str(moved["uid"]) == uid and moved.decoded("sequence") == 1
    assert moved.decoded("dtstart").astimezone(LONDON).hour == 14
    chair.command("/plan", 'meeting add 2019-10-10 venue:"Southall Town Hall"')
    chair.command("/plan", 'meeting add 2019-10-10 theme:"Skills"')
    again = export()
    assert str(again["2019-10-10"]["uid"]) == uid and again["2019-10-10"].decoded("sequence") == 2
    assert again["2019-10-10"].decoded("last-modified") >= moved.decoded("last-modified")
    assert again["2020-01-20"].decoded("sequence") == 0 and str(again["2020-01-20"]["uid"]) == str(january["uid"])

    # A CSV import that moves a meeting counts as a change too, and is in the audit trail.
    csv_file = tmp_path / "move.csv"
    csv_file.write_text("date,time,item,lead,kind,venue\n2020-01-20,11:30,,,,Acton Town Hall\n")
    done = run_lspbot(["plan", "import", str(csv_file), "--board", board.name], server.env)
    assert done.returncode == 0 and "0 meetings added, 1 changed" in done.stdout, done.stderr
    after_import = export()["2020-01-20"]
    assert after_import.decoded("sequence") == 1 and str(after_import["location"]) == "Acton Town Hall"
    assert str(after_import["uid"]) == str(january["uid"])


def test_malformed_csv_is_refused_by_row_and_column_and_nothing_is_imported(server, board, tmp_path: Path):
    before = plan_counts(server, board)
    cases = {
        # An unterminated quote used to swallow the rest of the line into one item titled "unterminated,LB,,TBC".
        "date,time,item,lead,kind,venue\n2019-10-10,10:00,Fine,LB Ealing,,TBC\n"
        '2019-10-10,10:00,"unterminated,LB,,TBC\n2020-01-20,10:00,Later,LB Ealing,,TBC\n':
            "row 3, column item: the quote that opens this cell is never closed",
        'date,time,item,lead,kind,venue\n2019-10-10,10:00,Fine,"LB" Ealing,,TBC\n':
            "row 2, column lead: a quoted cell has more text after its closing quote",
    }
    for number, (text, expected) in enumerate(cases.items()):
        bad = tmp_path / f"malformed{number}.csv"
        bad.write_text(text)
        done = run_lspbot(["plan", "import", str(bad), "--board", board.name], server.env)
        assert done.returncode == 1 and "Nothing was imported: 1 problem" in done.stderr, done.stderr
        assert expected in done.stderr, done.stderr
        assert plan_counts(server, board) == before


def test_words_outside_quotes_are_refused_or_read_as_the_date_they_continue(server, board):
    chair = board.chair
    chair.command("/plan", "meeting add 2019-10-10 10:00")
    chair.command("/plan", "meeting add 2020-01-09 10:00")

    def proposals() -> list[tuple]:
        return db_rows(server.database_url, "SELECT a.title, m.date FROM agenda_proposals a JOIN meetings m "
                       "ON m.id = a.meeting_id JOIN boards b ON b.id = a.board_id WHERE b.channel_id = :c "
                       "ORDER BY a.ref", c=board.channel_id)

    before = plan_counts(server, board)
    refused = {
        # "item" used to be glued onto the title: "Kind test3 item".
        'item add 2019-10-10 "Kind test3" lead:"LB" kind:standing item':
            '“item” is not part of the title or of any option. A value with spaces goes in quotes: '
            '`kind:"standing item"`',
        'item add 2019-10-10 "Skills" strategy lead:"LB Ealing"': "“strategy” is outside the title's quotes",
        'standing add "Borough Plan" lead:LB Ealing': '`lead:"LB Ealing"`',
        'standing add "Borough Plan" lead:"LB Ealing" from:next meeting Update':
            'If the date is “next meeting”, put it in quotes, `from:"next meeting"`',
        # The syntax has lead: on every item.
        'item add 2019-10-10 "no lead"': "Who leads this item?",
        'item add 2019-10-10 "no lead" lead:""': "Who leads this item?",
    }
    for text, expected in refused.items():
        r = chair.command("/plan", text)
        assert r.status == 200 and expected in r.text, (text, r.text)
    assert plan_counts(server, board) == before

    r = chair.command("/plan", 'item add 2019-10-10 "Kind test3" lead:"LB" kind:"standing item"')
    assert "Item added" in r.text and "Kind test3" in r.text
    titles = db_rows(server.database_url, "SELECT p.title, p.kind FROM plan_items p JOIN boards b "
                     "ON b.id = p.board_id WHERE b.channel_id = :c", c=board.channel_id)
    assert titles == [("Kind test3", "standing item")]
    r = chair.command("/plan", 'standing add "Borough Plan" lead:"LB Ealing" from:9 January 2020')
    assert "Standing item added" in r.text and "from Thu 9 Jan 2020" in r.text, r.text

    # for: takes the words of a date after it; "for:9" alone used to name Monday 9 September 2019.
    r = board.alice.command("/agenda", 'add "z" for:9 January 2020')
    assert "A1" in r.text, r.text
    r = board.alice.command("/agenda", 'add "y" for:next meeting lead:"Ealing PCT"')
    assert "A2" in r.text, r.text
    r = board.alice.command("/agenda", "add Community hubs for:10 October 2019")
    assert "A3" in r.text, r.text
    assert [(t, str(d)[:10]) for t, d in proposals()] == [("z", "2020-01-09"), ("y", "2019-10-10"),
                                                          ("Community hubs", "2019-10-10")]
    for text, expected in {
        'add "x" for:9 January 2020 please': 'put it in quotes, `for:"9 January 2020"`',
        'add "x" extra words': "“extra words” is outside the title's quotes",
        'add "x" for:"9 January 2020" soon': "“soon” is outside the title's quotes",
    }.items():
        r = board.alice.command("/agenda", text)
        assert expected in r.text, (text, r.text)
    assert len(proposals()) == 3


def test_csv_export_carries_standing_items_and_import_declares_them_again(server, board, tmp_path: Path):
    chair = board.chair
    for day in ("2019-10-10", "2020-01-20", "2020-03-30", "2020-07-13"):
        chair.command("/plan", f"meeting add {day} 10:00")
    chair.command("/plan", 'item add 2019-10-10 "LSP Annual Report for Scrutiny" lead:"LB Ealing" kind:decision')
    chair.command("/plan", 'standing add "Borough Plan Performance Update" lead:"LB Ealing"')
    r = chair.command("/plan", 'standing add "Partnership risks" lead:"Metropolitan Police" kind:decision every:2 '
                               "from:2020-01-20")
    assert "Standing item added" in r.text, r.text

    def export(name: str) -> list[str]:
        done = run_lspbot(["plan", "export", "--format", "csv", "--board", name], server.env)
        assert done.returncode == 0, done.stderr
        return done.stdout.splitlines()

    exported = export(board.name)
    assert exported[-2:] == [
        'S1,2019-07-16,,Borough Plan Performance Update,LB Ealing,"standing item, every meeting",,,',  # from today
        'S2,2020-01-20,,Partnership risks,Metropolitan Police,"for decision, every 2nd meeting",,,',
    ]
    assert not any("standing" in line for line in exported[:-2])  # not copied into each meeting

    # Into another board: the same plan, the same standing items at the same meetings, and the same export.
    copy = f"Copy {board.name}"
    r = board.admin.command("/lsp", f'board create "{copy}" chair:<@{board.chair.user_id}|chair>',
                            channel_id=board.channel_id + "X")
    assert "now runs in this channel" in r.text, r.text
    csv_file = tmp_path / "plan.csv"
    csv_file.write_text("\n".join(exported) + "\n")
    done = run_lspbot(["plan", "import", str(csv_file), "--board", copy], server.env)
    assert done.returncode == 0, done.stderr
    assert "4 meetings added, 0 changed; 1 items added, 0 changed, 0 already there; standing items: 2 added, " \
           "0 changed, 0 already there." in done.stdout
    assert export(copy) == exported
    done = run_lspbot(["plan", "import", str(csv_file), "--board", copy], server.env)
    assert "standing items: 0 added, 0 changed, 2 already there" in done.stdout
    shown = board.chair.command("/plan", "all", channel_id=board.channel_id + "X").json()["blocks"]
    sections = [b["text"]["text"] for b in shown if b["type"] == "section"]
    with_risks = [s.split("*")[1] for s in sections if "Partnership risks" in s]
    assert with_risks == ["Monday 20 January 2020", "Monday 13 July 2020"]  # every 2nd from 20 January
    assert sum("Borough Plan Performance Update" in s for s in sections) == 4

    # A changed frequency updates the declaration; a standing row with a time, or an unreadable frequency, is refused.
    csv_file.write_text("date,time,item,lead,kind,venue\n"
                        ",,Partnership risks,Metropolitan Police,\"for decision, every 3rd meeting\",\n")
    done = run_lspbot(["plan", "import", str(csv_file), "--board", copy], server.env)
    assert "standing items: 0 added, 1 changed, 0 already there" in done.stdout, done.stdout + done.stderr
    assert 'S2,2020-01-20,,Partnership risks,Metropolitan Police,"for decision, every 3rd meeting",,,' in export(copy)
    csv_file.write_text("date,time,item,lead,kind,venue\n"
                        "2020-01-20,10:00,Partnership risks,Metropolitan Police,\"standing item, every other week\",\n")
    done = run_lspbot(["plan", "import", str(csv_file), "--board", copy], server.env)
    assert done.returncode == 1 and "Nothing was imported: 2 problems" in done.stderr, done.stderr
    assert "row 2, column time: a standing item has no time of its own" in done.stderr
    assert "row 2, column kind: “every other week” is not how often a standing item comes" in done.stderr


def test_a_meeting_on_a_weekend_or_bank_holiday_is_asked_about_first(server, board, fake_slack: FakeSlack):
    chair = board.chair
    r = chair.command("/plan", 'meeting add 14 September 2019 10:00 venue:"Perceval House"')
    assert "Saturday 14 September 2019* is a Saturday, not a working day" in r.text, r.text
    assert "force:yes" in r.text and board_meetings(server, board) == []
    value = next(e["value"] for b in r.json()["blocks"] if b["type"] == "actions" for e in b["elements"]
                 if e["action_id"] == "plan_meeting_confirm")
    url = fake_slack.url + "response/confirm"
    click(board.alice, "plan_meeting_confirm", value, channel=board.channel_id, ts="1563265800.000300",
          response_url=url)
    refused = fake_slack.wait_for("response/confirm")[0].params
    assert "Not allowed" in blocks_text(refused) and board_meetings(server, board) == []
    click(chair, "plan_meeting_confirm", value, channel=board.channel_id, ts="1563265800.000300", response_url=url)
    added = fake_slack.wait_for("response/confirm", 2)[1].params
    assert added["replace_original"] is True and "Meeting added" in blocks_text(added)
    assert [(str(d)[:10], v) for d, v in board_meetings(server, board)] == [("2019-09-14", "Perceval House")]

    r = chair.command("/plan", "meeting add 26 August 2019")
    assert "is a bank holiday (Late Summer Bank Holiday)" in r.text, r.text
    r = chair.command("/plan", "meeting add 26 August 2019 force:yes")
    assert "Meeting added" in r.text and len(board_meetings(server, board)) == 2
    r = chair.command("/plan", "meeting add 14 September 2019 11:00")  # changing it asks nothing more
    assert "Meeting changed" in r.text and "11:00" in r.text


def test_csv_round_trip_keeps_host_and_theme_and_moves_an_item_by_its_ref(server, board, tmp_path: Path):
    chair = board.chair
    r = chair.command("/plan", 'meeting add 2019-10-10 10:00 venue:"Perceval House" host:"LB Ealing" '
                               'theme:"Skills, jobs and the high street"')
    assert "added" in r.text, r.text
    chair.command("/plan", 'meeting add 2020-01-20 10:00 host:"Metropolitan Police" theme:"Community safety"')
    chair.command("/plan", 'item add 2019-10-10 "LSP Annual Report" lead:"LB Ealing" kind:decision')
    chair.command("/plan", 'item add 2019-10-10 "Youth offer" lead:"Ealing PCT"')
    chair.command("/plan", 'standing add "Partnership risks" lead:"Metropolitan Police" from:2019-10-10')

    def export(name: str) -> list[str]:
        done = run_lspbot(["plan", "export", "--format", "csv", "--board", name], server.env)
        assert done.returncode == 0, done.stderr
        return done.stdout.splitlines()

    def import_(name: str, lines: list[str]) -> str:
        csv_file = tmp_path / "plan.csv"
        csv_file.write_text("\n".join(lines) + "\n")
        done = run_lspbot(["plan", "import", str(csv_file), "--board", name], server.env)
        assert done.returncode == 0, done.stderr
        return done.stdout

    exported = export(board.name)
    assert exported == [
        "ref,date,time,item,lead,kind,venue,host,theme",
        'P1,2019-10-10,10:00,LSP Annual Report,LB Ealing,for decision,Perceval House,LB Ealing,'
        '"Skills, jobs and the high street"',
        'P2,2019-10-10,10:00,Youth offer,Ealing PCT,for discussion,Perceval House,LB Ealing,'
        '"Skills, jobs and the high street"',
        ",2020-01-20,10:00,,,,TBC,Metropolitan Police,Community safety",
        'S1,2019-10-10,,Partnership risks,Metropolitan Police,"standing item, every meeting",,,',
    ]

    # Export then import into another board gives back the same plan, host and theme included.
    copy = f"Copy {board.name}"
    r = board.admin.command("/lsp", f'board create "{copy}" chair:<@{board.chair.user_id}|chair>',
                            channel_id=board.channel_id + "X")
    assert "now runs in this channel" in r.text, r.text
    assert "2 meetings added" in import_(copy, exported)
    assert export(copy) == exported
    hosts = db_rows(server.database_url, "SELECT m.date, o.name, m.theme FROM meetings m JOIN boards b ON "
                    "b.id = m.board_id LEFT JOIN organisations o ON o.id = m.host_organisation_id "
                    "WHERE b.name = :n ORDER BY m.date", n=copy)
    assert [(str(d)[:10], h, t) for d, h, t in hosts] == [
        ("2019-10-10", "LB Ealing", "Skills, jobs and the high street"),
        ("2020-01-20", "Metropolitan Police", "Community safety")]

    # An item moved to another date in the spreadsheet is moved on import, not duplicated; its ref stays.
    edited = [exported[0], exported[1],
              exported[2].replace("P2,2019-10-10,10:00,Youth offer", "P2,2020-01-20,10:00,Youth offer")
                         .replace("Perceval House,LB Ealing,\"Skills, jobs and the high street\"",
                                  "TBC,Metropolitan Police,Community safety"),
              exported[4]]
    before = plan_counts(server, board)
    out = import_(board.name, edited)
    assert "0 items added, 0 changed, 1 moved to another meeting, 1 already there" in out, out
    assert plan_counts(server, board)[:2] == before[:2]
    assert export(board.name) == [
        exported[0], exported[1],
        "P2,2020-01-20,10:00,Youth offer,Ealing PCT,for discussion,TBC,Metropolitan Police,Community safety",
        exported[4]]
    r = chair.command("/plan", "all")
    sections = [b["text"]["text"] for b in r.json()["blocks"] if b["type"] == "section"]
    assert [s.split("*")[1] for s in sections if "Youth offer" in s] == ["Monday 20 January 2020"], sections
    # Importing the same file again changes nothing; a retitled row with its ref renames the item.
    assert "0 items added, 0 changed, 2 already there" in import_(board.name, edited)
    assert "0 items added, 1 changed, 1 already there" in import_(
        board.name, [line.replace("Youth offer", "Youth offer 2020") for line in edited])
    assert plan_counts(server, board)[:2] == before[:2]
    # A ref whose row changes both the title and the date is not taken for that item.
    csv_file = tmp_path / "both.csv"
    csv_file.write_text("ref,date,item\nP1,2020-01-20,Something else\n")
    done = run_lspbot(["plan", "import", str(csv_file), "--board", board.name], server.env)
    assert done.returncode == 1 and "row 2, column ref: P1 is “LSP Annual Report” on 2019-10-10 here" in done.stderr

    # A file from before the ref, host and theme columns still goes in, matched by title.
    csv_file.write_text("date,time,item,lead,kind,venue\n"
                        "2019-10-10,10:00,LSP Annual Report,LB Ealing,for decision,Perceval House\n"
                        "2019-10-10,10:00,Borough Plan update,LB Ealing,for information,Perceval House\n")
    done = run_lspbot(["plan", "import", str(csv_file), "--board", board.name], server.env)
    assert done.returncode == 0 and "0 meetings added, 0 changed; 1 items added, 0 changed, 1 already there" \
        in done.stdout, done.stdout + done.stderr
    assert "P3,2019-10-10,10:00,Borough Plan update,LB Ealing,for information,Perceval House,LB Ealing," \
           '"Skills, jobs and the high street"' in export(board.name)
