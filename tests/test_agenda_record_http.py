"""The agenda and documents as the board's record, end to end (signed requests to `lspbot serve`, the fake Slack):
every Word document's page and properties; what counts as a change since publication; a past meeting's agenda;
the published agenda's Word document in the channel; the action review's notes; the reports' history."""

from __future__ import annotations

import io
import json

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
