"""Papers end to end over HTTP against `lspbot serve` and the fake Slack: `/agenda paper P1` opens the form, its
file (Slack's file input) is fetched after the ack with the bot's token (files.info, url_private), checked, stored
as a version and confirmed by DM with its name, size and pages; the shortcut "Attach as paper…" on a message with a
file; the command line with a real PDF and a real Word file; and the refusals (wrong type, too large, an item
needing no paper), each storing nothing. The server's clock reads Tuesday 16 July 2019."""

from __future__ import annotations

import io
import json
from typing import Any

import docx
from reportlab.pdfgen import canvas

from tests.support.databases import db_rows
from tests.support.fake_slack import FakeSlack
from tests.support.server import BoardFixture, ServerProcess, run_lspbot
from tests.support.slack_requests import SlackUser
from tests.support.slack_ui import block, dm_containing, errors, submit_view
from tests.support.waiting import wait_until

MESSAGE_TS = "1563265000.000200"


def pdf(pages: int, *, pad: int = 0) -> bytes:
    """A real PDF of `pages` pages (`pad` bytes of comment after it to make it larger)."""
    out = io.BytesIO()
    page = canvas.Canvas(out)
    for n in range(pages):
        page.drawString(72, 720, f"Skills strategy, page {n + 1}")
        page.showPage()
    page.save()
    return out.getvalue() + (b"\n%" + b"x" * pad if pad else b"")


def word() -> bytes:
    document = docx.Document()
    document.add_heading("Report for Executive Board", 1)
    document.add_paragraph("Purpose of report: the skills strategy.")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def plan_with_papers(board: BoardFixture) -> None:
    """The meeting of 10 October with P1 needing alice's paper and P2 needing none."""
    for text in ("meeting add 2019-10-10 10:00",
                 f'item add 2019-10-10 "Skills strategy" lead:"LB Ealing" paper:yes author:<@{board.alice.user_id}|alice>',
                 'item add 2019-10-10 "Any other business" lead:"LB Ealing"'):
        r = board.chair.command("/plan", text)
        assert r.status == 200 and ("added" in r.text or "Meeting" in r.text), r.text


def papers_of(server: ServerProcess, board: BoardFixture) -> list[tuple]:
    """(item ref, version, filename, content type, size, pages, submitted by, late) of the board's papers."""
    return db_rows(server.database_url,
                   "SELECT i.ref, p.version, p.filename, p.content_type, p.size, p.pages, p.submitted_by, p.late "
                   "FROM papers p JOIN plan_items i ON i.id = p.plan_item_id JOIN boards b ON b.id = p.board_id "
                   "WHERE b.channel_id = :c ORDER BY i.ref, p.version", c=board.channel_id)


def file_state(file: dict[str, Any]) -> dict[str, Any]:
    """The state of the form's file input with `file` uploaded on it, as Slack submits it."""
    return {"paper_file": {"paper_file": {"type": "file_input", "files": [file]}}}


def opened_form(fake: FakeSlack, user: SlackUser) -> dict[str, Any]:
    def found() -> dict[str, Any] | None:
        for call in fake.calls("views.open"):
            view = call.params["view"]
            view = json.loads(view) if isinstance(view, str) else view
            if view.get("callback_id") == "paper_upload_modal":
                return view
        return None

    return wait_until(found, 10, interval=0.02, what="the paper form")


def test_a_paper_sent_through_the_form_is_fetched_stored_and_confirmed(server: ServerProcess, board: BoardFixture,
                                                                        fake_slack: FakeSlack) -> None:
    plan_with_papers(board)
    r = board.alice.command("/agenda", "paper P1")
    assert r.status == 200 and not r.body.strip(), r.text  # the form opened, nothing else said
    form = opened_form(fake_slack, board.alice)
    element = block(form, "paper_file")["element"]
    assert (element["type"], element["filetypes"], element["max_files"]) == ("file_input", ["pdf", "docx", "doc"], 1)
    assert "paper due by Friday 27 September 2019" in json.dumps(form)  # 10 Oct: published 2 Oct, due 3 working days before

    first = fake_slack.add_file("Skills strategy.pdf", pdf(3), "application/pdf")
    r = submit_view(board.alice, form, file_state(first))
    assert r.status == 200 and not r.body.strip()
    dm = dm_containing(fake_slack, board.alice, "Paper received for P1")
    text = json.dumps(dm["blocks"])
    assert "Skills strategy.pdf" in text and "3 pages" in text and "version 1" in text and " KB" in text
    download = [c for c in fake_slack.calls("files-pri") if c.params["file"] == first["id"]]
    assert download and download[0].params["_auth"].startswith("Bearer xoxb-")
    assert any(c.params.get("file") == first["id"] for c in fake_slack.calls("files.info"))

    second = fake_slack.add_file("Skills strategy v2.pdf", pdf(4), "application/pdf")
    submit_view(board.alice, form, file_state(second))
    dm_containing(fake_slack, board.alice, "replaces version 1")
    rows = papers_of(server, board)
    assert [(ref, v, name, kind, pages, by, late) for ref, v, name, kind, _, pages, by, late in rows] == [
        (1, 1, "Skills strategy.pdf", "application/pdf", 3, board.alice.user_id, False),
        (1, 2, "Skills strategy v2.pdf", "application/pdf", 4, board.alice.user_id, False)]
    assert fake_slack.invalid() == []


