"""The agenda and documents as the board's record, end to end (signed requests to `lspbot serve`, the fake Slack):
every Word document's page and properties; what counts as a change since publication; a past meeting's agenda;
the published agenda's Word document in the channel; the action review's notes; the reports' history."""

from __future__ import annotations

import io

import docx
from docx.oxml.ns import qn

from tests.support.delivery import queued_files
from tests.support.fake_slack import FakeSlack
from tests.support.server import BoardFixture, ServerProcess
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
