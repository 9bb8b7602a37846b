"""The agenda and documents as the board's record, end to end (signed requests to `lspbot serve`, the fake Slack):
every Word document's page and properties; what counts as a change since publication; a past meeting's agenda;
the published agenda's Word document in the channel; the action review's notes; the reports' history."""

from __future__ import annotations

import io

import docx
from docx.oxml.ns import qn

from tests.support.databases import db_rows
from tests.support.delivery import queued_files
from tests.support.fake_slack import FakeSlack
from tests.support.server import BoardFixture, ServerProcess, sql
from tests.support.slack_ui import click
from tests.support.waiting import wait_until


def word_files(server: ServerProcess, target: str, count: int) -> dict[str, docx.document.Document]:
    """The Word documents queued for `target`, once `count` of them are there."""
    wait_until(lambda: sum(n.endswith(".docx") for n in queued_files(server, target)) >= count,
               what=f"{count} Word documents for {target}")
    return {name: docx.Document(io.BytesIO(content)) for name, content in queued_files(server, target).items()
            if name.endswith(".docx")}


def assert_council_page(document: docx.document.Document, board: BoardFixture) -> None:
    """A4 portrait with 2.54 cm margins, the board's name as title and lspbot as author, page numbers in the footer."""
    section = document.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)
    margins = (section.left_margin, section.right_margin, section.top_margin, section.bottom_margin)
    assert [round(m.mm, 1) for m in margins] == [25.4] * 4
    assert document.core_properties.title == board.name
    assert document.core_properties.author == "lspbot"
    fields = [f.get(qn("w:instr")).strip() for f in section.footer._element.iter(qn("w:fldSimple"))]
    assert fields == ["PAGE", "NUMPAGES"]


def test_every_word_document_is_a4_with_council_margins_title_author_and_page_numbers(
        server, board, fake_slack: FakeSlack):
    board.chair.command("/plan", "meeting add 2019-10-10 10:00")
    board.chair.command("/agenda", "draft")
    board.alice.command("/lsp", "report quarter 2019-Q1")
    board.chair.command("/lsp", "report annual 2019")
    chair_docs = word_files(server, board.chair.user_id, 2)
    alice_docs = word_files(server, board.alice.user_id, 1)
    assert len(chair_docs) == 2 and len(alice_docs) == 1
    for document in [*chair_docs.values(), *alice_docs.values()]:
        assert_council_page(document, board)


def review_table(document: docx.document.Document) -> dict[str, list[str]]:
    """The action review's rows by action number: each cell's text."""
    return {row.cells[0].text: [c.text for c in row.cells] for row in document.tables[0].rows[1:]}


def test_last_progress_note_is_a_persons_and_system_events_are_shown_as_events(server, board, fake_slack: FakeSlack):
    chair = board.chair
    chair.command("/plan", "meeting add 2019-10-10 10:00")
    chair.command("/action", f"add Map support for young people <@{board.alice.user_id}|alice> by 2019-09-30")
    board.alice.command("/action", "update #1 Met the youth service; mapping half done")
    chair.command("/action", f"reassign #1 <@{board.bob.user_id}|bob>")
    chair.command("/action", "due #1 2019-11-15")
    r = chair.command("/agenda", "draft")
    assert "Met the youth service; mapping half done" in r.text
    assert "Due date changed from 30 Sep 2019 to 15 Nov 2019" in r.text
    stem = "-".join(board.name.lower().split()) + "-agenda-2019-10-10"
    document = word_files(server, chair.user_id, 1)[f"{stem}.docx"]
    note_cell = review_table(document)["1"][5].split("\n")
    assert note_cell == ["Met the youth service; mapping half done",
                         "16 Jul 2019: Reassigned from alice to bob",
                         "16 Jul 2019: Due date changed from 30 Sep 2019 to 15 Nov 2019"]
    markdown = queued_files(server, chair.user_id)[f"{stem}.md"].decode()
    assert ("| Met the youth service; mapping half done<br>_16 Jul 2019: Reassigned from alice to bob_"
            "<br>_16 Jul 2019: Due date changed from 30 Sep 2019 to 15 Nov 2019_ |") in markdown


def move_meeting_to(server: ServerProcess, board: BoardFixture, old: str, new: str) -> None:
    """Move a meeting to another day (into the past: what no command does), its time left unset."""
    sql(server, "UPDATE meetings SET date = :new, starts_at = NULL WHERE date = :old AND board_id = "
        "(SELECT id FROM boards WHERE channel_id = :c)", new=new, old=old, c=board.channel_id)


