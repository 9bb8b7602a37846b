"""A paper's checks and page count without Slack: its type by content and name (PDF, .docx, .doc), its size, an
item that needs a paper and a meeting still to come, who may send it, and a paper after the pack's publication
marked late. Called directly on a real database; the clock starts on Tuesday 16 July 2019."""

from __future__ import annotations

import datetime as dt
import io
import zipfile

import docx
import pytest
from pypdf import PdfWriter
from sqlalchemy.orm import Session

from bot.clock import FixedClock
from bot.render.pages import count_pages, docx_pages
from handlers.base import Forbidden, InvalidInput
from handlers.access import actor_for
from handlers.papers import DOC, DOCX, PDF, Submitted, check_content, submit_paper
from store import boards, files, packs, papers
from store import plan as plan_store
from store.models import Board, PlanItem
from tests.support.direct import Caller, RecordingNotifier, seeded_fixtures
from tests.support.settings import LONDON

CHANNEL = "CPAPCHK"
CHAIR, ALICE, BOB = "UPKCHAIR", "UPKALICE", "UPKBOB"
BOARD = "Paper Checks Board"


def blank_pdf(pages: int) -> bytes:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def word(pages_property: bool = True) -> bytes:
    document = docx.Document()
    document.add_paragraph("Purpose of report")
    out = io.BytesIO()
    document.save(out)
    if pages_property:
        return out.getvalue()
    rewritten = io.BytesIO()  # the same document without the page count in its properties
    with zipfile.ZipFile(io.BytesIO(out.getvalue())) as source, zipfile.ZipFile(rewritten, "w") as target:
        for info in source.infolist():
            if info.filename != "docProps/app.xml":
                target.writestr(info, source.read(info.filename))
    return rewritten.getvalue()


def test_the_type_is_read_from_the_content_and_the_name() -> None:
    assert check_content("paper.pdf", blank_pdf(1)) == PDF
    assert check_content("Paper.DOCX", word()) == DOCX
    assert check_content("old.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100) == DOC
    for name, content in [("paper.pdf", b"<html>sign in</html>"), ("paper.docx", blank_pdf(1)),
                          ("paper.docx", _zip({"readme.txt": b"x"})), ("old.doc", word()), ("paper.pdf", b"")]:
        with pytest.raises(InvalidInput):
            check_content(name, content)
    for name in ("paper.txt", "paper", "paper.pdf.exe", "slides.pptx"):
        with pytest.raises(InvalidInput, match="not a PDF or a Word document"):
            check_content(name, blank_pdf(1))


def _zip(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()


def test_pages_of_a_pdf_and_of_a_word_document() -> None:
    assert count_pages(blank_pdf(7), "a.pdf") == 7
    assert docx_pages(word()) == 1 and count_pages(word(), "a.docx") == 1
    assert docx_pages(word(pages_property=False)) is None
    # no page count of its own and no LibreOffice: unknown until the pack is built
    assert count_pages(word(pages_property=False), "a.docx", "/nonexistent/soffice") is None
    assert count_pages(b"not a pdf", "a.pdf") is None


def _seed(caller: Caller) -> None:
    caller("/lsp", f'board create "{BOARD}" chair:<@{CHAIR}|chair> org:"LB Ealing"')
    chair = caller.as_user(CHAIR, CHANNEL)
    for user in (ALICE, BOB):
        chair("/lsp", f'member add <@{user}|{user[3:].lower()}> org:"Ealing PCT"')
    chair("/plan", "meeting add 2019-07-25 10:00")
    chair("/plan", f'item add 2019-07-25 "Skills strategy" lead:"LB Ealing" paper:yes author:<@{ALICE}|alice>')
    chair("/plan", 'item add 2019-07-25 "Any other business" lead:"LB Ealing"')


sessions, session = seeded_fixtures(_seed, channel=CHANNEL, label="paper_checks")


def _board_and_item(session: Session, ref: int) -> tuple[Board, PlanItem]:
    board = session.query(Board).filter_by(name=BOARD).one()
    item = plan_store.get_item(session=session, board_id=board.id, ref=ref)
    assert item is not None
    return board, item


def _submit(session: Session, clock: FixedClock, ref: int = 1, *, name: str = "skills.pdf",
            content: bytes | None = None, by: str = ALICE, actor: bool = True) -> Submitted:
    board, item = _board_and_item(session, ref)
    caller = Caller(session, clock, RecordingNotifier(), by, CHANNEL)
    member = boards.get_member(session=session, slack_user_id=by)
    return submit_paper(session=session, notify=caller.notify, board=board, item=item, filename=name,
                        content=blank_pdf(2) if content is None else content, pages=2, submitted_by=by,
                        submitter=member, actor=actor_for(caller.request(), board) if actor else None,
                        now=clock.now())


def test_who_may_send_an_item_that_needs_one_and_a_meeting_to_come(session: Session, clock: FixedClock) -> None:
    done = _submit(session, clock)
    assert (done.paper.version, done.paper.pages, done.paper.late) == (1, 2, False)
    assert done.data["size"].endswith("KB") and done.data["version"] == 1
    assert _submit(session, clock, by=CHAIR).paper.version == 2  # the chair may too; the first is kept
    board, item = _board_and_item(session, 1)
    assert [p.version for p in papers.versions(session=session, item_id=item.id)] == [2, 1]
    with pytest.raises(Forbidden, match="Only alice"):
        _submit(session, clock, by=BOB)
    with pytest.raises(InvalidInput, match="needs no paper"):
        _submit(session, clock, ref=2)
    board.settings = dict(board.settings or {}, paper_max_mb="1")
    with pytest.raises(InvalidInput, match="larger than the 1 MB"):
        _submit(session, clock, content=blank_pdf(1) + b"%" + b"x" * 1_500_000)
    clock.set(dt.datetime(2019, 7, 25, 10, 30, tzinfo=LONDON))  # the meeting has begun
    with pytest.raises(InvalidInput, match="has taken place"):
        _submit(session, clock, actor=False)
    assert len(papers.versions(session=session, item_id=item.id)) == 2


def test_a_paper_after_the_pack_is_published_is_late(session: Session, clock: FixedClock) -> None:
    board, item = _board_and_item(session, 1)
    stored = files.put(session=session, content=b"%PDF-1.4 pack", content_type=PDF, now=clock.now())
    pack = packs.save(session=session, board_id=board.id, meeting_id=item.meeting_id, number=0, audience=packs.PUBLIC,
                      file=stored, filename="pack.pdf", pages=1, contents=[], separate=[], now=clock.now())
    pack.published_at = clock.now()
    done = _submit(session, clock, actor=False)
    assert done.paper.late and done.data["late"]


def test_the_bots_token_goes_only_to_slacks_hosts() -> None:
    from bot.slack.api import file_host_trusted, make_client

    client = make_client("xoxb-1", "https://slack.com/api/")
    assert file_host_trusted("https://files.slack.com/files-pri/T1-F1/a.pdf", client)
    assert not file_host_trusted("http://files.slack.com/files-pri/T1-F1/a.pdf", client)  # not over plain HTTP
    assert not file_host_trusted("https://files.slack.com.evil.example/a.pdf", client)
    assert not file_host_trusted("https://evil.example/?slack.com", client)
    fake = make_client("xoxb-1", "http://127.0.0.1:4567/api/")
    assert file_host_trusted("http://127.0.0.1:4567/files-pri/T1-F1/a.pdf", fake)
    assert not file_host_trusted("http://127.0.0.1:9999/files-pri/T1-F1/a.pdf", fake)
