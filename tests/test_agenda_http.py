"""/agenda end to end: proposals and the chair's buttons, drafts (Block Kit, Word, Markdown) and publication,
through signed requests to `lspbot serve` and the fake Slack."""

from __future__ import annotations

import io
import json
from pathlib import Path

import docx

from tests.support.databases import db_rows
from tests.support.delivery import sent_message
from tests.support.fake_slack import FakeSlack
from tests.support.server import BoardFixture, DemoRun, ServerProcess, load_plan, run_lspbot, sql
from tests.support.slack_requests import blocks_text
from tests.support.slack_ui import click, posts_to
from tests.support.waiting import wait_until


def proposal_row(server: ServerProcess, board: BoardFixture, ref: int) -> tuple:
    return db_rows(server.database_url,
                   "SELECT p.id, p.status, p.decline_reason, m.slack_user_id, p.decided_at FROM agenda_proposals p "
                   "JOIN boards b ON b.id = p.board_id LEFT JOIN members m ON m.id = p.decided_by_id "
                   "WHERE b.channel_id = :c AND p.ref = :r", c=board.channel_id, r=ref)[0]


def test_member_proposes_chair_approves_with_the_button(server, board, fake_slack: FakeSlack):
    board.chair.command("/plan", "meeting add 2019-10-10 10:00")
    r = board.alice.command("/agenda", 'add "Joint apprenticeship programme" lead:"Ealing PCT/DWP"')
    assert r.status == 200 and "Proposed A1" in r.text and "Thursday 10 October 2019" in r.text
    pid = proposal_row(server, board, 1)[0]
    dm = posts_to(fake_slack, "D" + board.chair.user_id[1:])[0]
    blocks = json.loads(dm.params["blocks"]) if isinstance(dm.params["blocks"], str) else dm.params["blocks"]
    buttons = [e for b in blocks if b["type"] == "actions" for e in b["elements"]]
    assert [(b["action_id"], b["value"]) for b in buttons] == [("agenda_approve", str(pid)), ("agenda_decline", str(pid))]
    assert "Joint apprenticeship programme" in blocks_text({"blocks": blocks})
    channel, ts = sent_message(server, f"agenda-proposal:{pid}:{board.chair.user_id}")
    fake_slack.reset()

    response_url = fake_slack.url + "response/approve"
    r = click(board.chair, "agenda_approve", str(pid), channel=channel, ts=ts, response_url=response_url)
    assert r.status == 200
    status, reason, decided_by, decided_at = proposal_row(server, board, 1)[1:]
    assert (status, reason, decided_by) == ("approved", None, board.chair.user_id)
    update = fake_slack.wait_for("chat.update")[0]
    assert (update.params["channel"], update.params["ts"]) == (channel, ts)
    assert "Approved" in update.params["text"] + str(update.params["blocks"])
    assert "agenda_approve" not in str(update.params["blocks"])  # the buttons are gone
    to_alice = posts_to(fake_slack, "D" + board.alice.user_id[1:])
    assert "was approved" in str(to_alice[0].params["blocks"])
    answer = fake_slack.wait_for("response/approve")[0]
    assert "Approved A1" in answer.params["text"]

    # A stale click (the same button again) changes nothing and answers politely.
    fake_slack.reset()
    r = click(board.chair, "agenda_approve", str(pid), channel=channel, ts=ts, response_url=response_url)
    assert r.status == 200
    assert proposal_row(server, board, 1)[1:] == (status, reason, decided_by, decided_at)
    assert "was approved by chair a moment ago, so nothing has changed" in fake_slack.wait_for("response/approve")[0].params["text"]
    assert fake_slack.wait_for("chat.update")[0].params["ts"] == ts

    # Everyone on the board sees every proposal and its status.
    r = board.bob.command("/agenda", "proposals")
    assert "Joint apprenticeship programme" in r.text and "*approved*" in r.text