def test_annual_report_items_taken_include_approved_proposals_on_the_published_agenda(
        server, board, fake_slack: FakeSlack):
    chair = board.chair
    chair.command("/plan", "meeting add 2019-10-10 10:00")
    chair.command("/plan", 'item add 2019-10-10 "LSP Annual Report for Scrutiny" lead:"LB Ealing" kind:decision')
    board.alice.command("/agenda", 'add "Joint apprenticeship programme" lead:"Ealing PCT"')
    board.bob.command("/agenda", 'add "A declined idea"')
    board.bob.command("/agenda", 'add "Approved after publication"')
    chair.command("/agenda", "approve A1")
    chair.command("/agenda", "decline A2 Not this time")
    assert "Published version 1" in chair.command("/agenda", "publish").text
    chair.command("/agenda", "approve A3")  # never published: not taken
    move_meeting_to(server, board, "2019-10-10", "2019-07-10")

    r = chair.command("/lsp", "report annual 2019")
    assert "1 meeting held, 2 items taken" in r.text
    stem = "-".join(board.name.lower().split()) + "-2019-20-annual-report"
    document = word_files(server, chair.user_id, 1)[f"{stem}.docx"]
    numbered = [p.text for p in document.paragraphs if p.style.name == "List Number"]
    assert numbered == ["LSP Annual Report for Scrutiny (lead: LB Ealing), for decision",
                        "Joint apprenticeship programme (lead: Ealing PCT), for discussion"]
    markdown = queued_files(server, chair.user_id)[f"{stem}.md"].decode()
    assert "Joint apprenticeship programme" in markdown and "Approved after publication" not in markdown


def test_quarter_report_counts_overdue_as_the_action_stood_at_the_quarters_end(server, board, fake_slack: FakeSlack):
    chair = board.chair
    for text in ("Extended after the quarter", "Done after the quarter", "Done in the quarter"):
        chair.command("/action", f"add {text} <@{board.alice.user_id}|alice> by 2019-12-31")
    # Raised in May, each due in June (what no command does: a due date in the past).
    sql(server, "UPDATE actions SET created_at = :at, due_date = :due WHERE board_id = "
        "(SELECT id FROM boards WHERE channel_id = :c)", at="2019-05-01 09:00:00", due="2019-06-01",
        c=board.channel_id)
    chair.command("/action", "due #1 2019-08-30")  # today, 16 July: overdue at the end of June all the same
    chair.command("/action", "done #2 Finished in July")
    chair.command("/action", "done #3 Finished in June")
    sql(server, "UPDATE audit_log SET at = :at WHERE operation = 'done' AND entity = 'action' AND entity_id = "
        "(SELECT a.id FROM actions a JOIN boards b ON b.id = a.board_id WHERE b.channel_id = :c AND a.ref = 3)",
        at="2019-06-20 12:00:00", c=board.channel_id)
    sql(server, "UPDATE actions SET closed_at = :at WHERE ref = 3 AND board_id = "
        "(SELECT id FROM boards WHERE channel_id = :c)", at="2019-06-20 12:00:00", c=board.channel_id)

    r = board.alice.command("/lsp", "report quarter")  # April-June, the quarter just ended
    assert "*Actions this quarter:* 3 raised, 1 completed, 2 overdue" in r.text
    r = board.alice.command("/lsp", "report quarter 2019-Q2")  # July-September, in progress: as today
    assert "*Actions this quarter:* 0 raised, 1 completed, 0 overdue" in r.text


def channel_post(fake_slack: FakeSlack, board: BoardFixture, title: str) -> dict:
    """The board channel's post whose text starts with `title` (waiting for it), its parameters."""
    return wait_until(lambda: next((c.params for c in fake_slack.messages() if c.params.get("channel") ==
                                    board.channel_id and c.params.get("text", "").startswith(title)), None),
                      what=f"“{title}” in {board.channel_id}")


def test_a_partner_update_or_action_revised_after_publication_is_a_change_to_publish(
        server, board, fake_slack: FakeSlack):
    chair = board.chair
    chair.command("/plan", "meeting add 2019-10-10 10:00")
    board.alice.command("/update", "The flu programme starts in October.")
    chair.command("/action", f"add Map support for young people <@{board.alice.user_id}|alice> by 2019-09-30")
    assert "Published version 1" in chair.command("/agenda", "publish").text
    assert "and nothing has changed since" in chair.command("/agenda", "publish").text

    board.alice.command("/update", "Revised: the flu programme starts on 1 October.")
    r = chair.command("/agenda", "draft")
    assert "Changed since version 1" in r.text and "Partner update from Ealing PCT revised." in r.text
    assert "Revised: the flu programme starts on 1 October." in r.text
    assert "Published version 2" in chair.command("/agenda", "publish").text
    assert "Revised: the flu programme starts on 1 October." in str(channel_post(fake_slack, board, "Agenda v2"))

    board.alice.command("/action", "update #1 Met the youth service")
    chair.command("/action", "due #1 2019-10-31")
    r = chair.command("/agenda", "draft")
    assert "Changed since version 2" in r.text
    assert "Action #1: due date changed from 30 Sep 2019 to 31 Oct 2019." in r.text
    assert "Action #1: new progress note." in r.text
    assert "Published version 3" in chair.command("/agenda", "publish").text
    chair.command("/action", "done #1 Mapped")
    r = chair.command("/agenda", "draft")
    assert "Action #1 no longer under review." in r.text
    assert "Published version 4" in chair.command("/agenda", "publish").text