def test_bad_papers_are_refused_and_nothing_is_stored(server: ServerProcess, board: BoardFixture,
                                                      fake_slack: FakeSlack) -> None:
    plan_with_papers(board)
    board.alice.command("/agenda", "paper P1")
    form = opened_form(fake_slack, board.alice)
    # by its name, on the form itself
    notes = fake_slack.add_file("notes.txt", b"just some notes", "text/plain")
    assert "not a PDF or a Word document" in errors(submit_view(board.alice, form, file_state(notes)))["paper_file"]
    # named as a PDF but not one: found out after the download, told by DM
    fake = fake_slack.add_file("report.pdf", b"<html>not a pdf</html>", "application/pdf")
    assert submit_view(board.alice, form, file_state(fake)).status == 200
    told = dm_containing(fake_slack, board.alice, "its content is not one")
    assert "Nothing was stored" in json.dumps(told["blocks"])
    # larger than the board accepts
    assert "paper_max_mb" in board.chair.command("/lsp", "board set paper_max_mb 1").text
    large = fake_slack.add_file("large.pdf", pdf(1, pad=1_500_000), "application/pdf")
    assert "larger than the 1 MB" in errors(submit_view(board.alice, form, file_state(large)))["paper_file"]
    # an item needing no paper; someone who is not its author
    assert "needs no paper" in board.alice.command("/agenda", "paper P2").text
    assert "Only alice (the paper's author)" in board.bob.command("/agenda", "paper P1").text
    assert papers_of(server, board) == []


def test_attach_as_paper_on_a_message_with_a_file(server: ServerProcess, board: BoardFixture,
                                                  fake_slack: FakeSlack) -> None:
    plan_with_papers(board)
    file = fake_slack.add_file("Skills.pdf", pdf(2), "application/pdf")
    r = board.alice.interact({
        "type": "message_action", "callback_id": "paper_attach", "token": "x", "action_ts": "1563265800.1",
        "team": {"id": "T0LSP", "domain": "lsp"}, "api_app_id": "A0LSP",
        "user": {"id": board.alice.user_id, "name": "alice"},
        "channel": {"id": board.channel_id, "name": "board"}, "message_ts": MESSAGE_TS,
        "message": {"type": "message", "user": board.alice.user_id, "ts": MESSAGE_TS, "text": "Our paper",
                    "files": [file]},
        "response_url": fake_slack.url + "response/paper",
    })
    assert r.status == 200 and not r.body.strip()
    form = opened_form(fake_slack, board.alice)
    options = block(form, "paper_item")["element"]["options"]
    assert [o["text"]["text"] for o in options] == ["P1 · Thu 10 Oct 2019 · Skills strategy"]  # P2 needs none
    r = submit_view(board.alice, form, {"paper_item": {"paper_item": {
        "type": "static_select", "selected_option": {"text": {"type": "plain_text", "text": "P1"},
                                                     "value": options[0]["value"]}}}})
    assert r.status == 200 and not r.body.strip()
    assert "2 pages" in json.dumps(dm_containing(fake_slack, board.alice, "Paper received for P1")["blocks"])
    assert [(ref, v, name, pages) for ref, v, name, _, _, pages, _, _ in papers_of(server, board)] == [
        (1, 1, "Skills.pdf", 2)]
    assert fake_slack.calls("chat.getPermalink") == []  # the paper form keeps no link to the message


def test_the_command_line_stores_a_pdf_and_a_word_paper(server: ServerProcess, board: BoardFixture, tmp_path) -> None:
    """`lspbot agenda paper`: a PDF, then a Word version (its own page count), then a file that is neither."""
    plan_with_papers(board)
    paper = tmp_path / "skills.pdf"
    paper.write_bytes(pdf(5))
    done = run_lspbot(["agenda", "paper", "--board", board.name, "--item", "P1", str(paper)], server.env)
    assert done.returncode == 0, done.stderr
    assert "P1 paper version 1 stored: skills.pdf" in done.stdout and "5 pages" in done.stdout
    report = tmp_path / "skills.docx"
    report.write_bytes(word())
    done = run_lspbot(["agenda", "paper", "--board", board.name, "--item", "P1", str(report)], server.env)
    assert done.returncode == 0, done.stderr
    assert "version 2 stored: skills.docx" in done.stdout
    wrong = tmp_path / "skills.txt"
    wrong.write_text("not a paper")
    refused = run_lspbot(["agenda", "paper", "--board", board.name, "--item", "P1", str(wrong)], server.env)
    assert refused.returncode == 1 and "not a PDF or a Word document" in refused.stderr
    rows = papers_of(server, board)
    assert [(v, name, by) for _, v, name, _, _, _, by, _ in rows] == [(1, "skills.pdf", "cli"), (2, "skills.docx", "cli")]
    assert rows[1][3] == "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    assert rows[1][5] == 1  # Word's own count of its pages (docProps/app.xml)