def test_decline_asks_for_a_reason_in_a_modal_and_keeps_it(server, board, fake_slack: FakeSlack):
    board.chair.command("/plan", "meeting add 2019-10-10 10:00")
    board.bob.command("/agenda", 'add "Knife crime briefing" lead:"Metropolitan Police"')
    pid = proposal_row(server, board, 1)[0]
    channel, ts = sent_message(server, f"agenda-proposal:{pid}:{board.chair.user_id}")
    fake_slack.reset()
    r = click(board.chair, "agenda_decline", str(pid), channel=channel, ts=ts,
              response_url=fake_slack.url + "response/decline")
    assert r.status == 200
    opened = fake_slack.wait_for("views.open")[0]
    view = json.loads(opened.params["view"]) if isinstance(opened.params["view"], str) else opened.params["view"]
    assert view["callback_id"] == "agenda_decline_modal" and "Knife crime briefing" in json.dumps(view)
    assert proposal_row(server, board, 1)[1] == "pending"

    def submit(reason: str):
        return board.chair.interact({
            "type": "view_submission", "team": {"id": "T0LSP"}, "api_app_id": "A0LSP", "token": "x",
            "user": {"id": board.chair.user_id, "username": "chair"}, "trigger_id": "1.2.3",
            "view": {"id": "V1", "type": "modal", "callback_id": view["callback_id"],
                     "private_metadata": view["private_metadata"],
                     "state": {"values": {"reason": {"reason": {"type": "plain_text_input", "value": reason}}}}},
        })

    r = submit("   ")
    assert r.status == 200 and r.json()["response_action"] == "errors" and "reason" in r.json()["errors"]
    assert proposal_row(server, board, 1)[1] == "pending"
    r = submit("Covered by the community safety theme in January")
    assert r.status == 200 and not r.body.strip()  # the modal closes
    assert proposal_row(server, board, 1)[1:3] == ("declined", "Covered by the community safety theme in January")
    update = fake_slack.wait_for("chat.update")[0]
    assert update.params["ts"] == ts and "Covered by the community safety theme" in str(update.params["blocks"])
    r = board.alice.command("/agenda", "proposals")
    assert "*declined*" in r.text and "Covered by the community safety theme in January" in r.text

    # The command works too, and refuses without a reason.
    board.alice.command("/agenda", 'add "Youth apprenticeships"')
    r = board.chair.command("/agenda", "decline A2")
    assert "Say why" in r.text and proposal_row(server, board, 2)[1] == "pending"
    r = board.chair.command("/agenda", "decline A2 Already on the plan for March")
    assert "Declined A2" in r.text
    assert proposal_row(server, board, 2)[1:3] == ("declined", "Already on the plan for March")
    r = board.alice.command("/agenda", "approve A2")
    assert "Not allowed" in r.text


def _texts(document: docx.document.Document) -> list[tuple[str, str]]:
    return [(p.style.name, p.text) for p in document.paragraphs if p.text.strip()]