def test_publish_posts_the_word_agenda_to_the_channel_with_the_message(server, board, fake_slack: FakeSlack):
    chair = board.chair
    chair.command("/plan", "meeting add 2019-10-10 10:00")
    for n in range(12):
        chair.command("/action", f"add Action number {n + 1} <@{chair.user_id}|chair> by 2019-09-30")  # no DMs
    r = chair.command("/agenda", "draft")
    assert "…and 2 more in the Word version sent to your direct messages." in r.text
    assert "in the Word document" not in r.text
    stem = "-".join(board.name.lower().split()) + "-agenda-2019-10-10"
    draft = word_files(server, chair.user_id, 1)[f"{stem}.docx"]
    assert [p.text for p in draft.paragraphs if p.style.name == "Heading 1"] == \
        ["Draft agenda — Thursday 10 October 2019"]

    assert "Published version 1" in chair.command("/agenda", "publish").text
    post = channel_post(fake_slack, board, "Agenda v1")
    assert "…and 2 more in the Word document." in str(post["blocks"])
    published = word_files(server, board.channel_id, 1)
    assert list(published) == [f"{stem}.docx"]  # the Word version alone, in the channel
    document = published[f"{stem}.docx"]
    assert [p.text for p in document.paragraphs if p.style.name == "Heading 1"] == ["Agenda — Thursday 10 October 2019"]
    assert len(document.tables[0].rows) == 13
    assert_council_page(document, board)
    uploads = wait_until(lambda: [c for c in fake_slack.calls("files.completeUploadExternal")
                                  if c.params.get("channel_id") == board.channel_id], what="the upload to the channel")
    assert len(uploads) == 1


def test_a_past_meetings_agenda_is_the_record_and_cannot_be_published_again(server, board, fake_slack: FakeSlack):
    chair = board.chair
    chair.command("/plan", "meeting add 2019-10-10 10:00")
    chair.command("/plan", 'item add 2019-10-10 "LSP Annual Report for Scrutiny" lead:"LB Ealing" kind:decision')
    board.alice.command("/update", "The flu programme starts in October.")
    assert "Published version 1" in chair.command("/agenda", "publish").text
    meeting_id = db_rows(server.database_url, "SELECT m.id FROM meetings m JOIN boards b ON b.id = m.board_id "
                         "WHERE b.channel_id = :c", c=board.channel_id)[0][0]
    move_meeting_to(server, board, "2019-10-10", "2019-07-10")
    # Since the meeting: the plan and the update change, which today's compilation would show.
    sql(server, "UPDATE plan_items SET title = 'Renamed since' WHERE board_id = "
        "(SELECT id FROM boards WHERE channel_id = :c)", c=board.channel_id)
    sql(server, "UPDATE partner_updates SET text = 'Rewritten since' WHERE meeting_id IN (SELECT m.id FROM meetings m "
        "JOIN boards b ON b.id = m.board_id WHERE b.channel_id = :c)", c=board.channel_id)
    fake_slack.reset()

    r = chair.command("/agenda", "draft 10 July 2019")
    assert r.json()["response_type"] == "ephemeral"
    t = r.text
    assert "Agenda v1" in t and "LSP Annual Report for Scrutiny" in t and "The flu programme starts in October." in t
    assert "Renamed since" not in t and "Rewritten since" not in t
    assert "agenda as published" in t and not [b for b in r.json()["blocks"] if b["type"] == "actions"]
    stem = "-".join(board.name.lower().split()) + "-agenda-2019-10-10"
    document = word_files(server, chair.user_id, 1)[f"{stem}.docx"]  # named for the date it was published for
    texts = [p.text for p in document.paragraphs]
    assert "Agenda — Thursday 10 October 2019" in texts and "4.  LSP Annual Report for Scrutiny" in texts
    assert not any("Renamed since" in text or "Rewritten since" in text for text in texts)

    before = db_rows(server.database_url, "SELECT count(*) FROM agenda_publications")[0][0]
    r = chair.command("/agenda", "publish 10 July 2019")
    assert "has already taken place" in r.text
    r = click(chair, "agenda_publish", str(meeting_id), channel=board.channel_id,
              ts="1563265800.000200", response_url=fake_slack.url + "response/publish")
    assert "has already taken place" in fake_slack.wait_for("response/publish")[0].params["text"]
    assert db_rows(server.database_url, "SELECT count(*) FROM agenda_publications")[0][0] == before

    # A past meeting whose agenda was never published has no record to show.
    chair.command("/plan", "meeting add 2019-11-14 10:00")
    move_meeting_to(server, board, "2019-11-14", "2019-06-14")
    assert "never published" in chair.command("/agenda", "draft 14 June 2019").text