def test_draft_has_the_agreed_order_and_content(server, board, fake_slack: FakeSlack, tmp_path: Path):
    load_plan(server, board, tmp_path)
    chair = board.chair
    # Actions raised the day after the 15 July meeting belong to it; one more is older and still open.
    chair.command("/action", f"add Circulate the Northolt recommendations <@{board.bob.user_id}|bob> by Friday")
    chair.command("/action", f"add Map support for young people <@{board.alice.user_id}|alice> by 2019-09-30")
    board.alice.command("/action", "update #2 Met the youth service; mapping half done")
    chair.command("/action", "done #1 Sent to all partners")
    chair.command("/action", f"add Review the venue rota <@{board.secretary.user_id}|secretary> by 2019-08-01")
    sql(server, "UPDATE actions SET meeting_id = NULL, due_date = :d WHERE ref = 3 AND board_id = "
        "(SELECT id FROM boards WHERE channel_id = :c)", d="2019-07-01", c=board.channel_id)
    chair.command("/plan", 'standing add "Safeguarding report" lead:"Metropolitan Police"')
    board.alice.command("/agenda", 'add "Joint apprenticeship programme" lead:"Ealing PCT"')
    board.bob.command("/agenda", 'add "A declined idea"')
    chair.command("/agenda", "approve A1")
    chair.command("/agenda", "decline A2 Not this time")
    fake_slack.reset()

    r = chair.command("/agenda", "draft")
    assert r.status == 200 and r.json()["response_type"] == "ephemeral"
    t = r.text
    order = ["1. Welcome and apologies", "2. Partner updates", "3. Minutes and matters arising: review of actions",
             "4. LSP Annual Report for Scrutiny", "5. Future policy 'theme' setting",
             "6. Joint apprenticeship programme", "7. Borough Plan Performance Update", "8. Safeguarding report",
             "9. Any other business", "10. Date of next meeting"]
    positions = [t.index(s) for s in order]
    assert positions == sorted(positions), t
    assert "Thursday 10 October 2019" in t and "Time: 10:00" in t and "Venue: TBC" in t
    assert "No partner updates received yet from: Ealing PCT, LB Ealing, Metropolitan Police." in t
    assert "Actions raised at the meeting of Monday 15 July 2019: 2." in t
    assert "Open actions in all: 2, of which 1 overdue." in t
    assert "Review the venue rota" in t and "OVERDUE by 15 days" in t
    assert "Met the youth service; mapping half done" in t
    assert "Ealing PCT · _for discussion_ · Proposed by alice" in t
    assert "A declined idea" not in t
    assert "Monday 20 January 2020, 10:00, TBC" in t
    actions = [e for b in r.json()["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert [a["action_id"] for a in actions] == ["agenda_publish", "agenda_regenerate"]

    # The Word document and the Markdown go to the chair's DM: built after the ack, queued in the outbox;
    # read back exactly the bytes that are sent.
    def queued_files() -> dict[str, bytes]:
        rows = db_rows(server.database_url, "SELECT payload FROM outbox WHERE target = :u AND target_kind = 'user' "
                       "ORDER BY id", u=chair.user_id)
        return {p["filename"]: bytes.fromhex(p["content_hex"]) for p in
                (json.loads(x[0]) if isinstance(x[0], str) else x[0] for x in rows)
                if p.get("_method") == "files.upload"}

    stem = "-".join(board.name.lower().split()) + "-agenda-2019-10-10"
    wait_until(lambda: len(queued_files()) >= 2, what="the agenda's files in the outbox")
    files = queued_files()
    assert set(files) == {f"{stem}.docx", f"{stem}.md"}
    document = docx.Document(io.BytesIO(files[f"{stem}.docx"]))
    paragraphs = _texts(document)
    assert paragraphs[0] == ("Title", board.name)
    assert paragraphs[1] == ("Heading 1", "Draft agenda — Thursday 10 October 2019")
    assert ("Normal", "Time: 10:00") in paragraphs and ("Normal", "Venue: TBC") in paragraphs
    headings = [text for style, text in paragraphs if style == "Heading 2"]
    assert headings == [s.replace(". ", ".  ", 1) for s in order]
    after = paragraphs.index(("Heading 2", "4.  LSP Annual Report for Scrutiny"))
    assert paragraphs[after + 1] == ("Normal", "Lead: LB Ealing  ·  For decision")
    table = document.tables[0]
    cells = [[c.text for c in row.cells] for row in table.rows]
    assert cells[0] == ["#", "Action", "Owner", "Due", "Status", "Last progress note"]
    assert cells[1] == ["1", "Circulate the Northolt recommendations", "bob (Metropolitan Police)", "Fri 19 Jul 2019",
                        "done (raised last meeting)", "Sent to all partners"]
    assert cells[2][:2] == ["2", "Map support for young people"] and cells[2][5] == "Met the youth service; mapping half done"
    assert cells[3][1] == "Review the venue rota" and cells[3][4] == "OVERDUE by 15 days"
    markdown = files[f"{stem}.md"].decode()
    assert markdown.index("### 1. Welcome and apologies") < markdown.index("### 6. Joint apprenticeship programme") \
        < markdown.index("### 10. Date of next meeting")
    assert "| 3 | Review the venue rota |" in markdown and "**OVERDUE by 15 days**" in markdown

    # `lspbot agenda draft` writes the same documents without Slack; bad input exits 2 with the reason.
    out = tmp_path / "cli-agenda"
    done = run_lspbot(["agenda", "draft", "--board", board.name, "--date", "2019-10-10", "--out", str(out)],
                      server.env, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in out.iterdir()) == [f"{stem}.docx", f"{stem}.md"]
    assert _texts(docx.Document(str(out / f"{stem}.docx")))[:2] == paragraphs[:2]
    cli_markdown = (out / f"{stem}.md").read_text()
    assert cli_markdown.index("### 1. Welcome and apologies") < cli_markdown.index("### 10. Date of next meeting")
    assert "| 3 | Review the venue rota |" in cli_markdown
    for args, reason in ((["--board", "No Such Board"], "no board"), (["--date", "2019-10-11"], "no meeting"),
                         (["--date", "tomorrow-ish"], "date")):
        done = run_lspbot(["agenda", "draft", "--board", board.name, *args, "--out", str(out)], server.env,
                          cwd=tmp_path)
        assert done.returncode == 2 and reason in done.stderr.lower(), (args, done.stderr)


def test_publish_records_the_version_and_later_drafts_show_changes(server, board, fake_slack: FakeSlack):
    chair = board.chair
    chair.command("/plan", "meeting add 2019-10-10 10:00")
    chair.command("/plan", 'item add 2019-10-10 "LSP Annual Report for Scrutiny" lead:"LB Ealing" kind:decision')
    r = board.alice.command("/agenda", "publish")
    assert "Not allowed" in r.text
    r = board.secretary.command("/agenda", "publish")
    assert "Published version 1" in r.text and f"<#{board.channel_id}>" in r.text
    posted = posts_to(fake_slack, board.channel_id)
    blocks = json.loads(posted[0].params["blocks"]) if isinstance(posted[0].params["blocks"], str) \
        else posted[0].params["blocks"]
    text = blocks_text({"blocks": blocks})
    assert "Agenda v1" in text and "LSP Annual Report for Scrutiny" in text
    # In the channel, no Publish / Regenerate: only each member's reply to whether they are coming.
    assert [e["action_id"] for b in blocks if b["type"] == "actions" for e in b["elements"]] == [
        "meeting_attending", "meeting_apologies", "meeting_substitute"]
    rows = db_rows(server.database_url, "SELECT p.version, p.published_by, p.markdown FROM agenda_publications p "
                   "JOIN boards b ON b.id = p.board_id WHERE b.channel_id = :c", c=board.channel_id)
    assert rows[0][:2] == (1, board.secretary.user_id) and "# " + board.name in rows[0][2]
    r = chair.command("/agenda", "publish")
    assert "was published by secretary a moment ago, and nothing has changed since" in r.text

    r = chair.command("/agenda", "draft")
    assert "Nothing has changed since version 1" in r.text
    chair.command("/plan", 'item add 2019-10-10 "Future policy theme setting" lead:"LSP Executive"')
    chair.command("/plan", 'meeting add 2019-10-10 venue:"Southall Town Hall"')
    r = chair.command("/agenda", "draft 10 October 2019")
    assert "Changed since version 1" in r.text
    assert "Venue changed from TBC to Southall Town Hall." in r.text
    assert "Added: 5. Future policy theme setting (LSP Executive)." in r.text
    r = chair.command("/agenda", "publish 2019-10-10")
    assert "Published version 2" in r.text
    versions = db_rows(server.database_url, "SELECT count(*) FROM agenda_publications p JOIN boards b "
                       "ON b.id = p.board_id WHERE b.channel_id = :c", c=board.channel_id)[0][0]
    assert versions == 2


def test_publish_and_regenerate_buttons(server, board, fake_slack: FakeSlack):
    chair = board.chair
    chair.command("/plan", "meeting add 2019-10-10 10:00")
    r = chair.command("/agenda", "draft")
    buttons = {e["action_id"]: e["value"] for b in r.json()["blocks"] if b["type"] == "actions" for e in b["elements"]}
    meeting_value = buttons["agenda_regenerate"]
    chair.command("/plan", 'item add 2019-10-10 "Added after the draft" lead:"LB Ealing"')
    fake_slack.reset()
    response_url = fake_slack.url + "response/draft"
    r = click(chair, "agenda_regenerate", meeting_value, channel=board.channel_id, ts="1563265800.000200",
              response_url=response_url)
    assert r.status == 200
    replaced = fake_slack.wait_for("response/draft")[0]
    assert replaced.params["replace_original"] is True
    assert "Added after the draft" in blocks_text(replaced.params)
    fake_slack.wait_for("files.completeUploadExternal")  # the fresh documents go to the chair's DM

    r = click(board.alice, "agenda_publish", meeting_value, channel=board.channel_id, ts="1563265800.000200",
              response_url=fake_slack.url + "response/alice")
    assert "Not allowed" in fake_slack.wait_for("response/alice")[0].params["text"]
    r = click(chair, "agenda_publish", meeting_value, channel=board.channel_id, ts="1563265800.000200",
              response_url=fake_slack.url + "response/publish")
    assert "Published version 1" in fake_slack.wait_for("response/publish")[0].params["text"]
    posted = posts_to(fake_slack, board.channel_id)
    assert "Added after the draft" in str(posted[0].params["blocks"])


def test_agenda_bad_input_and_permissions_write_nothing(server, board):
    def counts() -> tuple:
        return db_rows(server.database_url, "SELECT (SELECT count(*) FROM agenda_proposals), "
                       "(SELECT count(*) FROM agenda_publications), (SELECT count(*) FROM audit_log)")[0]

    r = board.alice.command("/agenda", 'add "Too early"')
    assert "no meeting planned" in r.text
    board.chair.command("/plan", "meeting add 2019-10-10 10:00")
    before = counts()
    cases = [
        (board.alice, 'add ""', "The title is empty"),
        (board.alice, 'add "Item" for:2019-12-25', "no meeting on Wednesday 25 December 2019"),
        (board.alice, 'add "Item" for:someday', "couldn't read “someday”"),
        (board.outsider, 'add "Outside item"', "not a member"),
        (board.outsider, "proposals", "not a member"),
        (board.alice, "draft", "Not allowed"),
        (board.bob, "publish", "Not allowed"),
        (board.chair, "draft 2019-12-25", "no meeting on Wednesday 25 December 2019"),
        (board.chair, "approve A9", "no proposal A9"),
        (board.chair, "approve X", "not a proposal reference"),
        (board.chair, "frobnicate", "not a command I know"),
    ]
    for user, command, expected in cases:
        r = user.command("/agenda", command)
        assert r.status == 200 and expected in r.text, (command, r.text)
    assert counts() == before


def test_demo_shows_the_plan_a_proposal_and_leaves_the_agenda_documents(demo: DemoRun):
    done = demo.done
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "Monday 30 March 2020" in out and "New Vice Chair — LSP Executive Chair" in out
    # The slide's Borough Plan Performance Update is one standing item on the board, at every meeting from October.
    plan = out[out.index("/plan all"):out.index("/agenda add")]
    assert "standing items declared: Borough Plan Performance Update (from 2019-10-10, every meeting)" in out
    meetings = plan.split("\n*")[1:]
    assert [m.split("*")[0] for m in meetings] == ["Thursday 10 October 2019", "Monday 20 January 2020",
                                                   "Monday 30 March 2020", "Monday 13 July 2020",
                                                   "Monday 16 November 2020"]
    assert all("• Borough Plan Performance Update — LB Ealing · _standing item_ `S1`" in m for m in meetings)
    assert plan.count("Borough Plan Performance Update") == 5 and "`S` items are standing items" in plan
    assert "Approved A1 “Community hubs in Southall”" in out
    assert "6. Community hubs in Southall" in out
    assert "*7. Borough Plan Performance Update* — LB Ealing · _standing item_" in out
    folder = demo.folder
    assert f"The chair's agenda draft is in {folder}" in out
    document = docx.Document(str(folder / "lsp-executive-agenda-2019-10-10.docx"))
    headings = [p.text for p in document.paragraphs if p.style.name == "Heading 2"]
    assert headings[0] == "1.  Welcome and apologies" and "6.  Community hubs in Southall" in headings
    assert headings[-1] == "9.  Date of next meeting"
    assert "### 4. LSP Annual Report for Scrutiny" in (folder / "lsp-executive-agenda-2019-10-10.md").read_text()
